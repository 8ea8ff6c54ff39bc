"""The emulated CRM org's modules and fields, and their metadata as Zoho publishes it.

Field shapes follow https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html
(settings/fields) and the sample attributes of
https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html (values by data type).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Every emulated id starts with the org's prefix, so ids of two emulated orgs never meet
#: (CRM ids are unique across Zoho's orgs): the base, plus ``--org``.
_PREFIX_BASE = 4876876


@dataclasses.dataclass
class _IdSpace:
    prefix: str = str(_PREFIX_BASE)


_IDS = _IdSpace()


def use_org(number: int) -> None:
    """Make this process's ids those of org ``number`` (set once, when the emulator starts)."""
    _IDS.prefix = f"{_PREFIX_BASE + number:07d}"


_JSON_TYPES = {
    "integer": "integer",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "boolean": "boolean",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "userlookup": "jsonobject",
    "layout": "jsonobject",
    "multi_module_lookup": "jsonobject",
    "multiselectpicklist": "jsonarray",
    "subform": "jsonarray",
    "multiselectlookup": "jsonarray",
}
#: Types whose values only a single-record GET returns
#: (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html).
DETAIL_ONLY_TYPES = frozenset({"subform", "multiselectlookup"})
#: Types Zoho computes; writes to them are ignored.
COMPUTED_TYPES = frozenset({"formula", "autonumber"})
SYSTEM_FIELDS = frozenset(
    {"Created_Time", "Modified_Time", "Created_By", "Modified_By", "Last_Activity_Time"}
)


def add_source_id_field(name: str) -> None:
    """Give every module whose records the API serves a unique custom text field ``name``.

    It stands for the step a user takes in Zoho before copying an org into this one (a
    custom single-line field with "Do not allow duplicate values", in each module): the
    copy fills it with the source record's id and upserts on it. Seeded records hold none.
    Set once, when the emulator starts, as ``use_org``.
    """
    for module in MODULES:
        if module.api_supported and module.field(name) is None:
            field = _text(name, "source_id", 64, unique=True, custom=True)
            # Modules are frozen for the rest of the process; this is their one setup.
            object.__setattr__(module, "fields", (*module.fields, field))
            module.__dict__.pop("field_map", None)


def record_id(module_code: int, index: int) -> str:
    """The 19-digit id of a module's record number ``index``."""
    return f"{_IDS.prefix}0{module_code:02d}{index + 1:09d}"


def parse_id(value: object) -> tuple[int, int] | None:
    """The (module code, record index) an id names, or None for a malformed id."""
    text = str(value)
    if len(text) != 19 or not text.isdigit() or not text.startswith(_IDS.prefix):
        return None
    return int(text[8:10]), int(text[10:]) - 1


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a module.

    Attributes:
        api_name: The field's API name.
        data_type: Zoho's ``data_type``.
        kind: What the generator puts in it (a name, a city, ...); defaults to the data type.
        length: Maximum length for text-like fields.
        mandatory: System-mandatory on insert.
        unique: Zoho rejects a second record with the same value (DUPLICATE_DATA).
        read_only: Zoho ignores writes to it.
        custom: A custom field.
        picklist: Allowed picklist values.
        lookup: The module a lookup points to.
        subform: The module of a subform's rows (``generated_type`` ``subform``).
        return_type: A formula's return type.
        hidden_in_view: ``view_type.view`` is false, as for First_Name in Zoho's own example.
        json_array: Zoho reports ``json_type: jsonarray`` for a ``text`` field (Tag).
    """

    api_name: str
    data_type: str
    kind: str = ""
    length: int | None = None
    mandatory: bool = False
    unique: bool = False
    read_only: bool = False
    custom: bool = False
    picklist: tuple[str, ...] = ()
    lookup: str | None = None
    subform: str | None = None
    return_type: str | None = None
    hidden_in_view: bool = False
    json_array: bool = False

    @property
    def json_type(self) -> str:
        """Zoho's ``json_type`` for the field."""
        if self.json_array:
            return "jsonarray"
        if self.data_type == "formula":
            return _JSON_TYPES.get(self.return_type or "text", "string")
        return _JSON_TYPES.get(self.data_type, "string")

    @property
    def writable(self) -> bool:
        """Whether a write may set it."""
        return not (
            self.read_only
            or self.data_type in COMPUTED_TYPES
            or self.api_name in SYSTEM_FIELDS
            or self.json_array
        )


