"""The Zoho Desk emulator over real HTTP: a ``zoho-emulator serve`` process per module."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pathlib
import re
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.server import running_emulator

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Generator, Iterator

RECORDS = 300
DESK_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
EVERYTHING = "2000-01-01T00:00:00.000Z,2100-01-01T00:00:00.000Z"
UNKNOWN_ID = "311000030999999999"
DEPARTMENT = "311000010000000001"
OTHER_DEPARTMENT = "311000010000000002"
SEEDED_CONTACT = "311000020000000005"
ACTIVE_AGENT = "311000011000000002"
DISABLED_AGENT = "311000011000000007"


@dataclasses.dataclass
class Desk:
    """A running emulator and a Desk client for it."""

    url: str
    org_id: str
    token: str
    process: subprocess.Popen[str]

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        org: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        sent = {
            "Authorization": f"Zoho-oauthtoken {token or self.token}",
            "orgId": org or self.org_id,
        }
        sent.update(headers or {})
        sent = {key: value for key, value in sent.items() if value}
        url = f"{self.url}/api/v1/{path}"
        return requests.request(method, url, headers=sent, timeout=120, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, params=params)

    def data(self, path: str, **params: Any) -> list[dict[str, Any]]:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()["data"]
        return rows

    def everything(self, path: str, limit: int = 100, **params: Any) -> list[dict[str, Any]]:
        """All rows of a list endpoint, paged with a 1-based ``from``."""
        return self._pages(path, 1, limit, params)

    def searched(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """All rows of a search, paged with a 0-based ``from``."""
        return self._pages(path, 0, 100, params)

    def _pages(
        self, path: str, first: int, limit: int, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            response = self.get(path, limit=limit, **{"from": first + len(rows)}, **params)
            if response.status_code == 204:
                return rows
            page = response.json()["data"]
            assert page, "an empty page must be a 204"
            rows += page
            if len(page) < limit:
                return rows

    def post(self, path: str, body: Any) -> requests.Response:
        return self.call("POST", path, json=body)

    def patch(self, path: str, body: Any) -> requests.Response:
        return self.call("PATCH", path, json=body)

    def settings(self, **changes: float) -> None:
        response = requests.patch(f"{self.url}/__emulator__/settings", json=changes, timeout=30)
        response.raise_for_status()

    def reset(self) -> None:
        requests.post(f"{self.url}/__emulator__/reset", timeout=60).raise_for_status()


@pytest.fixture(scope="module")
def server() -> Iterator[Desk]:
    yield from _serve()


@pytest.fixture
def desk(server: Desk) -> Iterator[Desk]:
    """The module's emulator for a test that writes: seeded data restored before and after."""
    server.reset()
    yield server
    server.reset()


@pytest.fixture(scope="module")
def narrow() -> Iterator[Desk]:
    """An emulator whose token has only ``Desk.tickets.READ``."""
    yield from _serve("--scopes", "Desk.tickets.READ")


def _serve(*flags: str) -> Generator[Desk, None, None]:
    with running_emulator("--records", str(RECORDS), "--concurrency", "0", *flags) as server:
        yield Desk(server.url, server.desk_org_id, server.token(), server.process)


def _error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["errorCode"] == code
    return body


def _weight(response: requests.Response) -> int:
    return int(response.headers["X-Rate-Limit-Request-Weight-v3"])


def _millis(text: str) -> int:
    moment = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    return round(moment.timestamp() * 1000)


def _window(start: str, end: str) -> str:
    return f"{start},{end}"


# -- authentication, scopes, orgId -----------------------------------------------------------


def test_missing_token_is_unauthorized(server: Desk) -> None:
    response = requests.get(
        f"{server.url}/api/v1/tickets", headers={"orgId": server.org_id}, timeout=30
    )
    _error(response, 401, "UNAUTHORIZED")


def test_unknown_token_is_invalid_oauth(server: Desk) -> None:
    _error(server.call("GET", "tickets", token="1000.nope.nope"), 401, "INVALID_OAUTH")


def test_bearer_scheme_is_accepted(server: Desk) -> None:
    response = server.call("GET", "tickets", headers={"Authorization": f"Bearer {server.token}"})
    assert response.status_code == 200


def test_missing_org_id_is_unprocessable(server: Desk) -> None:
    response = requests.get(
        f"{server.url}/api/v1/tickets",
        headers={"Authorization": f"Zoho-oauthtoken {server.token}"},
        timeout=30,
    )
    body = _error(response, 422, "UNPROCESSABLE_ENTITY")
    assert "orgId" in body["message"]


def test_org_id_may_come_as_query_parameter(server: Desk) -> None:
    response = requests.get(
        f"{server.url}/api/v1/tickets",
        params={"orgId": server.org_id, "limit": "1"},
        headers={"Authorization": f"Zoho-oauthtoken {server.token}"},
        timeout=30,
    )
    assert response.status_code == 200
    assert len(response.json()["data"]) == 1


def test_other_org_id_is_org_mismatch(server: Desk) -> None:
    _error(server.call("GET", "contacts", org="999999"), 401, "OAUTH_ORG_MISMATCH")


