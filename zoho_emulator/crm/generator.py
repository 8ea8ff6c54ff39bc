"""Seeded CRM records computed on demand: each value is a function of (seed, module, record, field).

Nothing here is stored per record except three compact arrays per module (created time,
modified time, flags), so a million-record module costs tens of megabytes.
"""

from __future__ import annotations

import array
import dataclasses
import datetime as dt
import functools
import unicodedata
from typing import TYPE_CHECKING, Any

from zoho_emulator import pools, timefmt
from zoho_emulator.crm import catalog
from zoho_emulator.seeded import below, chance, code, mix, pick, timeline

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from zoho_emulator.crm.catalog import Field, Module

DAY = 86_400
#: Flag bits per seeded record.
SEED_DELETED, CONVERTED, UNAPPROVED, PERMANENTLY_DELETED = 1, 2, 4, 8

_STATES = ("CA", "TX", "Bavaria", "Île-de-France", "Ontario", "Lagos", None)
_DEPARTMENTS = ("Sales", "R&D", "Finance, Legal", "Support (Tier 2)")
_WORDS: tuple[str, ...] = (
    "alpha",
    "beta",
    "Grüße",
    "naïve café",
    "smörgåsbord",
    "(draft)",
    "a, b, c",
    "50%",
)
_WORDS += ('say "hi"', "it's", "東京", "emoji 🚀", "tab\tseparated", "back\\slash")
_PARAGRAPHS = (
    'First line, with a comma.\nSecond line (in parentheses).\nThird: "quoted" text.',
    "Ünïcödé paragraph — dashes – and ‘curly’ quotes.\r\nWindows line ending above.",
    "Single line note",
    'Bullet list:\n- one\n- two, three\n- "four"\n\nTrailing blank line above.',
)
_PHRASES = ("Quarterly review", "Follow up, urgent", "Renewal (2 years)", "Démo produit")
#: The org's tags, (name, color code); a tag's id is its place here (see :func:`tag`).
TAGS = (("VIP", "#57B1FD"), ("Renewal", "#F17574"), ("Partner, EU", "#E7A826"))
_USER_NAMES = (
    ("Ada", "Ruiz", "CEO", "Administrator"),
    ("Bruno", "Sørensen", "Manager", "Standard"),
    ("Chidi", "Okeke", "Sales Rep", "Standard"),
    ("Dana", "Kim", "Sales Rep", "Standard"),
    ("Émile", "Laurent", "Support", "Standard"),
    ("Farah", "Haddad", "Sales Rep", "Standard"),
)


@dataclasses.dataclass(frozen=True)
class ModuleTimes:
    """The compact per-record arrays of one module's seeded records."""

    created: array.array[int]
    modified: array.array[int]
    deleted_at: array.array[int]
    flags: array.array[int]


def _ascii(text: str | None) -> str:
    folded = unicodedata.normalize("NFKD", text or "x").encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum()) or "x"