@dataclasses.dataclass(frozen=True)
class Module:
    """One CRM module.

    Attributes:
        api_name: The module's API name.
        code: Two-digit code inside record ids.
        singular: Singular label.
        fields: Its fields, in layout order.
        size: How many records it has: ``main`` (``--records``), ``tenth`` of that, or a number.
        duplicate_check: The default duplicate-check field of upsert.
        generated_type: ``default``, ``custom``, ``subform`` or ``linking``.
        api_supported: Whether the API serves its records at all.
        restricted: The API user's profile may not read its records (403 NO_PERMISSION).
        module_name: Zoho's internal module name.
    """

    api_name: str
    code: int
    singular: str
    fields: tuple[Field, ...] = ()
    size: str | int = 0
    duplicate_check: str | None = None
    generated_type: str = "default"
    api_supported: bool = True
    restricted: bool = False
    module_name: str = ""

    @property
    def plural(self) -> str:
        """The plural label."""
        return self.api_name.replace("_", " ")

    def field(self, api_name: str) -> Field | None:
        """The field of that API name, if the module has it."""
        return self.field_map.get(api_name)

    @functools.cached_property
    def field_map(self) -> dict[str, Field]:
        """Fields by API name."""
        return {field.api_name: field for field in self.fields}

    @functools.cached_property
    def name_field(self) -> str | None:
        """The field Zoho shows as a record's name in lookups."""
        names: tuple[str, ...] = ("Full_Name", "Deal_Name", "Name", "Subject", "Product_Name")
        names += ("Vendor_Name", "Account_Name")
        return next(
            (
                name
                for name in names
                if name in self.field_map and self.field_map[name].data_type == "text"
            ),
            None,
        )

    @property
    def has_modified_time(self) -> bool:
        """Whether records carry Modified_Time."""
        return "Modified_Time" in self.field_map


def _text(name: str, kind: str = "", length: int = 255, **extra: Any) -> Field:
    return Field(name, "text", kind=kind or "words", length=length, **extra)


def _pick(name: str, values: tuple[str, ...], **extra: Any) -> Field:
    return Field(name, "picklist", picklist=values, **extra)


def _system_fields(*, modified: bool = True) -> tuple[Field, ...]:
    fields = [
        Field("Owner", "ownerlookup", lookup="users"),
        Field("Created_By", "ownerlookup", kind="creator", lookup="users", read_only=True),
        Field("Created_Time", "datetime", kind="created", read_only=True),
    ]
    if modified:
        fields += [
            Field("Modified_By", "ownerlookup", kind="modifier", lookup="users", read_only=True),
            Field("Modified_Time", "datetime", kind="modified", read_only=True),
            Field("Last_Activity_Time", "datetime", kind="activity", read_only=True),
        ]
    return (
        *fields,
        Field("Tag", "text", kind="tags", json_array=True),
        Field("Layout", "layout"),
        _pick("Record_Status__s", ("Available", "Draft", "Trash"), kind="available"),
    )


_SOURCES = ("Advertisement", "Cold Call", "Employee Referral", "Web Download", "Trade Show")
_INDUSTRIES: tuple[str, ...] = (
    "ASP (Application Service Provider)",
    "Data/Telecom OEM",
    "Government/Military",
)
_INDUSTRIES += ("Large Enterprise", "Management ISV", "Non-management ISV", "Optical Networking")
_RATINGS = ("Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down")
_SALUTATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.")
_STAGES: tuple[str, ...] = (
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
)
_STAGES += ("Negotiation/Review", "Closed Won", "Closed Lost")
_LANGUAGES = ("English", "Deutsch", "Español", "Français", "日本語", "Português")
_SERVICES = ("Inspection", "Repair, urgent", "Calibration (annual)", "Training", 'Audit "full"')