def test_missing_scope_is_scope_mismatch(narrow: Desk) -> None:
    assert narrow.get("tickets", limit=1).status_code == 200
    _error(narrow.get("tickets/search", limit=1), 401, "SCOPE_MISMATCH")
    _error(narrow.get("contacts"), 401, "SCOPE_MISMATCH")
    _error(narrow.get("agents"), 401, "SCOPE_MISMATCH")
    _error(narrow.post("tickets", {"subject": "x"}), 401, "SCOPE_MISMATCH")


def test_organizations_need_no_org_id(server: Desk) -> None:
    headers = {"Authorization": f"Zoho-oauthtoken {server.token}"}
    for path in ("organizations", "accessibleOrganizations"):
        response = requests.get(f"{server.url}/api/v1/{path}", headers=headers, timeout=30)
        assert response.status_code == 200
        (org,) = response.json()["data"]
        assert str(org["id"]) == server.org_id
        assert org["edition"] == "ENTERPRISE"
        assert org["employeeCount"] == "25"
    single = requests.get(
        f"{server.url}/api/v1/organizations/{server.org_id}", headers=headers, timeout=30
    )
    assert single.json()["portalName"] == "emulatedsupport"
    missing = requests.get(f"{server.url}/api/v1/organizations/1", headers=headers, timeout=30)
    _error(missing, 404, "URL_NOT_FOUND")


# -- query parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["tickets", "contacts", "accounts", "tasks", "tickets/search", "agents", "fields"]
)
def test_unknown_query_parameter_is_refused(server: Desk, path: str) -> None:
    body = _error(server.get(path, foo="1"), 422, "UNPROCESSABLE_ENTITY")
    assert body["message"] == "Extra query parameter 'foo' is present in the input."


def test_sort_order_is_not_a_record_list_parameter(server: Desk) -> None:
    body = _error(server.get("tickets", sortOrder="asc"), 422, "UNPROCESSABLE_ENTITY")
    assert body["message"] == "Extra query parameter 'sortOrder' is present in the input."


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("tickets", {"limit": "0"}),
        ("tickets", {"limit": "101"}),
        ("tickets", {"limit": "ten"}),
        ("contacts", {"limit": "101"}),
        ("accounts", {"from": "-1"}),
        ("tickets", {"sortBy": "modifiedTime"}),
        ("contacts", {"sortBy": "modifiedTime"}),
        ("tickets/search", {"limit": "101"}),
        ("tickets/search", {"sortBy": "dueDate"}),
        ("agents", {"limit": "201"}),
        ("departments", {"limit": "0"}),
        ("tickets", {"status": "Open,,Closed"}),
        ("agents", {"status": "ASLEEP"}),
    ],
)
def test_bad_values_are_unprocessable(server: Desk, path: str, params: dict[str, str]) -> None:
    body = _error(server.get(path, **params), 422, "UNPROCESSABLE_ENTITY")
    name = next(iter(params))
    assert body["message"] == f"The value passed for the '{name}' query parameter is invalid."


# -- lists and paging ------------------------------------------------------------------------


def test_ticket_list_pages(server: Desk) -> None:
    assert len(server.data("tickets")) == 25  # the default limit
    assert len(server.data("tickets", limit=100)) == 100
    tickets = server.everything("tickets")
    assert len(tickets) == RECORDS
    assert len({ticket["id"] for ticket in tickets}) == RECORDS


def test_list_from_is_one_based_and_zero_means_the_first(server: Desk) -> None:
    zero = server.data("contacts", limit=5, **{"from": 0})
    one = server.data("contacts", limit=5, **{"from": 1})
    two = server.data("contacts", limit=5, **{"from": 2})
    assert zero == one
    assert [row["id"] for row in two[:4]] == [row["id"] for row in one[1:]]


def test_list_past_the_end_is_204_with_empty_body(server: Desk) -> None:
    for path in ("tickets", "contacts", "accounts", "tasks", "calls", "events", "agents"):
        response = server.get(path, **{"from": 5000})
        assert response.status_code == 204
        assert response.content == b""


def test_ticket_list_rows_are_reduced(server: Desk) -> None:
    row = server.data("tickets", limit=1)[0]
    for absent in ("modifiedTime", "cf", "description", "customFields"):
        assert absent not in row
    assert isinstance(row["threadCount"], str)
    assert row["statusType"] in ("Open", "On Hold", "Closed")
    full = server.get(f"tickets/{row['id']}").json()
    assert DESK_TIME.fullmatch(full["modifiedTime"])
    assert set(full["cf"]) >= {"cf_serial_number", "cf_warranty_until", "cf_is_vip", "cf_units"}
    assert all(value is None or isinstance(value, str) for value in full["cf"].values())
    assert full["customFields"]["Is VIP"] == full["cf"]["cf_is_vip"]
    assert {key: full[key] for key in row} == row
    assert full["webUrl"].endswith(f"#Cases/dv/{row['id']}")
    for counter in ("threadCount", "commentCount", "taskCount", "attachmentCount"):
        assert full[counter].isdigit()


