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
    from collections.abc import Callable
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
        """A value Zoho computes or that follows from others (by kind), or ``_NOT_SPECIAL``."""
        by_kind = _SPECIAL_KINDS.get(field.kind)
        if by_kind is not None:
            return by_kind(self, module, index, field, h)
        if field.data_type == "ownerlookup":
            return self._owner(module, index, field, h)
        if field.data_type == "formula":
            return self._formula(module, index, field)
        return _NOT_SPECIAL

    def _stamp(self, module: Module, index: int, field: Field, h: int) -> str | None:
        created, modified = self._times_of(module, index)
        if field.kind == "activity" and chance(h, 400):
            return None
        return timefmt.crm_datetime(created if field.kind == "created" else modified, self.zone)

    def _owner(self, _module: Module, _index: int, _field: Field, h: int) -> dict[str, Any]:
        return self.owner_value(self.user(h))

    def _full_name(self, module: Module, index: int, _field: Field, _h: int) -> str:
        first = self.value(module, index, module.field_map["First_Name"])
        last = self.value(module, index, module.field_map["Last_Name"])
        return f"{first} {last}" if first else last

    def _person_email(self, module: Module, index: int, field: Field, h: int) -> Any:
        """A person's email, made of their name; other modules' emails are not special."""
        if "First_Name" not in module.field_map:
            return _NOT_SPECIAL
        if field.kind == "email2" and chance(h, 500):
            return None
        first = self.value(module, index, module.field_map["First_Name"])
        last = self.value(module, index, module.field_map["Last_Name"])
        domain = pick(h, pools.DOMAINS)
        return f"{_ascii(first)}.{_ascii(last)}.{index + 1}@{domain}"

    def _tags(self, _module: Module, _index: int, _field: Field, h: int) -> list[dict[str, Any]]:
        if chance(h, 700):
            return []
        return [tag(below(h, len(TAGS)))]

    def _conversion(self, module: Module, index: int, field: Field, _h: int) -> Any:
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
        plain = _PLAIN_VALUES.get(data_type)
        if plain is not None:
            return plain(field, h)
        if data_type in ("text", "textarea", "phone", "website", "email"):
            return self._text(module, index, field, h)
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
        if kind in ("first_name", "last_name"):
            names, salt = (pools.FIRST, 11) if kind == "first_name" else (pools.LAST, 12)
            return pick(mix(self.seed, module.code, index, salt), names)
        if kind == "product":
            return f"{pick(h, _PRODUCT_NAMES)} P-{index + 1:05d}"
        if kind in _NAME_LABELS:
            return f"{_NAME_LABELS[kind]}{pick(h, pools.COMPANIES)} #{index + 1}"
        if kind in _TEXT_POOLS:
            return pick(h, _TEXT_POOLS[kind]) or pick(h, pools.CITIES) or ""
        if kind == "external_id":
            return f"EXT-{module.code:02d}-{index + 1:08d}"
        text = _TEXT_KINDS.get(kind) or _TEXT_TYPES.get(field.data_type, _words)
        return text(h)

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
        return self._rows(module, index, field, parent)

    def _rows(
        self, module: Module, index: int, field: Field, parent: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """A record's subform rows: none to three, at least one where a row needs a value.

        Each row's id is of the row module's code, so rows of two subforms never share one.
        """
        rows_module = catalog.MODULES_BY_NAME[field.subform or ""]
        writable = [f for f in rows_module.fields if f.writable and f.api_name != "Parent_Id"]
        least = any(f.mandatory for f in writable)
        created, modified = (
            timefmt.crm_datetime(t, self.zone) for t in self._times_of(module, index)
        )
        rows = []
        for number in range(least + below(mix(self.seed, module.code, index, 41), 4 - least)):
            row_index = index * 4 + number
            row: dict[str, Any] = {"id": catalog.record_id(rows_module.code, row_index)}
            row["Parent_Id"] = parent
            for row_field in writable:
                h = mix(self.seed, rows_module.code, row_index, code(row_field.api_name))
                row[row_field.api_name] = self._typed(rows_module, row_index, row_field, h)
            derive_row(rows_module, row)
            row |= {"Created_Time": created, "Modified_Time": modified}
            row |= {"$in_merge": False, "$field_states": None, "$zia_visions": None}
            rows.append(row)
        return rows

    def _grand_total(self, module: Module, index: int, _field: Field, _h: int) -> float:
        rows = [
            row
            for field in module.fields
            if field.data_type == "subform"
            for row in self._detail_value(module, index, field)
        ]
        return grand_total(rows)


_NOT_SPECIAL = object()
#: The values of special kinds of field (see :meth:`Generator._special`).
_SPECIAL_KINDS: dict[str, Callable[[Generator, Module, int, Field, int], Any]] = {
    "created": Generator._stamp,
    "modified": Generator._stamp,
    "activity": Generator._stamp,
    "creator": Generator._owner,
    "modifier": Generator._owner,
    "converted": Generator._conversion,
    "converted_at": Generator._conversion,
    "converted_to": Generator._conversion,
    "full_name": Generator._full_name,
    "email": Generator._person_email,
    "email2": Generator._person_email,
    "autonumber": lambda _gen, _module, index, _field, _h: f"SV-{index + 1:06d}",
    "available": lambda *_: "Available",
    "source_id": lambda *_: None,
    "tags": Generator._tags,
    "grand_total": Generator._grand_total,
}


def _decimal(_field: Field, h: int) -> float:
    return below(h, 10_000_000) / 100


#: Values that follow from the field and the hash alone, by data type.
_PLAIN_VALUES: dict[str, Callable[[Field, int], Any]] = {
    "picklist": lambda field, h: pick(h, field.picklist),
    "multiselectpicklist": lambda field, h: [
        value for bit, value in enumerate(field.picklist) if h >> (bit + 3) & 1
    ],
    "integer": lambda field, h: 1 + below(h, 20) if field.kind == "quantity" else below(h, 250_000),
    "bigint": lambda _, h: str(below(h, 10**17)).zfill(15 + below(h >> 7, 4)),
    "double": lambda field, h: (
        float(1 + below(h, 20)) if field.kind == "quantity" else _decimal(field, h)
    ),
    "currency": _decimal,
    "percent": lambda _, h: below(h, 10_001) / 100,
    "boolean": lambda _, h: bool(h & 1),
}
#: Text fields of these kinds are the name of a company, labelled, numbered by record.
_NAME_LABELS = {"company": "", "deal": "Deal – ", "visit": "Visit ", "tier": "Tier "}
_NAME_LABELS |= {"order": "Order – "}
#: Products are named from these, numbered by record.
_PRODUCT_NAMES = ("Filter cartridge", "Pump, 2 kW", "Valve (brass)", "Gasket set", "Capteur")
#: Text fields of these kinds are drawn from a pool (a None drawn: a city instead).
_TEXT_POOLS: dict[str, tuple[str | None, ...]] = {
    "city": pools.CITIES,
    "state": _STATES,
    "country": pools.COUNTRIES,
    "street": pools.STREETS,
    "title": pools.TITLES,
    "department": _DEPARTMENTS,
    "paragraph": _PARAGRAPHS,
    "phrase": _PHRASES,
}


def _handle(h: int) -> str:
    return f"{pick(h, ('zoe', 'jose', 'bjorn', 'ngozi'))}_{below(h, 10_000)}"


def _words(h: int) -> str:
    return f"{pick(h, _WORDS)} {pick(h >> 17, _WORDS)} {below(h, 1000)}"


#: Text that follows from the hash alone, by kind, then by data type (else :func:`_words`).
_TEXT_KINDS: dict[str, Callable[[int], str]] = {
    "zip": lambda h: pick(h, ("{:05d}", "SW1A {}AA", "H3Z {:03d}", "{:02d}-950")).format(
        below(h, 99)
    ),
    "handle": _handle,
    "ticker": _handle,
}
_TEXT_TYPES: dict[str, Callable[[int], str]] = {
    "phone": lambda h: f"+1 (555) 0{below(h, 100):02d}-{below(h >> 9, 10_000):04d}",
    "website": lambda h: f"https://www.{_ascii(pick(h, pools.COMPANIES))}.example/{below(h, 100)}",
    "email": lambda h: (
        f"{_ascii(pick(h, pools.FIRST))}.{below(h, 10**6)}@{pick(h >> 5, pools.DOMAINS)}"
    ),
    "textarea": lambda h: pick(h, _PARAGRAPHS),
}


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


def derive_row(rows_module: Module, row: dict[str, Any]) -> None:
    """Set what Zoho computes in a subform row: a line item's Total (List_Price × Quantity)."""
    for field in rows_module.fields:
        if field.kind == "line_total":
            row[field.api_name] = formula_total(row.get("Quantity"), row.get("List_Price"))


def grand_total(rows: list[dict[str, Any]]) -> float:
    """An inventory record's Grand_Total: the sum of its line items' totals."""
    return round(sum(row.get("Total") or 0 for row in rows), 2)


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