_LEADS = Module(
    "Leads",
    1,
    "Lead",
    size="main",
    duplicate_check="Email",
    fields=(
        *_system_fields(),
        _text("Company", "company"),
        _text("First_Name", "first_name", 40, hidden_in_view=True),
        _text("Last_Name", "last_name", 80, mandatory=True),
        _text("Full_Name", "full_name", read_only=True),
        _text("Designation", "title", 100),
        Field("Email", "email", kind="email", length=100, unique=True),
        Field("Secondary_Email", "email", kind="email2", length=100),
        Field("Phone", "phone", kind="phone", length=30),
        Field("Mobile", "phone", kind="phone", length=30),
        Field("Fax", "phone", kind="phone", length=30),
        Field("Website", "website", kind="website", length=255),
        _pick("Lead_Source", _SOURCES),
        _pick("Lead_Status", ("Attempted to Contact", "Contact in Future", "Contacted")),
        _pick("Industry", _INDUSTRIES),
        Field("No_of_Employees", "integer"),
        Field("Annual_Revenue", "currency"),
        _pick("Rating", _RATINGS),
        _pick("Salutation", _SALUTATIONS),
        Field("Email_Opt_Out", "boolean"),
        _text("Skype_ID", "handle", 50),
        _text("Twitter", "handle", 50),
        _text("Street", "street", 250),
        _text("City", "city", 100),
        _text("State", "state", 100),
        _text("Zip_Code", "zip", 30),
        _text("Country", "country", 100),
        Field("Description", "textarea", kind="paragraph", length=32000),
        Field("Converted__s", "boolean", kind="converted", read_only=True),
        Field("Converted_Date_Time", "datetime", kind="converted_at", read_only=True),
        Field(
            "Converted_Account", "lookup", kind="converted_to", lookup="Accounts", read_only=True
        ),
        Field(
            "Converted_Contact", "lookup", kind="converted_to", lookup="Contacts", read_only=True
        ),
        Field("Converted_Deal", "lookup", kind="converted_to", lookup="Deals", read_only=True),
        _pick("Unsubscribed_Mode", ("Consent form", "Manual", "Unsubscribe link")),
        Field("Unsubscribed_Time", "datetime", kind="past"),
        Field("Lead_Score", "integer", custom=True),
        Field("Budget", "currency", custom=True),
        Field("Preferred_Languages", "multiselectpicklist", picklist=_LANGUAGES, custom=True),
        Field("External_Lead_Id", "bigint", custom=True),
        Field("Next_Contact_Date", "date", custom=True),
    ),
)

_CONTACTS = Module(
    "Contacts",
    2,
    "Contact",
    size="main",
    duplicate_check="Email",
    fields=(
        *_system_fields(),
        _text("First_Name", "first_name", 40),
        _text("Last_Name", "last_name", 80, mandatory=True),
        _text("Full_Name", "full_name", read_only=True),
        _pick("Salutation", _SALUTATIONS),
        Field("Account_Name", "lookup", lookup="Accounts"),
        Field("Reporting_To", "lookup", lookup="Contacts"),
        Field("Email", "email", kind="email", length=100, unique=True),
        Field("Secondary_Email", "email", kind="email2", length=100),
        _text("Title", "title", 100),
        _text("Department", "department", 100),
        Field("Phone", "phone", kind="phone", length=30),
        Field("Home_Phone", "phone", kind="phone", length=30),
        Field("Mobile", "phone", kind="phone", length=30),
        _text("Assistant", "first_name", 100),
        Field("Date_of_Birth", "date", kind="birthday"),
        _pick("Lead_Source", _SOURCES),
        Field("Email_Opt_Out", "boolean"),
        _text("Mailing_Street", "street", 250),
        _text("Mailing_City", "city", 100),
        _text("Mailing_State", "state", 100),
        _text("Mailing_Zip", "zip", 30),
        _text("Mailing_Country", "country", 100),
        Field("Description", "textarea", kind="paragraph", length=32000),
        _text("Twitter", "handle", 50),
        Field("Loyalty_Points", "integer", custom=True),
    ),
)