def test_ticket_list_sorts(server: Desk) -> None:
    created = [t["createdTime"] for t in server.data("tickets", limit=100)]
    assert created == sorted(created)
    newest = [t["createdTime"] for t in server.data("tickets", limit=100, sortBy="-createdTime")]
    assert newest == sorted(newest, reverse=True)
    assert newest[0] > created[-1]
    due = [t["dueDate"] for t in server.everything("tickets", sortBy="dueDate")]
    dated = [value for value in due if value is not None]
    assert due == [None] * (len(due) - len(dated)) + sorted(dated)
    assert len(server.data("tickets", sortBy="-recentThread")) == 25


def test_ticket_list_filters_and_includes(server: Desk) -> None:
    closed = server.everything("tickets", status="Closed")
    assert closed
    assert {row["status"] for row in closed} == {"Closed"}
    in_department = server.everything("tickets", departmentId=OTHER_DEPARTMENT)
    assert {row["departmentId"] for row in in_department} == {OTHER_DEPARTMENT}
    unassigned = server.everything("tickets", assignee="Unassigned")
    assert unassigned
    assert {row["assigneeId"] for row in unassigned} == {None}
    row = server.data("tickets", limit=1, include="assignee,departments,contacts")[0]
    assert row["department"] == {"id": row["departmentId"], "name": "Support"}
    assert row["contact"]["id"] == row["contactId"]
    if row["assigneeId"]:
        assert row["assignee"]["id"] == row["assigneeId"]
    _error(server.get("tickets", include="secrets"), 422, "UNPROCESSABLE_ENTITY")


def test_contact_and_account_lists(server: Desk) -> None:
    contact = server.data("contacts", limit=1)[0]
    assert "modifiedTime" not in contact
    assert "cf" not in contact
    assert contact["customerHappiness"].keys() == {
        "badPercentage",
        "okPercentage",
        "goodPercentage",
    }
    last_names = [
        c["lastName"].casefold() for c in server.everything("contacts", sortBy="lastName")
    ]
    assert last_names == sorted(last_names)
    accounts = server.everything("accounts", sortBy="-accountName")
    assert len(accounts) == RECORDS // 5
    names = [a["accountName"].casefold() for a in accounts]
    assert names == sorted(names, reverse=True)
    detail = server.get(f"accounts/{accounts[0]['id']}").json()
    assert detail["isFollowing"] == "false"  # a string, as in Desk's example
    assert "cf_tier" in detail["cf"]
    assert len(server.everything("accounts", sortBy="-modifiedTime")) == RECORDS // 5


def test_activity_lists(server: Desk) -> None:
    for path in ("tasks", "calls", "events"):
        rows = server.everything(path)
        assert len(rows) == RECORDS // 10
        assert {"modifiedTime", "cf", "modifiedBy"} <= rows[0].keys()
        assert rows[0]["modifiedBy"].keys() == {"id", "firstName", "lastName", "photoURL"}
    priorities = [t["priority"].casefold() for t in server.everything("tasks", sortBy="priority")]
    assert priorities == sorted(priorities)
    starts = [c["startTime"] for c in server.everything("calls", sortBy="-startTime")]
    assert starts == sorted(starts, reverse=True)
    _error(server.get("calls", sortBy="dueDate"), 422, "UNPROCESSABLE_ENTITY")
    done = server.everything("tasks", isCompleted="true")
    assert done
    assert {task["status"] for task in done} == {"Completed"}
    owned = server.everything("tasks", assignee=ACTIVE_AGENT)
    assert {task["ownerId"] for task in owned} == {ACTIVE_AGENT}


def test_departments(server: Desk) -> None:
    departments = server.data("departments")
    assert [d["name"] for d in departments] == ["Support", "Billing, Refunds & Co", "Ventes (EMEA)"]
    assert server.get("departments/count").json() == {"count": 3}
    assert server.get("departments/count", chatStatus="AVAILABLE").json() == {"count": 1}
    assert server.data("departments", searchStr="billing")[0]["id"] == OTHER_DEPARTMENT
    assert server.get(f"departments/{DEPARTMENT}").json()["isDefault"] is True
    _error(server.get("departments/1"), 404, "URL_NOT_FOUND")


def test_agents(server: Desk) -> None:
    agents = server.data("agents")
    assert len(agents) == 8
    assert all("emailId" in agent and "email" not in agent for agent in agents)
    assert server.get("agents/count").json() == {"count": 8}
    assert server.get("agents/count", status="DISABLED").json() == {"count": 1}
    assert len(server.data("agents", limit=3, **{"from": 7})) == 2
    names = [a["firstName"] for a in server.data("agents", fieldName="firstName", sortOrder="desc")]
    assert names == sorted(names, key=str.casefold, reverse=True)
    light = server.data("agents", isLightAgent="true")
    assert [agent["rolePermissionType"] for agent in light] == ["Light"]
    with_roles = server.data("agents", include="profile,role", limit=1)[0]
    assert with_roles["profile"] == {"id": with_roles["profileId"], "name": "Administrator"}
    assert with_roles["role"]["id"] == with_roles["roleId"]
    single = server.get(f"agents/{ACTIVE_AGENT}", include="associatedDepartments").json()
    assert single["associatedDepartments"][0]["id"] in single["associatedDepartmentIds"]


# -- search ----------------------------------------------------------------------------------