class Generator:
    """Seeded records of one emulated org.

    Args:
        seed: The data seed.
        records: Records per main module.
        zone: The org's time zone.
        anchor: The day the data ends.
    """

    def __init__(self, seed: int, records: int, zone: ZoneInfo, anchor: dt.date) -> None:
        self.seed = seed
        self.records = records
        self.zone = zone
        end = dt.datetime.combine(anchor, dt.time(), dt.UTC)
        self.end = int(end.timestamp()) - DAY
        self.start = self.end - 729 * DAY
        self.users = [self._user(number) for number in range(len(_USER_NAMES))]

    def size(self, module: Module) -> int:
        """Seeded records in a module, deleted ones included."""
        return catalog.module_size(module, self.records)

    def times(self, module: Module) -> ModuleTimes:
        """The per-record arrays of a module (computed once per seed and size)."""
        return _module_times(self.seed, self.size(module), module.code, self.start, self.end)

    def is_live(self, module: Module, index: int) -> bool:
        """Whether a seeded record exists (was not deleted before the data ends)."""
        return 0 <= index < self.size(module) and not self.times(module).flags[index] & SEED_DELETED

    def value(self, module: Module, index: int, field: Field) -> Any:
        """The seeded wire value of one field of one record."""
        h = mix(self.seed, module.code, index, code(field.api_name))
        if field.data_type in catalog.DETAIL_ONLY_TYPES:
            return self._detail_value(module, index, field)
        special = self._special(module, index, field, h)
        if special is not _NOT_SPECIAL:
            return special
        nullable = not field.mandatory and field.data_type not in ("boolean", "layout")
        if nullable and chance(h, 150 if field.custom else 80):
            # Zoho sends an empty collection as [], never null (as it does Tag).
            return [] if field.data_type == "multiselectpicklist" else None
        return self._typed(module, index, field, h)

    def display_name(self, module: Module, index: int) -> str | None:
        """The name a lookup to this record shows."""
        name_field = module.name_field
        field = module.field(name_field) if name_field else None
        return None if field is None else self.value(module, index, field)

    def lookup(self, module: Module, index: int) -> dict[str, Any]:
        """A lookup value pointing at a record."""
        return {
            "name": self.display_name(module, index),
            "id": catalog.record_id(module.code, index),
        }

    def live_index(self, module: Module, h: int) -> int | None:
        """A live seeded record of ``module`` chosen by hash ``h``."""
        size = self.size(module)
        if size == 0:
            return None
        index = below(h, size)
        for step in range(size):
            candidate = (index + step) % size
            if self.is_live(module, candidate):
                return candidate
        return None

    def user(self, h: int) -> dict[str, Any]:
        """An active user chosen by hash ``h``."""
        return self.users[below(h, len(self.users) - 1)]

    @staticmethod
    def owner_value(user: dict[str, Any], *, with_email: bool = True) -> dict[str, Any]:
        """How a user appears in an owner or user lookup."""
        value = {"name": user["full_name"], "id": user["id"]}
        if with_email:
            value["email"] = user["email"]
        return value

    def _user(self, number: int) -> dict[str, Any]:
        first, last, role, profile = _USER_NAMES[number]
        user_id = catalog.record_id(catalog.USER_MODULE_CODE, number)
        created = timefmt.crm_datetime(self.start - 90 * DAY + number * DAY, self.zone)
        creator = {"name": "Ada Ruiz", "id": catalog.record_id(catalog.USER_MODULE_CODE, 0)}
        return {
            "id": user_id,
            "zuid": str(80823391 + number),
            "full_name": f"{first} {last}",
            "first_name": first,
            "last_name": last,
            "email": f"{_ascii(first)}.{_ascii(last)}@example.test",
            "status": "disabled" if number == len(_USER_NAMES) - 1 else "active",
            "confirm": True,
            "role": {"name": role, "id": catalog.record_id(catalog.METADATA_CODE, 100 + number)},
            "profile": {
                "name": profile,
                "id": catalog.record_id(catalog.METADATA_CODE, 200 + (profile == "Standard")),
            },
            "type__s": "Regular User",
            "time_zone": self.zone.key,
            "locale": "en_US",
            "country_locale": "en_US",
            "date_format": "MMM d, yyyy",
            "time_format": "hh:mm a",
            "created_time": created,
            "created_by": creator,
            "Modified_Time": created,
            "Modified_By": creator,
            "Isonline": number == 0,
        }

    def _times_of(self, module: Module, index: int) -> tuple[int, int]:
        times = self.times(module)
        return times.created[index], times.modified[index]

    def _special(self, module: Module, index: int, field: Field, h: int) -> Any:
        kind = field.kind
        if kind in ("created", "modified", "activity"):
            created, modified = self._times_of(module, index)
            if kind == "activity" and chance(h, 400):
                return None
            return timefmt.crm_datetime(created if kind == "created" else modified, self.zone)
        if kind in ("creator", "modifier") or field.data_type == "ownerlookup":
            return self.owner_value(self.user(h))
        if kind in ("converted", "converted_at", "converted_to"):
            return self._conversion(module, index, field)
        if kind == "full_name":
            first = self.value(module, index, module.field_map["First_Name"])
            last = self.value(module, index, module.field_map["Last_Name"])
            return f"{first} {last}" if first else last
        if kind in ("email", "email2") and "First_Name" in module.field_map:
            if kind == "email2" and chance(h, 500):
                return None
            first = self.value(module, index, module.field_map["First_Name"])
            last = self.value(module, index, module.field_map["Last_Name"])
            domain = pick(h, pools.DOMAINS)
            return f"{_ascii(first)}.{_ascii(last)}.{index + 1}@{domain}"
        if kind == "autonumber":
            return f"SV-{index + 1:06d}"
        if kind == "available":
            return "Available"
        if kind == "tags":
            if chance(h, 700):
                return []
            return [tag(below(h, len(TAGS)))]
        if field.data_type == "formula":
            return self._formula(module, index, field)
        return _NOT_SPECIAL

    def _conversion(self, module: Module, index: int, field: Field) -> Any:
        converted = bool(self.times(module).flags[index] & CONVERTED)
        if field.kind == "converted":
            return converted
        if not converted:
            return None
        if field.kind == "converted_at":
            _, modified = self._times_of(module, index)
            return timefmt.crm_datetime(modified, self.zone)
        target = catalog.MODULES_BY_NAME[field.lookup or ""]
        target_index = self.live_index(target, mix(self.seed, module.code, index, target.code))
        return None if target_index is None else self.lookup(target, target_index)

    def _formula(self, module: Module, index: int, field: Field) -> Any:
        fields = module.field_map
        if field.kind == "total":
            quantity = self.value(module, index, fields["Quantity"])
            price = self.value(module, index, fields["Unit_Price"])
            return formula_total(quantity, price)
        if field.kind == "expected_revenue":
            amount = self.value(module, index, fields["Amount"])
            probability = self.value(module, index, fields["Probability"])
            return formula_expected_revenue(amount, probability)
        name = self.value(module, index, fields["Name"])
        status = self.value(module, index, fields["Status"])
        return formula_label(name, status)

    def _typed(self, module: Module, index: int, field: Field, h: int) -> Any:
        data_type = field.data_type
        if data_type in ("text", "textarea", "phone", "website", "email"):
            return self._text(module, index, field, h)
        if data_type == "picklist":
            return pick(h, field.picklist)
        if data_type == "multiselectpicklist":
            return [value for bit, value in enumerate(field.picklist) if h >> (bit + 3) & 1]
        if data_type == "integer":
            return 1 + below(h, 20) if field.kind == "quantity" else below(h, 250_000)
        if data_type == "bigint":
            return str(below(h, 10**17)).zfill(15 + below(h >> 7, 4))
        if data_type in ("double", "currency"):
            return below(h, 10_000_000) / 100
        if data_type == "percent":
            return below(h, 10_001) / 100
        if data_type == "boolean":
            return bool(h & 1)
        if data_type == "date":
            return self._date(field, h)
        if data_type == "datetime":
            return timefmt.crm_datetime(self.start + below(h, self.end - self.start), self.zone)
        if data_type in ("lookup", "multi_module_lookup"):
            target = catalog.MODULES_BY_NAME[field.lookup or ""]
            target_index = self.live_index(target, h)
            return None if target_index is None else self.lookup(target, target_index)
        if data_type == "userlookup":
            return self.owner_value(self.user(h), with_email=False)
        if data_type == "layout":
            return catalog.layout(module)
        msg = f"no generator for data type {data_type!r}"
        raise AssertionError(msg)

    def _text(self, module: Module, index: int, field: Field, h: int) -> str:
        kind = field.kind
        by_kind: dict[str, tuple[str | None, ...]] = {
            "city": pools.CITIES,
            "state": _STATES,
            "country": pools.COUNTRIES,
            "street": pools.STREETS,
            "title": pools.TITLES,
            "department": _DEPARTMENTS,
            "paragraph": _PARAGRAPHS,
            "phrase": _PHRASES,
        }
        if kind == "first_name":
            return pick(mix(self.seed, module.code, index, 11), pools.FIRST)
        if kind == "last_name":
            return pick(mix(self.seed, module.code, index, 12), pools.LAST)
        if kind in ("company", "deal", "visit", "tier"):
            base = pick(h, pools.COMPANIES)
            label = {"company": "", "deal": "Deal – ", "visit": "Visit ", "tier": "Tier "}[kind]
            return f"{label}{base} #{index + 1}"
        if kind in by_kind:
            return pick(h, by_kind[kind]) or pick(h, pools.CITIES) or ""
        if kind == "zip":
            return pick(h, ("{:05d}", "SW1A {}AA", "H3Z {:03d}", "{:02d}-950")).format(below(h, 99))
        if kind == "external_id":
            return f"EXT-{module.code:02d}-{index + 1:08d}"
        if kind in ("handle", "ticker"):
            return f"{pick(h, ('zoe', 'jose', 'bjorn', 'ngozi'))}_{below(h, 10_000)}"
        if field.data_type == "phone":
            return f"+1 (555) 0{below(h, 100):02d}-{below(h >> 9, 10_000):04d}"
        if field.data_type == "website":
            return f"https://www.{_ascii(pick(h, pools.COMPANIES))}.example/{below(h, 100)}"
        if field.data_type == "email":
            return f"{_ascii(pick(h, pools.FIRST))}.{below(h, 10**6)}@{pick(h >> 5, pools.DOMAINS)}"
        if field.data_type == "textarea":
            return pick(h, _PARAGRAPHS)
        return f"{pick(h, _WORDS)} {pick(h >> 17, _WORDS)} {below(h, 1000)}"

    def _date(self, field: Field, h: int) -> str:
        if field.kind == "birthday":
            return dt.date(
                1950 + below(h, 55), 1 + below(h >> 8, 12), 1 + below(h >> 16, 28)
            ).isoformat()
        if field.kind == "future_date":
            return timefmt.crm_date(self.end + below(h, 365) * DAY, self.zone)
        return timefmt.crm_date(self.start + below(h, self.end - self.start), self.zone)

    def _detail_value(self, module: Module, index: int, field: Field) -> list[dict[str, Any]]:
        parent = {
            "name": self.display_name(module, index),
            "id": catalog.record_id(module.code, index),
        }
        if field.data_type == "multiselectlookup":
            accounts = catalog.MODULES_BY_NAME["Accounts"]
            links = []
            for number in range(index % 3):
                account = self.live_index(accounts, mix(self.seed, index, number, 31))
                if account is not None:
                    link_id = catalog.record_id(catalog.LINK_ROW_CODE, index * 3 + number)
                    links.append({"Linked_Account": self.lookup(accounts, account), "id": link_id})
            return links
        created, modified = self._times_of(module, index)
        rows = []
        for number in range(below(mix(self.seed, index, 41), 4)):
            h = mix(self.seed, index, number, 43)
            rows.append(
                {
                    "id": catalog.record_id(catalog.SUBFORM_ROW_CODE, index * 4 + number),
                    "Parent_Id": parent,
                    "Item_Name": pick(h, _PHRASES),
                    "Quantity": 1 + below(h, 9),
                    "Unit_Price": below(h >> 9, 100_000) / 100,
                    "Created_Time": timefmt.crm_datetime(created, self.zone),
                    "Modified_Time": timefmt.crm_datetime(modified, self.zone),
                    "$in_merge": False,
                    "$field_states": None,
                    "$zia_visions": None,
                }
            )
        return rows


