"""The org's fixed records: the organization, its 3 departments and 8 agents.

Shaped as the examples of Desk's API documentation show them.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from zoho_emulator import timefmt
from zoho_emulator.desk import catalog

PORTAL = "emulatedsupport"

_DEPARTMENTS = (
    ("Support", "Acme Help", "Front-line support, 24/7", "AVAILABLE"),
    ("Billing, Refunds & Co", "Billing", 'Invoices, "refunds" and disputes', "NOT_CREATED"),
    ("Ventes (EMEA)", "Ventes", "Pré-vente et renouvellements\nÉquipe Paris", "DISABLED"),
)
#: (first name, last name, rolePermissionType, status, confirmed)
_AGENTS = (
    ("Sam", "Lee", "Admin", "ACTIVE", True),
    ("Zoë", "Ng", "AgentPublic", "ACTIVE", True),
    ("José", "Álvarez", "AgentPersonal", "ACTIVE", True),
    ("Priya", "Raman", "AgentTeamPersonal", "ACTIVE", True),
    ("Émile", "Laurent", "Custom", "ACTIVE", True),
    ("Ngozi", "O'Okafor", "AgentPublic", "ACTIVE", False),
    ("Björn", "Berg", "AgentPublic", "DISABLED", True),
    ("Hana", "Sato", "Light", "ACTIVE", True),
)
PROFILES = ("Administrator", "Agent", "Light Agent")
ROLES = ("CEO", "Support Lead", "Support Agent")
#: Agents that own and work records: active, confirmed-or-not, not light.
WORKING_AGENTS = tuple(
    number
    for number, (_, _, permission, status, _) in enumerate(_AGENTS)
    if status == "ACTIVE" and permission != "Light"
)
#: The agent the API user is: creator and modifier of API writes.
API_USER = 0


def ascii_name(text: str | None) -> str:
    """A name folded to lower-case ASCII letters and digits, for email addresses."""
    folded = unicodedata.normalize("NFKD", text or "x").encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum()) or "x"


def department_id(number: int) -> str:
    """The id of department ``number``."""
    return catalog.record_id(catalog.DEPARTMENT_CODE, number)


def agent_id(number: int) -> str:
    """The id of agent ``number``."""
    return catalog.record_id(catalog.AGENT_CODE, number)


def department_count() -> int:
    """How many departments the org has."""
    return len(_DEPARTMENTS)


def agents_of(department: int) -> tuple[int, ...]:
    """Working agents of a department (the admin belongs to every department)."""
    return tuple(n for n in WORKING_AGENTS if n == API_USER or n % len(_DEPARTMENTS) == department)


def role_of(number: int) -> int:
    """The role (index into :data:`ROLES`) of agent ``number``."""
    return min(number, len(ROLES) - 1)


def layout_name(layout: str) -> str:
    """The name of a ticket layout: one per department, the first the default."""
    number = (catalog.parse_id(layout, catalog.LAYOUT_CODE) or 0) % 10
    return "Default Ticket Layout" if number == 0 else f"{_DEPARTMENTS[number][0]} Layout"


def organization(org_id: str) -> dict[str, Any]:
    """The organization record.

    Its ``id`` JSON type is not documented by Zoho: we assume a number when the org id is
    numeric (as Airbyte's schema types it), else a string.
    """
    return {
        "id": int(org_id) if org_id.isdigit() else org_id,
        "companyName": "Emulated Support (Zürich), Inc.",
        "portalName": PORTAL,
        "portalURL": f"https://desk.zoho.com/support/{PORTAL}",
        "edition": "ENTERPRISE",
        "isDefault": True,
        "isAdminInOrg": True,
        "isSandboxPortal": False,
        "isPayloadEncryptionEnabled": False,
        "employeeCount": "25",
        "currencyCode": "USD",
        "currencyLocale": "en_US",
        "currencySymbol": "$",
        "phoneNumber": "+1 (555) 010-0100",
        "mobile": None,
        "fax": None,
        "website": "www.emulated-support.example",
        "primaryContact": "ops@emulated-support.example",
        "street": "1 Main St., Suite 5",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
        "country": "United States",
        "logoURL": None,
        "faviconURL": None,
    }


def departments(start_ms: int) -> list[dict[str, Any]]:
    """The departments, created before any seeded record."""
    return [
        {
            "id": department_id(number),
            "name": name,
            "nameInCustomerPortal": portal_name,
            "description": description,
            "isDefault": number == 0,
            "isEnabled": True,
            "isVisibleInCustomerPortal": number != 2,
            "isAssignToTeamEnabled": False,
            "hasLogo": False,
            "chatStatus": chat,
            "creatorId": agent_id(API_USER),
            "createdTime": timefmt.desk_datetime(start_ms - (120 - number) * catalog.DAY_MS),
        }
        for number, (name, portal_name, description, chat) in enumerate(_DEPARTMENTS)
    ]


def agents() -> list[dict[str, Any]]:
    """The agents."""
    rows = []
    for number, (first, last, permission, status, confirmed) in enumerate(_AGENTS):
        profile = 0 if permission == "Admin" else 2 if permission == "Light" else 1
        rows.append(
            {
                "id": agent_id(number),
                "firstName": first,
                "lastName": last,
                "name": f"{first} {last}",
                "emailId": f"{ascii_name(first)}.{ascii_name(last)}@emulated-support.example",
                "phone": f"+1 (555) 010-{150 + number:04d}",
                "mobile": "",
                "extn": str(301 + number),
                "zuid": str(70100123 + number),
                "roleId": catalog.record_id(catalog.ROLE_CODE, role_of(number)),
                "profileId": catalog.record_id(catalog.PROFILE_CODE, profile),
                "rolePermissionType": permission,
                "status": status,
                "isConfirmed": confirmed,
                "langCode": "en_US",
                "countryCode": "en_US",
                "timeZone": ("America/Chicago", "Europe/Paris", "Asia/Tokyo")[number % 3],
                "photoURL": None,
                "aboutInfo": "",
                "channelExpert": ["Email", "Phone", "Chat"][: 1 + number % 3],
                "associatedDepartmentIds": [
                    department_id(d) for d in range(len(_DEPARTMENTS)) if number in agents_of(d)
                ]
                or [department_id(number % len(_DEPARTMENTS))],
                "associatedChatDepartmentIds": [],
            }
        )
    return rows


def named(kind: tuple[str, ...], code: int, number: int) -> dict[str, str]:
    """``{id, name}`` of a profile or role, as ``include=profile,role`` shows it."""
    return {"id": catalog.record_id(code, number), "name": kind[number]}