_ACCOUNTS = Module(
    "Accounts",
    3,
    "Account",
    size="main",
    duplicate_check="Account_Name",
    fields=(
        *_system_fields(),
        _text("Account_Name", "company", 200, mandatory=True),
        Field("Account_Number", "bigint"),
        _text("Account_Site", "city", 80),
        Field("Parent_Account", "lookup", lookup="Accounts"),
        _pick("Account_Type", ("Analyst", "Competitor", "Customer", "Distributor", "Partner")),
        _pick("Industry", _INDUSTRIES),
        Field("Annual_Revenue", "currency"),
        Field("Employees", "integer"),
        _pick("Ownership", ("Other", "Private", "Public", "Subsidiary")),
        _pick("Rating", _RATINGS),
        Field("Phone", "phone", kind="phone", length=30),
        Field("Fax", "phone", kind="phone", length=30),
        Field("Website", "website", kind="website", length=255),
        _text("Ticker_Symbol", "ticker", 30),
        Field("SIC_Code", "integer"),
        _text("Billing_Street", "street", 250),
        _text("Billing_City", "city", 100),
        _text("Billing_State", "state", 100),
        _text("Billing_Code", "zip", 30),
        _text("Billing_Country", "country", 100),
        _text("Shipping_Street", "street", 250),
        _text("Shipping_City", "city", 100),
        _text("Shipping_Country", "country", 100),
        Field("Description", "textarea", kind="paragraph", length=32000),
        Field("Customer_Since", "date", custom=True, kind="past_date"),
    ),
)

_DEALS = Module(
    "Deals",
    4,
    "Deal",
    size="main",
    duplicate_check="Deal_Name",
    fields=(
        *_system_fields(),
        _text("Deal_Name", "deal", 120, mandatory=True),
        Field("Account_Name", "lookup", lookup="Accounts"),
        Field("Contact_Name", "lookup", lookup="Contacts"),
        Field("Amount", "currency"),
        _pick("Stage", _STAGES, mandatory=True),
        _pick("Pipeline", ("Standard (Standard)", "Enterprise Renewals")),
        Field("Probability", "percent"),
        Field("Expected_Revenue", "formula", return_type="currency", kind="expected_revenue"),
        Field("Closing_Date", "date", kind="future_date"),
        _pick("Type", ("New Business", "Existing Business")),
        _text("Next_Step", "phrase", 100),
        _pick("Lead_Source", _SOURCES),
        _pick("Reason_For_Loss__s", ("Price", "Lost to Competitor", "No Budget")),
        Field("Description", "textarea", kind="paragraph", length=32000),
    ),
)


def _visit_fields() -> tuple[Field, ...]:
    """The custom module: more than 120 fields, every data type Zoho's record pages list."""
    named = (
        _text("Name", "visit", 120, mandatory=True),
        Field("Visit_Number", "autonumber", kind="autonumber"),
        _text("External_Id", "external_id", 64, unique=True, custom=True),
        Field("Email", "email", kind="email", length=100),
        Field("Account", "lookup", lookup="Accounts", custom=True),
        Field("Contact", "lookup", lookup="Contacts", custom=True),
        Field("Technician", "userlookup", lookup="users", custom=True),
        Field("Visit_Date", "date", custom=True),
        Field("Visit_Start", "datetime", kind="past", custom=True),
        _pick("Status", ("Planned", "In Progress", "Done", "Cancelled"), custom=True),
        Field("Services", "multiselectpicklist", picklist=_SERVICES, custom=True),
        Field("Serial_Number", "bigint", custom=True),
        Field("Quantity", "integer", kind="quantity", custom=True),
        Field("Unit_Price", "currency", custom=True),
        Field("Total_Amount", "formula", return_type="double", kind="total", custom=True),
        Field("Visit_Label", "formula", return_type="text", kind="label", custom=True),
        Field("Discount", "percent", custom=True),
        Field("Duration_Hours", "double", custom=True),
        Field("Summary", "textarea", kind="paragraph", length=2000, custom=True),
        Field("Billable", "boolean", custom=True),
        Field("Site_Phone", "phone", kind="phone", length=30, custom=True),
        Field("Site_Url", "website", kind="website", length=255, custom=True),
        Field("Visit_Items", "subform", subform="Service_Visit_Items", custom=True),
        Field("Related_Accounts", "multiselectlookup", lookup="Accounts", custom=True),
    )
    series = (
        ("Text", 30, "text"),
        ("Number", 14, "integer"),
        ("Decimal", 10, "double"),
        ("Amount", 10, "currency"),
        ("Percent", 5, "percent"),
        ("Date", 10, "date"),
        ("DateTime", 10, "datetime"),
        ("Flag", 10, "boolean"),
        ("Pick", 6, "picklist"),
        ("Multi", 4, "multiselectpicklist"),
        ("Big", 5, "bigint"),
        ("Email", 3, "email"),
        ("Phone", 3, "phone"),
        ("Url", 3, "website"),
        ("Area", 3, "textarea"),
    )
    numbered = []
    for prefix, count, data_type in series:
        for number in range(1, count + 1):
            name = f"{prefix}_{number:02d}"
            if data_type in ("picklist", "multiselectpicklist"):
                values = tuple(f"{prefix} {number} option {letter}" for letter in "ABCDE")
                numbered.append(Field(name, data_type, picklist=values, custom=True))
            elif data_type in ("text", "email", "phone", "website", "textarea"):
                length = 2000 if data_type == "textarea" else 255
                numbered.append(Field(name, data_type, length=length, custom=True, kind=""))
            else:
                numbered.append(Field(name, data_type, custom=True))
    return (*_system_fields(), *named, *numbered)