def test_ticket_search_window_sorted_by_modified_time(server: Desk) -> None:
    everything = server.searched(
        "tickets/search", modifiedTimeRange=EVERYTHING, sortBy="modifiedTime"
    )
    assert len(everything) == RECORDS
    stamps = [row["modifiedTime"] for row in everything]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) < len(stamps), "some records share a modifiedTime"
    ids = [row["id"] for row in everything]
    assert ids != sorted(ids), "modifiedTime order is not id order"
    row = everything[0]
    assert "cf" in row
    assert "description" not in row
    start, end = stamps[100], stamps[199]
    window = server.searched(
        "tickets/search", modifiedTimeRange=_window(start, end), sortBy="-modifiedTime"
    )
    got = [r["modifiedTime"] for r in window]
    assert got == sorted(got, reverse=True)
    assert all(start <= stamp <= end for stamp in got)
    assert len(window) == sum(start <= stamp <= end for stamp in stamps)


def test_search_ranges_are_inclusive(server: Desk) -> None:
    row = server.data("tickets/search", modifiedTimeRange=EVERYTHING, sortBy="modifiedTime")[3]
    stamp = row["modifiedTime"]
    matches = server.data("tickets/search", modifiedTimeRange=_window(stamp, stamp))
    assert row["id"] in {match["id"] for match in matches}
    assert {match["modifiedTime"] for match in matches} == {stamp}
    created = server.data("contacts/search", createdTimeRange=EVERYTHING, sortBy="createdTime")
    first = created[0]["createdTime"]
    assert server.data("contacts/search", createdTimeRange=_window(first, first))[0] == created[0]


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01,2024-02-01",
        "2024-02-01T00:00:00.000Z,2024-01-01T00:00:00.000Z",
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T00:00:00+01:00,2024-02-01T00:00:00.000Z",
    ],
)
def test_bad_search_range_is_unprocessable(server: Desk, value: str) -> None:
    body = _error(
        server.get("tickets/search", modifiedTimeRange=value), 422, "UNPROCESSABLE_ENTITY"
    )
    assert "modifiedTimeRange" in body["message"]


def test_empty_search_is_204(server: Desk) -> None:
    response = server.get(
        "tickets/search", modifiedTimeRange="1990-01-01T00:00:00Z,1990-02-01T00:00:00Z"
    )
    assert response.status_code == 204
    assert response.content == b""


def test_search_from_is_zero_based(server: Desk) -> None:
    params = {"modifiedTimeRange": EVERYTHING, "sortBy": "createdTime", "limit": 5}
    zero = server.data("tickets/search", **params, **{"from": 0})
    one = server.data("tickets/search", **params, **{"from": 1})
    assert zero[1:] == one[:4]
    assert len(server.data("tickets/search")) == 10  # the default limit


def test_search_from_cap(server: Desk) -> None:
    assert server.get("tickets/search", **{"from": 999}).status_code == 204
    body = _error(server.get("tickets/search", **{"from": 1000}), 422, "UNPROCESSABLE_ENTITY")
    assert body["message"] == "The value passed for the 'from' query parameter is invalid."
    server.settings(search_from_cap=50)
    try:
        assert len(server.data("tickets/search", limit=100, **{"from": 50})) == 100
        _error(server.get("tickets/search", **{"from": 51}), 422, "UNPROCESSABLE_ENTITY")
    finally:
        server.settings(search_from_cap=999)


def test_ticket_search_criteria(server: Desk) -> None:
    closed = server.searched("tickets/search", status="Closed,On Hold")
    assert closed
    assert {row["status"] for row in closed} <= {"Closed", "On Hold"}
    assert len(closed) == len(server.everything("tickets", status="Closed,On Hold"))
    vip = server.searched("tickets/search", customField1="cf_region:EMEA")
    assert vip
    assert {row["cf"]["cf_region"] for row in vip} == {"EMEA"}
    empty = server.searched("tickets/search", priority="${empty}")
    assert empty
    assert {row["priority"] for row in empty} == {None}
    prefix = server.searched("tickets/search", subject="Printer*")
    assert prefix
    assert all(row["subject"].startswith("Printer") for row in prefix)
    contact = server.get(f"contacts/{SEEDED_CONTACT}").json()
    theirs = server.searched("tickets/search", contactId=SEEDED_CONTACT)
    assert {row["contactId"] for row in theirs} <= {SEEDED_CONTACT}
    if theirs:
        full_name = f"{contact['firstName'] or ''} {contact['lastName']}".strip()
        named = server.searched("tickets/search", contactName=full_name)
        assert {row["id"] for row in theirs} <= {row["id"] for row in named}
    text = server.searched("tickets/search", _all="beschädigt")
    assert text
    assert all("beschädigt" in row["subject"] for row in text)
    _error(server.get("tickets/search", subject="ab"), 422, "UNPROCESSABLE_ENTITY")
    _error(server.get("tickets/search", customField1="cf_nope:1"), 422, "UNPROCESSABLE_ENTITY")
    _error(server.get("tickets/search", customField1="subject:x"), 422, "UNPROCESSABLE_ENTITY")