_NOT_SPECIAL = object()


def tag(number: int) -> dict[str, Any]:
    """Tag number ``number`` of :data:`TAGS` as records carry it in ``Tag``."""
    name, colour = TAGS[number]
    return {
        "name": name,
        "id": catalog.record_id(catalog.TAG_MODULE_CODE, number),
        "color_code": colour,
    }


def formula_total(quantity: Any, price: Any) -> float | None:
    """Service_Visits.Total_Amount = Quantity × Unit_Price."""
    return None if quantity is None or price is None else round(quantity * price, 2)


def formula_expected_revenue(amount: Any, probability: Any) -> float | None:
    """Deals.Expected_Revenue = Amount × Probability / 100."""
    if amount is None or probability is None:
        return None
    return float(round(amount * probability / 100, 2))


def formula_label(name: Any, status: Any) -> str | None:
    """Service_Visits.Visit_Label = Name (Status)."""
    return None if name is None else f"{name} ({status or 'none'})"


@functools.cache
def _module_times(seed: int, size: int, module_code: int, start: int, end: int) -> ModuleTimes:
    """Created and modified times (see :func:`timeline`) and flags of a module's records."""
    created = array.array("q", bytes(8 * size))
    modified = array.array("q", bytes(8 * size))
    deleted_at = array.array("q", bytes(8 * size))
    flags = array.array("B", bytes(size))
    converts = module_code == 1
    approvals = module_code in (1, 4)
    times = timeline(seed, module_code, size, start, end, max_delay=120 * DAY)
    for index, (h, born, touched) in enumerate(times):
        created[index] = born
        modified[index] = touched
        flag = 0
        if (h >> 40) & 1023 < 5:
            flag = SEED_DELETED | (PERMANENTLY_DELETED if (h >> 50) & 7 < 2 else 0)
            deleted_at[index] = max(touched, end - (h >> 13) % (50 * DAY))
        if converts and (h >> 53) & 1023 < 102:
            flag |= CONVERTED
        if approvals and (h >> 44) & 1023 < 10:
            flag |= UNAPPROVED
        flags[index] = flag
    return ModuleTimes(created, modified, deleted_at, flags)