_VISITS = Module(
    "Service_Visits",
    5,
    "Service Visit",
    size="main",
    duplicate_check="Name",
    generated_type="custom",
    module_name="CustomModule1",
    fields=_visit_fields(),
)

_TASKS = Module(
    "Tasks",
    6,
    "Task",
    size="tenth",
    duplicate_check="Subject",
    fields=(
        *_system_fields(),
        _text("Subject", "phrase", 255, mandatory=True),
        Field("Due_Date", "date", kind="future_date"),
        _pick("Status", ("Not Started", "Deferred", "In Progress", "Completed")),
        _pick("Priority", ("High", "Highest", "Low", "Lowest", "Normal")),
        Field("What_Id", "multi_module_lookup", lookup="Accounts"),
        Field("Who_Id", "lookup", lookup="Contacts"),
        Field("Send_Notification_Email", "boolean"),
        Field("Closed_Time", "datetime", kind="past"),
        Field("Description", "textarea", kind="paragraph", length=32000),
    ),
)

_PRODUCTS = Module(
    "Products",
    7,
    "Product",
    size="tenth",
    duplicate_check="Product_Name",
    fields=(
        *_system_fields(),
        _text("Product_Name", "product", 120, mandatory=True),
        _text("Product_Code", "ticker", 40),
        Field("Vendor_Name", "lookup", lookup="Vendors"),
        Field("Unit_Price", "currency"),
        Field("Product_Active", "boolean"),
    ),
)

#: Zoho's Vendors, here without records (the org's module that the API serves empty).
_VENDORS = Module(
    "Vendors",
    11,
    "Vendor",
    duplicate_check="Vendor_Name",
    fields=(
        *_system_fields(),
        _text("Vendor_Name", "company", 120, mandatory=True),
        Field("Email", "email", kind="email", length=100),
        Field("Phone", "phone", kind="phone", length=30),
        Field("Website", "website", kind="website", length=255),
    ),
)

_QUOTES = Module(
    "Quotes",
    8,
    "Quote",
    size=20,
    duplicate_check="Subject",
    restricted=True,
    fields=(
        *_system_fields(),
        _text("Subject", "phrase", 255, mandatory=True),
        Field("Deal_Name", "lookup", lookup="Deals"),
        Field("Valid_Till", "date", kind="future_date"),
        Field("Grand_Total", "currency"),
    ),
)

_PRICE_TIERS = Module(
    "Price_Tiers",
    9,
    "Price Tier",
    size=12,
    duplicate_check="Name",
    generated_type="custom",
    module_name="CustomModule2",
    fields=(
        Field("Owner", "ownerlookup", lookup="users"),
        Field("Created_By", "ownerlookup", kind="creator", lookup="users", read_only=True),
        Field("Created_Time", "datetime", kind="created", read_only=True),
        _text("Name", "tier", 120, mandatory=True),
        _text("Tier_Code", "ticker", 20, custom=True),
        Field("Rate", "currency", custom=True),
        Field("Valid_From", "date", kind="past_date", custom=True),
    ),
)

#: An inventory module: its line items (``Ordered_Items``) are a subform to Zoho, each row a
#: product. The rows' fields are some of those Zoho's field metadata lists for
#: ``module=Ordered_Items`` (https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html).
_SALES_ORDERS = Module(
    "Sales_Orders",
    10,
    "Sales Order",
    size="tenth",
    duplicate_check="Subject",
    fields=(
        *_system_fields(),
        _text("Subject", "order", 255, mandatory=True),
        Field("Account_Name", "lookup", lookup="Accounts"),
        Field("Deal_Name", "lookup", lookup="Deals"),
        _pick("Status", ("Created", "Approved", "Delivered", "Cancelled")),
        Field("Due_Date", "date", kind="future_date"),
        # A sales order needs a line item: Zoho lists the line-item subform among the fields
        # an insert must send (https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html).
        Field("Ordered_Items", "subform", subform="Ordered_Items", mandatory=True),
        # Zoho sums the line items' totals into it; writes to it are ignored.
        Field("Grand_Total", "currency", kind="grand_total", read_only=True),
    ),
)