def test_other_searches(server: Desk) -> None:
    contact = server.get(f"contacts/{SEEDED_CONTACT}").json()
    found = server.data("contacts/search", email=contact["email"].upper())
    assert [row["id"] for row in found] == [SEEDED_CONTACT]
    assert "modifiedTime" in found[0]
    accounts = server.searched("accounts/search", accountName="Café*")
    assert accounts
    assert all(row["accountName"].startswith("Café") for row in accounts)
    done = server.searched("tasks/search", field1="status:Completed", sortBy="-modifiedTime")
    assert done
    assert {row["status"] for row in done} == {"Completed"}
    stamps = [row["modifiedTime"] for row in done]
    assert stamps == sorted(stamps, reverse=True)
    _error(
        server.get("tasks/search", customField1="cf_effort_hours:1"), 422, "UNPROCESSABLE_ENTITY"
    )
    calls = server.searched("calls/search", modifiedTimeRange=EVERYTHING)
    assert len(calls) == RECORDS // 10


# -- counts ----------------------------------------------------------------------------------


def test_counts(server: Desk) -> None:
    assert server.get("ticketsCount").json() == {"count": str(RECORDS)}  # a string
    closed = len(server.everything("tickets", status="Closed"))
    assert server.get("ticketsCount", status="Closed").json() == {"count": str(closed)}
    assert server.get("contacts/count").json() == {"count": RECORDS}
    assert server.get("accounts/count").json() == {"count": RECORDS // 5}
    for path in ("tasks", "calls", "events"):
        response = server.get(f"{path}/count")
        assert response.json() == {"count": RECORDS // 10}
        assert _weight(response) == 50
    _error(server.get("tickets/count"), 404, "URL_NOT_FOUND")


# -- credits ---------------------------------------------------------------------------------


def test_credit_weights(server: Desk) -> None:
    ticket = server.data("tickets", limit=1)[0]["id"]
    assert _weight(server.get(f"tickets/{ticket}")) == 1
    assert _weight(server.get("tickets")) == 3
    assert _weight(server.get("tickets/search")) == 3
    assert _weight(server.get("ticketsCount")) == 1
    for offset, cost in ((2000, 3), (2001, 5), (10_001, 10), (50_001, 50), (100_001, 100)):
        assert _weight(server.get("contacts", **{"from": offset})) == cost
    assert _weight(server.get("tickets", foo="1")) == 0  # refused calls spend nothing


def test_remaining_credits_and_threshold(server: Desk) -> None:
    server.reset()
    server.settings(daily_credits=10)
    try:
        first = server.get("tickets")
        assert first.headers["X-Rate-Limit-Remaining-v3"] == "7"
        server.get("tickets")
        server.get("tickets")
        _error(server.get("tickets"), 429, "THRESHOLD_EXCEEDED")
    finally:
        server.settings(daily_credits=0)
        server.reset()


# -- field metadata --------------------------------------------------------------------------


def test_field_metadata(server: Desk) -> None:
    fields = {field["apiName"]: field for field in server.data("fields", module="tickets")}
    expected = {
        "cf_serial_number": "Text",
        "cf_warranty_until": "Date",
        "cf_severity_pct": "Percent",
        "cf_po_number": "Text",
        "cf_is_vip": "Boolean",
        "cf_region": "Picklist",
        "cf_units": "Number",
    }
    for name, kind in expected.items():
        assert fields[name]["type"] == kind
        assert fields[name]["isCustomField"] is True
        assert fields[name]["sourceType"] == "USERDEFINED"
    assert fields["subject"]["isCustomField"] is False
    assert fields["subject"]["isMandatory"] is True
    statuses = {v["value"]: v["statusType"] for v in fields["status"]["allowedValues"]}
    assert statuses["Waiting on Customer"] == "On Hold"
    assert {v["value"] for v in fields["cf_region"]["allowedValues"]} >= {"EMEA", "APAC"}
    custom = server.data("fields", module="tickets", filter="isCustomField='true'")
    assert {field["apiName"] for field in custom} == {n for n in fields if n.startswith("cf_")}
    picked = server.data("fields", module="contacts", apiNames="lastName,cf_loyalty_tier")
    assert [field["apiName"] for field in picked] == ["lastName", "cf_loyalty_tier"]
    for module in ("contacts", "accounts", "tasks", "calls", "events"):
        assert any(f["isCustomField"] for f in server.data("fields", module=module))
    legacy = server.data("organizationFields", module="tickets", apiNames="status")[0]
    assert legacy["allowedValues"][0]["value"] == "Open"
    assert "isSortable" not in legacy
    _error(server.get("fields"), 422, "UNPROCESSABLE_ENTITY")
    _error(server.get("fields", module="widgets"), 422, "UNPROCESSABLE_ENTITY")
    _error(server.get("fields", module="tickets", filter="drop table"), 422, "UNPROCESSABLE_ENTITY")


# -- threads and comments --------------------------------------------------------------------


def test_threads_and_comments(server: Desk) -> None:
    tickets = [
        server.get(f"tickets/{row['id']}").json() for row in server.data("tickets", limit=40)
    ]
    with_threads = [t for t in tickets if int(t["threadCount"]) >= 2]
    assert with_threads
    ticket = with_threads[0]
    threads = server.data(f"tickets/{ticket['id']}/threads")
    assert len(threads) == int(ticket["threadCount"])
    sent = [thread["sendDateTime"] for thread in threads]
    assert sent == sorted(sent, reverse=True)  # newest first by default
    oldest = server.data(f"tickets/{ticket['id']}/threads", sortBy="sendDateTime")
    assert oldest == threads[::-1]
    assert oldest[0]["isDescriptionThread"] is True
    assert oldest[0]["sendDateTime"] == ticket["createdTime"]
    assert all(thread["direction"] in ("in", "out") for thread in threads)
    without = next(t for t in tickets if t["threadCount"] == "0")
    assert server.get(f"tickets/{without['id']}/threads").status_code == 204
    with_comments = next(t for t in tickets if t["commentCount"] != "0")
    comments = server.data(f"tickets/{with_comments['id']}/comments")
    assert len(comments) == int(with_comments["commentCount"])
    assert comments[0]["commenter"]["type"] == "AGENT"
    _error(server.get(f"tickets/{UNKNOWN_ID}/threads"), 404, "URL_NOT_FOUND")


# -- data shapes -----------------------------------------------------------------------------


def test_seeded_data_shapes(server: Desk) -> None:
    tickets = server.searched("tickets/search", modifiedTimeRange=EVERYTHING)
    contacts = server.everything("contacts")
    assert all(row["id"].isdigit() for row in tickets + contacts)
    stamps = [row["modifiedTime"] for row in tickets] + [row["createdTime"] for row in contacts]
    assert all(DESK_TIME.fullmatch(stamp) for stamp in stamps)
    yesterday = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    limit = round((yesterday - dt.timedelta(days=1)).timestamp() * 1000)
    assert max(_millis(stamp) for stamp in stamps) <= limit
    assert min(_millis(stamp) for stamp in stamps) >= limit - 731 * 86_400_000
    text = json.dumps(
        [server.get(f"tickets/{t['id']}").json() for t in tickets[:60]], ensure_ascii=False
    )
    for needle in (",", "(", '\\"', "\\n", "ü", "日本語"):
        assert needle in text
    values = {value for row in tickets for value in row["cf"].values()}
    assert None in values
    assert {"true", "false"} <= values


def test_data_is_deterministic(server: Desk, narrow: Desk) -> None:
    assert server.get("tickets", limit=50).json() == narrow.get("tickets", limit=50).json()


# -- writes ----------------------------------------------------------------------------------


def _new_ticket(desk: Desk, **extra: Any) -> dict[str, Any]:
    body = {
        "subject": "Printer offline, again",
        "departmentId": DEPARTMENT,
        "contactId": SEEDED_CONTACT,
    }
    response = desk.post("tickets", {**body, **extra})
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_ticket(desk: Desk) -> None:
    before = desk.searched("tickets/search", modifiedTimeRange=EVERYTHING, sortBy="modifiedTime")
    created = _new_ticket(desk, cf={"cf_units": "12", "cf_is_vip": "true"}, priority="High")
    assert created["statusType"] == "Open"
    assert created["ticketNumber"] == str(101 + RECORDS)
    assert created["cf"]["cf_units"] == "12"
    assert created["cf"]["cf_region"] is None
    assert created["threadCount"] == "0"
    contact = desk.get(f"contacts/{SEEDED_CONTACT}").json()
    assert created["email"] == contact["email"]
    assert created["accountId"] == contact["accountId"]
    assert created["modifiedTime"] == created["createdTime"]
    assert created["modifiedTime"] > before[-1]["modifiedTime"]
    assert desk.get(f"tickets/{created['id']}").json() == created
    assert desk.data("tickets", sortBy="-createdTime", limit=1)[0]["id"] == created["id"]
    latest = desk.data("tickets/search", sortBy="-modifiedTime", limit=1)[0]
    assert latest["id"] == created["id"]
    assert desk.get("ticketsCount").json() == {"count": str(RECORDS + 1)}


def test_create_ticket_with_contact_object(desk: Desk) -> None:
    contact = {"lastName": "Ólafsson", "firstName": "Zoë", "email": "zoe.new@example.test"}
    body = {"subject": "New customer", "departmentId": DEPARTMENT, "contact": contact}
    created = desk.post("tickets", body).json()
    person = desk.get(f"contacts/{created['contactId']}").json()
    assert (person["lastName"], person["email"]) == ("Ólafsson", "zoe.new@example.test")
    again = desk.post("tickets", {**body, "contact": {**contact, "email": "ZOE.NEW@example.test"}})
    assert again.json()["contactId"] == created["contactId"]
    seeded = desk.get(f"contacts/{SEEDED_CONTACT}").json()
    matched = desk.post(
        "tickets", {**body, "contact": {"lastName": "x", "email": seeded["email"]}}
    ).json()
    assert matched["contactId"] == SEEDED_CONTACT
    assert desk.get("contacts/count").json() == {"count": RECORDS + 1}


def test_create_ticket_validation(desk: Desk) -> None:
    body = _error(desk.post("tickets", {"description": "no subject"}), 422, "INVALID_DATA")
    errors = {(e["fieldName"], e["errorType"]) for e in body["errors"]}
    assert errors == {
        ("/subject", "missing"),
        ("/departmentId", "missing"),
        ("/contactId", "missing"),
    }
    assert body["message"] == "The data does not comply to the validation restrictions defined."
    bad = {
        "subject": "x",
        "departmentId": "311000010000000009",
        "contactId": UNKNOWN_ID,
        "priority": "Urgent",
        "assigneeId": DISABLED_AGENT,
        "dueDate": "2024-01-01",
        "modifiedTime": "2024-01-01T00:00:00.000Z",
        "cf": {
            "cf_units": "twelve",
            "cf_is_vip": True,
            "cf_nope": "1",
            "cf_warranty_until": "2024-13-01",
        },
    }
    body = _error(desk.post("tickets", bad), 422, "INVALID_DATA")
    invalid = {e["fieldName"] for e in body["errors"] if e["errorType"] == "invalid"}
    assert invalid == {
        "/departmentId",
        "/contactId",
        "/priority",
        "/assigneeId",
        "/dueDate",
        "/modifiedTime",
        "/cf/cf_units",
        "/cf/cf_is_vip",
        "/cf/cf_nope",
        "/cf/cf_warranty_until",
    }
    contact = {"subject": "x", "departmentId": DEPARTMENT, "contact": {"firstName": "A"}}
    body = _error(desk.post("tickets", contact), 422, "INVALID_DATA")
    missing = {e["fieldName"] for e in body["errors"] if e["errorType"] == "missing"}
    assert missing == {"/contact/lastName", "/contact/email"}
    assert desk.get("ticketsCount").json() == {"count": str(RECORDS)}
    assert desk.get("contacts/count").json() == {"count": RECORDS}


def test_bad_bodies(desk: Desk) -> None:
    _error(desk.call("POST", "tickets", data=b""), 422, "EMPTY_PAYLOAD")
    _error(desk.post("tickets", {}), 422, "EMPTY_PAYLOAD")
    _error(
        desk.call("POST", "tickets", data=b"subject=x", headers={"Content-Type": "text/plain"}),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    _error(
        desk.call("POST", "tickets", data=b"{", headers={"Content-Type": "application/json"}),
        400,
        "BAD_REQUEST",
    )
    _error(desk.post("tickets", ["not", "an", "object"]), 400, "BAD_REQUEST")


def test_update_ticket(desk: Desk) -> None:
    everything = desk.searched(
        "tickets/search", modifiedTimeRange=EVERYTHING, sortBy="modifiedTime"
    )
    by_creation = [row["id"] for row in desk.everything("tickets")]
    target = next(row for row in everything if row["status"] == "Open" and row["cf"]["cf_region"])
    response = desk.patch(
        f"tickets/{target['id']}", {"status": "Closed", "cf": {"cf_units": "7"}, "priority": None}
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["statusType"] == "Closed"
    assert updated["closedTime"] == updated["modifiedTime"]
    assert updated["priority"] is None
    assert updated["cf"]["cf_units"] == "7"
    assert updated["cf"]["cf_region"] == target["cf"]["cf_region"]
    assert updated["createdTime"] == target["createdTime"]
    assert updated["modifiedTime"] > everything[-1]["modifiedTime"]
    after = desk.searched("tickets/search", modifiedTimeRange=EVERYTHING, sortBy="modifiedTime")
    assert [row["id"] for row in after] == [
        r["id"] for r in everything if r["id"] != target["id"]
    ] + [target["id"]]
    assert [row["id"] for row in desk.everything("tickets")] == by_creation
    moved = desk.patch(f"tickets/{target['id']}", {"contactId": SEEDED_CONTACT}).json()
    assert moved["accountId"] == desk.get(f"contacts/{SEEDED_CONTACT}").json()["accountId"]


def test_update_errors(desk: Desk) -> None:
    _error(desk.patch(f"tickets/{UNKNOWN_ID}", {"subject": "x"}), 404, "URL_NOT_FOUND")
    _error(desk.patch("tickets/abc", {"subject": "x"}), 404, "URL_NOT_FOUND")
    ticket = desk.data("tickets", limit=1)[0]["id"]
    body = _error(
        desk.patch(f"tickets/{ticket}", {"subject": None, "ticketNumber": "1"}), 422, "INVALID_DATA"
    )
    assert {(e["fieldName"], e["errorType"]) for e in body["errors"]} == {
        ("/subject", "invalid"),
        ("/ticketNumber", "invalid"),
    }
    _error(desk.call("PUT", f"tickets/{ticket}", json={"subject": "x"}), 405, "METHOD_NOT_ALLOWED")


def test_move_tickets_to_trash(desk: Desk) -> None:
    victims = [row["id"] for row in desk.data("tickets", limit=3)]
    response = desk.post("tickets/moveToTrash", {"ticketIds": victims[:2]})
    assert response.status_code == 204
    assert response.content == b""
    assert _weight(response) == 12
    for ticket in victims[:2]:
        _error(desk.get(f"tickets/{ticket}"), 404, "URL_NOT_FOUND")
    listed = {row["id"] for row in desk.everything("tickets")}
    searched = {row["id"] for row in desk.searched("tickets/search", modifiedTimeRange=EVERYTHING)}
    assert len(listed) == len(searched) == RECORDS - 2
    assert victims[2] in listed
    assert not set(victims[:2]) & (listed | searched)
    assert desk.get("ticketsCount").json() == {"count": str(RECORDS - 2)}
    again = _error(desk.post("tickets/moveToTrash", {"ticketIds": victims}), 422, "INVALID_DATA")
    assert [e["fieldName"] for e in again["errors"]] == ["/ticketIds/0", "/ticketIds/1"]
    assert victims[2] in {row["id"] for row in desk.everything("tickets")}
    wrong = _error(desk.post("tickets/moveToTrash", {"ids": victims[2:]}), 422, "INVALID_DATA")
    assert {(e["fieldName"], e["errorType"]) for e in wrong["errors"]} == {
        ("/ids", "invalid"),
        ("/ticketIds", "missing"),
    }


@pytest.mark.parametrize(
    ("path", "body", "missing"),
    [
        ("contacts", {"firstName": "Ada", "email": "ada.new@example.test"}, {"/lastName"}),
        ("accounts", {"website": "www.example.test"}, {"/accountName"}),
        ("tasks", {"priority": "High"}, {"/subject", "/departmentId"}),
        ("calls", {"subject": "Call"}, {"/departmentId", "/direction", "/startTime"}),
        ("events", {"subject": "Visit"}, {"/departmentId", "/startTime"}),
    ],
)
def test_mandatory_fields_of_other_modules(
    desk: Desk, path: str, body: dict[str, Any], missing: set[str]
) -> None:
    errors = _error(desk.post(path, body), 422, "INVALID_DATA")["errors"]
    assert {e["fieldName"] for e in errors if e["errorType"] == "missing"} == missing


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        (
            "contacts",
            {"lastName": "Nguyễn", "email": "n@example.test", "cf": {"cf_nps_score": "9"}},
            "contactIds",
        ),
        (
            "accounts",
            {"accountName": "Smith, Jones & Co (new)", "cf": {"cf_tier": "Gold"}},
            "accountIds",
        ),
        (
            "tasks",
            {
                "subject": "Call back",
                "departmentId": DEPARTMENT,
                "dueDate": "2030-01-01T10:00:00.000Z",
            },
            "entityIds",
        ),
        (
            "calls",
            {
                "subject": "Call",
                "departmentId": DEPARTMENT,
                "direction": "inbound",
                "startTime": "2030-01-01T10:00:00.000Z",
            },
            "entityIds",
        ),
        (
            "events",
            {"subject": "Visit", "departmentId": DEPARTMENT, "startTime": "2030-01-01T10:00:00Z"},
            "entityIds",
        ),
    ],
)
def test_create_update_trash_other_modules(
    desk: Desk, path: str, body: dict[str, Any], key: str
) -> None:
    count = desk.get(f"{path}/count").json()["count"]
    created = desk.post(path, body)
    assert created.status_code == 200, created.text
    record = created.json()
    assert {name: record[name] for name in body if name != "cf"} == {
        n: v for n, v in body.items() if n != "cf"
    }
    assert desk.get(f"{path}/count").json() == {"count": count + 1}
    newest = desk.data(f"{path}/search", sortBy="-modifiedTime", limit=1)[0]
    assert newest["id"] == record["id"]
    updated = desk.patch(f"{path}/{record['id']}", {"description": "Line one,\nline two"}).json()
    assert updated["description"] == "Line one,\nline two"
    assert updated["modifiedTime"] >= record["modifiedTime"]
    assert desk.get(f"{path}/{record['id']}").json() == updated
    assert desk.post(f"{path}/moveToTrash", {key: [record["id"]]}).status_code == 204
    _error(desk.get(f"{path}/{record['id']}"), 404, "URL_NOT_FOUND")
    assert desk.get(f"{path}/count").json() == {"count": count}


def test_activity_writes_set_activity_fields(desk: Desk) -> None:
    task = desk.post("tasks", {"subject": "Ship part", "departmentId": DEPARTMENT}).json()
    assert task["status"] == "Not Started"
    assert task["creatorId"] == "311000011000000001"
    assert task["modifiedBy"]["id"] == "311000011000000001"
    done = desk.patch(f"tasks/{task['id']}", {"status": "Completed"}).json()
    assert done["completedTime"] == done["modifiedTime"]
    assert task["id"] in {row["id"] for row in desk.everything("tasks", isCompleted="true")}


# -- scale -----------------------------------------------------------------------------------


def test_a_million_tickets_fit_in_little_memory() -> None:
    big = _serve("--records", "1000000")
    desk = next(big)
    try:
        deep = desk.get("tickets", limit=100, **{"from": 999_901})
        assert [row["ticketNumber"] for row in deep.json()["data"]][-1] == str(100 + 1_000_000)
        assert _weight(deep) == 100
        window = _window("2025-06-01T00:00:00.000Z", "2025-06-03T00:00:00.000Z")
        found = desk.data("tickets/search", modifiedTimeRange=window, sortBy="-modifiedTime")
        assert len(found) == 10
        created = desk.post(
            "tickets", {"subject": "x", "departmentId": DEPARTMENT, "contactId": SEEDED_CONTACT}
        ).json()
        assert (
            desk.data("tickets/search", sortBy="-modifiedTime", limit=1)[0]["id"] == created["id"]
        )
        status = pathlib.Path(f"/proc/{desk.process.pid}/status").read_text().splitlines()
        resident_kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        assert resident_kib < 1024 * 1024  # well under 2 GiB: under 1 GiB
    finally:
        big.close()