#: Modules Zoho lists in settings/modules but whose records the API does not serve.
_UI_ONLY = (
    Module("Home", 40, "Home", api_supported=False),
    Module("Reports", 41, "Report", api_supported=False),
    Module("Dashboards", 42, "Dashboard", api_supported=False),
    Module("Feeds", 43, "Feed", api_supported=False),
    Module("Forecasts", 44, "Forecast", api_supported=False),
    Module(
        "Service_Visit_Items",
        45,
        "Service Visit Item",
        api_supported=False,
        generated_type="subform",
        fields=(
            Field("Parent_Id", "lookup", lookup="Service_Visits", read_only=True),
            _text("Item_Name", "phrase", 120),
            Field("Product", "lookup", lookup="Products"),
            Field("Quantity", "integer", kind="quantity"),
            Field("Unit_Price", "currency"),
            Field("Created_Time", "datetime", kind="created", read_only=True),
            Field("Modified_Time", "datetime", kind="modified", read_only=True),
        ),
    ),
    Module(
        "Ordered_Items",
        47,
        "Ordered Item",
        api_supported=False,
        generated_type="subform",
        fields=(
            Field("Parent_Id", "lookup", lookup="Sales_Orders", read_only=True),
            # A line item is a product: a row without one is refused.
            Field("Product_Name", "lookup", lookup="Products", mandatory=True),
            Field("Quantity", "double", kind="quantity"),
            Field("List_Price", "currency"),
            # Zoho computes Total: List_Price times Quantity, before any discount or tax.
            Field("Total", "formula", return_type="currency", kind="line_total"),
            Field("Description", "textarea", kind="paragraph", length=2000),
            Field("Created_Time", "datetime", kind="created", read_only=True),
            Field("Modified_Time", "datetime", kind="modified", read_only=True),
        ),
    ),
    Module(
        "Visits_X_Accounts",
        46,
        "Visits X Account",
        api_supported=False,
        generated_type="linking",
        # The linking module of Service_Visits.Related_Accounts: one lookup to each side.
        fields=(
            Field("Linked_Visit", "lookup", lookup="Service_Visits"),
            Field("Linked_Account", "lookup", lookup="Accounts"),
        ),
    ),
)

MODULES: tuple[Module, ...] = (
    _LEADS,
    _CONTACTS,
    _ACCOUNTS,
    _DEALS,
    _VISITS,
    _TASKS,
    _PRODUCTS,
    _QUOTES,
    _PRICE_TIERS,
    _SALES_ORDERS,
    _VENDORS,
    *_UI_ONLY,
)
MODULES_BY_NAME: dict[str, Module] = {module.api_name: module for module in MODULES}
MODULES_BY_CODE: dict[int, Module] = {module.code: module for module in MODULES}
USER_MODULE_CODE = 90
TAG_MODULE_CODE = 91
SUBFORM_ROW_CODE = 92
LINK_ROW_CODE = 93
METADATA_CODE = 94
BULK_JOB_CODE = 95
BULK_WRITE_CODE = 96
UPLOAD_CODE = 97


def module_size(module: Module, records: int) -> int:
    """How many seeded records a module has for ``--records``."""
    if module.size == "main":
        return records
    if module.size == "tenth":
        return max(1, records // 10)
    return int(module.size)


def layout(module: Module) -> dict[str, str]:
    """A module's one layout, as records' ``Layout`` holds it (its id is the module's own)."""
    return {"name": "Standard", "id": record_id(METADATA_CODE, module.code)}


def lookup_module(api_name: str) -> Module | None:
    """The module with that API name, matched as Zoho does: case-insensitively."""
    module = MODULES_BY_NAME.get(api_name)
    if module is not None:
        return module
    lowered = api_name.lower()
    return next((m for m in MODULES if m.api_name.lower() == lowered), None)


def iter_api_modules() -> Iterator[Module]:
    """Modules whose records the API serves."""
    return (module for module in MODULES if module.api_supported)
