"""ZohoCRM against a running emulator: every method, checked against the emulator's raw API.

Three emulators serve these tests:

- ``emulator`` (tests/conftest.py): the session's shared org, 2,600 records per module, reset
  before each test. Reads, filters, writes and loads run there.
- ``isolated``: this module's own org of 5,200 records per module, for what disturbs an org:
  injected faults, concurrency limits, expired tokens. It is reset (data, counters, settings)
  before each test, and the connector's shared token for it is revived.
- a 101,000-record org, started by the one test that crosses Zoho's 100,000-record page-token
  seam.

The emulator's ``/__emulator__/stats`` counts calls per endpoint, refreshes, faults and the
most calls in flight: that is how the call budgets below are checked.
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime as dt
import itertools
import json
import logging
import math
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
import requests
from polars.testing import assert_frame_equal

from tests.server import Emulator, running_emulator
from zoho_connector import (
    CREATE,
    DELETE,
    INTEGRATE,
    RETRIEVE,
    UPDATE,
    Action,
    ZohoAuthError,
    ZohoCRM,
    ZohoError,
    ZohoInputError,
    ZohoRateLimitError,
    query_condition,
)
from zoho_connector.config import crm_client
from zoho_connector.errors import ZohoCreditsError
from zoho_connector.formats import parse_datetime
from zoho_connector.frames import to_frame
from zoho_connector.http import RetryPolicy

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from zoho_connector.conditions import Condition

RECORDS = "GET /crm/{version}/{module}"
USERS = "GET /crm/{version}/users"
LAYOUTS = "GET /crm/{version}/settings/layouts"
TAGS = "GET /crm/{version}/settings/tags"
RECORD = "GET /crm/{version}/{module}/{record_id}"
COUNT = "GET /crm/{version}/{module}/actions/count"
COQL = "POST /crm/{version}/coql"
ORG = "GET /crm/{version}/org"
MODULES = "GET /crm/{version}/settings/modules"
FIELDS = "GET /crm/{version}/settings/fields"
INSERT = "POST /crm/{version}/{module}"
UPSERT = "POST /crm/{version}/{module}/upsert"
UPDATE_MANY = "PUT /crm/{version}/{module}"
UPDATE_ONE = "PUT /crm/{version}/{module}/{record_id}"
DELETE_MANY = "DELETE /crm/{version}/{module}"
ISOLATED_RECORDS = 5200
#: Every setting a test here may change, at the value the isolated emulator starts with.
CALM: dict[str, float] = {
    "error_rate": 0,
    "drop_rate": 0,
    "concurrency": 0,
    "latency_ms": 0,
    "daily_credits": 0,
    "token_lifetime": 3600,
    "refresh_limit": 10,
}
#: Quick retries, for tests that inject faults (the policy's logic is the default one).
QUICK_RETRY = RetryPolicy(attempts=8, backoff=0.02, max_backoff=0.2)
MISSING_LEAD = "4876876001099999999"  # well formed, no such record


# -- helpers -------------------------------------------------------------------------------


def connect(emulator: Emulator, **options: Any) -> ZohoCRM:
    """A client of the emulator on API v8."""
    settings: dict[str, Any] = {"url": emulator.url, "account_url": emulator.url}
    settings.update({"api_version": "v8", **options})
    return ZohoCRM(emulator.client_id, emulator.client_secret, emulator.refresh_token, **settings)


def calls(emulator: Emulator) -> collections.Counter[str]:
    """Calls so far, per endpoint."""
    return collections.Counter(emulator.stats()["by_endpoint"])


def spent_since(emulator: Emulator, before: collections.Counter[str]) -> dict[str, int]:
    """Calls made since ``before``, per endpoint."""
    return dict(calls(emulator) - before)


def expire_tokens(emulator: Emulator) -> None:
    """Every access token dies, as if an hour had passed (the raw helper's too)."""
    requests.post(f"{emulator.url}/__emulator__/expire-tokens", timeout=30).raise_for_status()
    emulator.forget_token()


def raw_records(
    emulator: Emulator, module: str, fields: str, **params: Any
) -> list[dict[str, Any]]:
    """Every record by the raw API (page tokens, converted and unapproved included)."""
    query: dict[str, Any] = {
        "fields": fields,
        "converted": "both",
        "approved": "both",
        "sort_order": "asc",
        **params,
    }
    records: list[dict[str, Any]] = []
    while True:
        response = emulator.crm("GET", module, params=query)
        if response.status_code == 204:
            return records
        assert response.status_code == 200, response.text
        body = response.json()
        records += body["data"]
        if not body["info"]["more_records"]:
            return records
        query["page_token"] = body["info"]["next_page_token"]


def raw_by_ids(
    emulator: Emulator, module: str, ids: list[str], fields: list[str]
) -> list[dict[str, Any]]:
    """Records of ``ids`` with every field of ``fields``, merged from raw calls of 50 fields."""
    merged: dict[str, dict[str, Any]] = {record_id: {} for record_id in ids}
    for start in range(0, len(fields), 50):
        for first in range(0, len(ids), 100):
            params = {
                "ids": ",".join(ids[first : first + 100]),
                "fields": ",".join(fields[start : start + 50]),
                "converted": "both",
                "approved": "both",
            }
            response = emulator.crm("GET", module, params=params)
            assert response.status_code == 200, response.text
            for record in response.json()["data"]:
                merged[record["id"]].update(record)
    return [merged[record_id] for record_id in ids]


def raw_coql(emulator: Emulator, query: str) -> list[dict[str, Any]]:
    response = emulator.crm("POST", "coql", json={"select_query": query})
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def raw_count(emulator: Emulator, module: str) -> int:
    params = {"converted": "both", "approved": "both"}
    count: int = emulator.crm("GET", f"{module}/actions/count", params=params).json()["count"]
    return count


def created_id(message: str) -> str:
    """The record id in a load row's success message (Zoho's details, as JSON)."""
    assert message.startswith("SUCCESS"), message
    record_id: str = json.loads(message[message.index("{") :])["id"]
    return record_id


def instants(values: list[str]) -> list[dt.datetime]:
    return [parse_datetime(value) for value in values]


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def isolated_server() -> Iterator[Emulator]:
    with running_emulator("--records", str(ISOLATED_RECORDS), "--concurrency", "0") as server:
        yield server


@pytest.fixture
def isolated(isolated_server: Emulator) -> Iterator[Emulator]:
    """The isolated org: seeded data, calm settings, live tokens, zeroed counters."""
    server = isolated_server
    server.configure(**CALM)
    server.forget_token()
    server.token()
    connect(server)  # revives the process-wide token if a test expired it
    server.reset()
    yield server
    server.configure(**CALM)


@pytest.fixture
def crm(emulator: Emulator) -> ZohoCRM:
    """A client of the shared emulator (counters zeroed after it connected)."""
    client = connect(emulator)
    emulator.reset()
    return client


# -- construction, connection, request --------------------------------------------------------


def test_construction_authenticates_and_checks_that_crm_answers(emulator: Emulator) -> None:
    # Another accounts host name for the same server: a refresh token no client used yet.
    accounts = emulator.url.replace("127.0.0.1", "localhost")
    crm = ZohoCRM(
        emulator.client_id,
        emulator.client_secret,
        emulator.refresh_token,
        account_url=accounts,
        api_version="v8",
    )
    stats = emulator.stats()
    assert stats["token_refreshes"] == 1
    assert stats["by_endpoint"] == {ORG: 1}
    # The default URL is Zoho's US host: the token's api_domain (the emulator) replaced it.
    assert crm.url == accounts
    assert crm.api_root == f"{accounts}/crm/v8"
    assert crm.connect() is crm
    assert crm.ping() is True
    header = crm.headers()
    assert header["Authorization"].startswith("Zoho-oauthtoken 1000.")
    answer = requests.get(f"{emulator.url}/crm/v8/org", headers=header, timeout=30)
    assert answer.status_code == 200
    assert emulator.stats()["token_refreshes"] == 1  # one token, reused
    assert calls(emulator)[ORG] == 4


def test_data_center_and_version(emulator: Emulator) -> None:
    eu = ZohoCRM(
        emulator.client_id,
        emulator.client_secret,
        emulator.refresh_token,
        account_url=emulator.url,
        api_version="v8",
        data_center="eu",
    )
    assert eu.url == emulator.url  # the token's api_domain wins over the data center's host
    assert eu.account_url == emulator.url  # given, so kept
    explicit = ZohoCRM(
        emulator.client_id,
        emulator.client_secret,
        emulator.refresh_token,
        url=emulator.url,
        account_url=emulator.url,
        data_center="EU",
    )
    assert explicit.api_root == f"{emulator.url}/crm/v7"  # v7 unless told
    # A tap's or target's config: the token's api_domain wins in every data center, unless
    # crm_url is set.
    config = {
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "refresh_token": emulator.refresh_token,
        "accounts_url": emulator.url,
        "data_center": "eu",
        "token_cache": False,
    }
    assert crm_client(config).url == emulator.url
    given = emulator.url.replace("127.0.0.1", "localhost")
    assert crm_client({**config, "crm_url": given}).url == given
    assert explicit.read("Leads", fields=["Last_Name"], limit=3).height == 3
    emulator.reset()
    with pytest.raises(ValueError, match=r"unknown Zoho data center 'mars'; expected one of: us"):
        connect(emulator, data_center="mars")
    with pytest.raises(ValueError, match="api_version must be v7 or v8, not 'v2'"):
        connect(emulator, api_version="v2")
    with pytest.raises(ValueError, match="n_rows_read must be between 1 and 200, not 500"):
        connect(emulator, n_rows_read=500)
    with pytest.raises(ValueError, match="n_rows_write must be between 1 and 100, not 0"):
        connect(emulator, n_rows_write=0)
    with pytest.raises(ValueError, match="client_secret is required"):
        ZohoCRM(emulator.client_id, "", emulator.refresh_token, emulator.url, emulator.url)
    stats = emulator.stats()
    assert (stats["requests"], stats["token_refreshes"]) == (0, 0)


@pytest.mark.parametrize(
    ("credentials", "code", "hint"),
    [
        ({"client_id": "someone-else"}, "invalid_client", "client_id and client_secret"),
        ({"refresh_token": "1000.revoked.r3fr3sh-s3cr3t"}, "invalid_code", "refresh token"),
    ],
)
def test_refused_credentials_raise_zoho_auth_errors(
    emulator: Emulator, credentials: dict[str, str], code: str, hint: str
) -> None:
    values = {
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "refresh_token": emulator.refresh_token,
        **credentials,
    }
    with pytest.raises(ZohoAuthError) as caught:
        ZohoCRM(
            values["client_id"],
            values["client_secret"],
            values["refresh_token"],
            url=emulator.url,
            account_url=emulator.url,
        )
    error = caught.value
    assert (error.code, error.status) == (code, 400)
    assert hint in (error.hint or "")
    for secret in (values["client_secret"], values["refresh_token"]):
        assert secret not in str(error)
        assert secret not in repr(error)
    assert emulator.stats()["requests"] == 0  # no CRM call without a token


def test_request_returns_zoho_bodies_none_for_204_and_304_and_raises_zoho_errors(
    crm: ZohoCRM, emulator: Emulator
) -> None:
    org = crm.request("GET", "org")
    assert org is not None
    assert org["org"][0]["company_name"] == "Emulated Zoho Org (Zürich), Ltd"
    assert crm.request("GET", f"{emulator.url}/crm/v8/org") == org  # a full URL works too
    assert crm.request("GET", "Vendors", params={"fields": "Vendor_Name"}) is None  # 204
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat(timespec="seconds")
    unchanged = crm.request(
        "GET", "Leads", headers={"If-Modified-Since": future}, params={"fields": "Last_Name"}
    )
    assert unchanged is None  # 304
    fields = (
        ",".join(f"Number_{n:02d}" for n in range(1, 15))
        + ","
        + ",".join(f["api_name"] for f in crm.fields("Service_Visits")[:40])
    )
    with pytest.raises(ZohoError) as caught:
        crm.request("GET", "Service_Visits", params={"fields": fields})
    error = caught.value
    assert (error.code, error.status) == ("LIMIT_EXCEEDED", 400)
    assert error.message == "the number of fields exceeds the limit"
    assert error.details == {"param_name": "fields", "limit": 50}
    assert "LIMIT_EXCEEDED: the number of fields exceeds the limit" in str(error)
    with pytest.raises(ZohoError) as forbidden:
        crm.request("GET", "Quotes", params={"fields": "Subject"})
    assert (forbidden.value.code, forbidden.value.status) == ("NO_PERMISSION", 403)
    assert forbidden.value.details == {"permissions": ["Crm_Implied_View_Quotes"]}
    with pytest.raises(ZohoError) as unknown:
        crm.request("GET", "Leadz", params={"fields": "Last_Name"})
    assert (unknown.value.code, unknown.value.status) == ("INVALID_MODULE", 400)
    assert unknown.value.details == {"resource_path_index": 0}


# -- metadata and bad input ----------------------------------------------------------------------


def test_modules_and_fields_are_fetched_once_and_checked(crm: ZohoCRM, emulator: Emulator) -> None:
    assert crm.module("leads")["api_name"] == "Leads"
    assert crm.module("SERVICE_VISITS")["api_name"] == "Service_Visits"
    assert {field["api_name"] for field in crm.fields("Leads")} >= {"Last_Name", "Owner", "id"}
    crm.fields("leads")
    with pytest.raises(ZohoInputError) as unknown:
        crm.module("Leadz")
    assert "unknown Zoho CRM module 'Leadz'; the org has: " in str(unknown.value)
    assert "Service_Visits" in str(unknown.value)
    assert "Reports" not in str(unknown.value)  # UI-only modules are not offered
    with pytest.raises(ZohoInputError, match="Zoho CRM's API does not serve the module 'Reports'"):
        crm.module("Reports")
    assert spent_since(emulator, collections.Counter()) == {MODULES: 1, FIELDS: 1}


def test_bad_read_input_fails_before_any_record_call(crm: ZohoCRM, emulator: Emulator) -> None:
    crm.fields("Leads")
    crm.fields("Price_Tiers")
    before = calls(emulator)
    cases: list[tuple[Callable[[], Any], type[Exception], str]] = [
        (lambda: crm.read("Leadz"), ZohoInputError, "unknown Zoho CRM module 'Leadz'"),
        (lambda: crm.read("Reports"), ZohoInputError, "does not serve the module 'Reports'"),
        (
            lambda: crm.read("Leads", fields=["Last_Name", "Lastname", "Nope"]),
            ZohoInputError,
            "Leads has no field\\(s\\) Lastname, Nope",
        ),
        (
            lambda: crm.read("Leads", order_by="Last_Name"),
            ZohoInputError,
            "order_by must be one of id, Modified_Time, Created_Time, not 'Last_Name'",
        ),
        (
            lambda: crm.read("Price_Tiers", order_by="Modified_Time"),
            ZohoInputError,
            "Price_Tiers has no Modified_Time to order by",
        ),
        (lambda: crm.read("Leads", limit=-1), ZohoInputError, "limit must be a whole number"),
        (lambda: crm.read("Leads", n_rows_read=201), ValueError, "n_rows_read must be between"),
        (
            lambda: crm.read("Leads", filter="(Last_Name:equals:X"),
            ZohoInputError,
            "expected \\(field:operator:value\\)",
        ),
        (
            lambda: crm.count("Leads", "((Last_Name:equals:X)or(City:equals:Y))"),
            ZohoInputError,
            "'or' cannot join a read's conditions",
        ),
        (lambda: crm.pages("Leadz"), ZohoInputError, "unknown Zoho CRM module"),
        (lambda: crm.records("Leads", fields=["Nope"]), ZohoInputError, "no field\\(s\\) Nope"),
        (lambda: crm.count("Leadz"), ZohoInputError, "unknown Zoho CRM module"),
        (lambda: crm.retrieve("Leadz", MISSING_LEAD), ZohoInputError, "unknown Zoho CRM module"),
    ]
    for action, kind, message in cases:
        with pytest.raises(kind, match=message):
            action()
    assert spent_since(emulator, before) == {}


# -- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["rest", "auto"])
def test_read_returns_every_record_past_2000_flattened(
    crm: ZohoCRM, emulator: Emulator, strategy: str
) -> None:
    frame = crm.read("Leads", strategy=strategy)
    spent = spent_since(emulator, collections.Counter())
    raw = raw_records(
        emulator, "Leads", "Owner,Tag,Preferred_Languages,Last_Name,No_of_Employees", sort_by="id"
    )
    assert frame.height == len(raw) == raw_count(emulator, "Leads") > 2000
    assert frame["id"].to_list() == [record["id"] for record in raw]  # ascending id
    assert frame["Last_Name"].to_list() == [record["Last_Name"] for record in raw]
    assert frame["No_of_Employees"].to_list() == [record["No_of_Employees"] for record in raw]
    assert frame["Owner.id"].to_list() == [record["Owner"]["id"] for record in raw]
    assert frame["Owner.name"].to_list() == [record["Owner"]["name"] for record in raw]
    assert frame["Owner.email"].to_list() == [record["Owner"]["email"] for record in raw]
    assert "Owner" not in frame.columns
    assert [json.loads(text) for text in frame["Tag"]] == [record["Tag"] for record in raw]
    assert frame["Preferred_Languages"].to_list() == [r["Preferred_Languages"] for r in raw]
    listable = [
        field["api_name"]
        for field in crm.fields("Leads")
        if field["api_name"] != "id" and field["data_type"] not in ("subform", "multiselectlookup")
    ]
    assert {column.split(".")[0] for column in frame.columns} >= {"id", *listable}
    assert frame.schema["No_of_Employees"] == pl.Int64
    assert frame.schema["Annual_Revenue"] == pl.Float64
    assert frame.schema["Email_Opt_Out"] == pl.Boolean
    assert frame.schema["External_Lead_Id"] == pl.String  # bigint travels as a string
    assert frame.schema["Preferred_Languages"] == pl.List(pl.String)
    assert frame["Converted__s"].any()  # converted Leads are read too
    if strategy == "rest":
        # In id order, Get Records' pages would shift when a record is deleted meanwhile: the
        # ids come by COQL, 2,000 a call, then the records, 100 ids a call
        ids = {COQL: math.ceil(frame.height / 2000), RECORDS: math.ceil(frame.height / 100)}
        assert spent == {MODULES: 1, FIELDS: 1, **ids}
        return
    # auto: a count (below the Bulk Read threshold), then COQL, 2,000 records a call (pages
    # overlap by one), in two chunks of 50 columns (48 fields and 3 lookups' names); owners,
    # layouts and tags completed from the org's lists
    pages = 1 + math.ceil((frame.height - 2000) / 1999)
    references = {USERS: 1, LAYOUTS: 1, TAGS: 1}
    assert spent == {MODULES: 1, FIELDS: 1, COUNT: 1, COQL: 2 * pages, **references}


@pytest.mark.parametrize("order_by", ["Modified_Time", "Created_Time"])
def test_read_ordered_by_time(crm: ZohoCRM, emulator: Emulator, order_by: str) -> None:
    frame = crm.read("Accounts", fields=[order_by, "Account_Name"], order_by=order_by)
    assert frame.columns[:3] == ["id", order_by, "Account_Name"]
    moments = instants(frame[order_by].to_list())
    assert moments == sorted(moments)
    # sorting the strings would not do: the org's offsets are -08:00 and -07:00
    assert {text[-6:] for text in frame[order_by]} == {"-08:00", "-07:00"}
    raw = raw_records(emulator, "Accounts", "Account_Name", sort_by="id")
    assert frame["id"].n_unique() == frame.height == len(raw)
    assert set(frame["id"]) == {record["id"] for record in raw}


def test_since_reads_only_records_modified_after_it(crm: ZohoCRM, emulator: Emulator) -> None:
    raw = raw_records(emulator, "Deals", "Modified_Time,Amount", sort_by="id")
    since = sorted(instants([record["Modified_Time"] for record in raw]))[len(raw) * 3 // 4]
    later = [r for r in raw if parse_datetime(r["Modified_Time"]) > since]
    assert 0 < len(later) < len(raw) // 4 + 1
    records = crm.records("Deals", fields=["Amount"], order_by="Modified_Time", since=since)
    assert sorted(record["id"] for record in records) == sorted(r["id"] for r in later)
    big = crm.query_condition("Amount", ">", 50000, "number")
    text = since.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()  # any offset
    filtered = [r["id"] for r in crm.records("Deals", filter=big, since=text)]
    assert filtered == [r["id"] for r in later if (r["Amount"] or 0) > 50000]
    assert 0 < len(filtered) < len(later)
    before = calls(emulator)
    newest = max(instants([record["Modified_Time"] for record in raw]))
    assert list(crm.pages("Deals", since=newest)) == []  # COQL: 204
    by_time = crm.pages("Deals", since=newest, order_by="Modified_Time", strategy="rest")
    assert list(by_time) == []  # Zoho answers 304
    assert spent_since(emulator, before) == {COQL: 1, RECORDS: 1}
    with pytest.raises(ZohoInputError, match="since must be an ISO datetime, not 'last week'"):
        crm.pages("Deals", since="last week")
    with pytest.raises(ZohoInputError, match="Price_Tiers has no Modified_Time to read"):
        crm.pages("Price_Tiers", since=newest)
    with pytest.raises(ZohoInputError, match="strategy must be one of auto, rest, coql, bulk"):
        crm.pages("Deals", strategy="fast")
    assert spent_since(emulator, before) == {COQL: 1, RECORDS: 1, FIELDS: 1}


def test_limit_page_size_and_progress(crm: ZohoCRM, emulator: Emulator) -> None:
    raw = raw_records(emulator, "Contacts", "Last_Name", sort_by="Modified_Time")
    by_time: dict[str, Any] = {"order_by": "Modified_Time", "strategy": "rest"}
    progress: list[dict[str, Any]] = []
    before = calls(emulator)
    frame = crm.read(
        "Contacts", fields=["Last_Name"], limit=450, callback=progress.append, **by_time
    )
    assert frame["id"].to_list() == [record["id"] for record in raw[:450]]
    # 200 records a page, less the ones of the last second read, which each page asks again
    done = [step["rows_done"] for step in progress]
    assert done[0] == 200
    assert done[-1] == 450
    assert all(0 < later - earlier <= 200 for earlier, later in itertools.pairwise(done))
    assert spent_since(emulator, before) == {MODULES: 1, FIELDS: 1, RECORDS: len(done)}
    before = calls(emulator)
    small = crm.read("Contacts", fields=["Last_Name"], n_rows_read=70, limit=150, **by_time)
    assert small["id"].to_list() == [record["id"] for record in raw[:150]]
    assert spent_since(emulator, before) == {RECORDS: 3}
    before = calls(emulator)
    assert crm.read("Contacts", limit=7, **by_time)["id"].to_list() == [r["id"] for r in raw[:7]]
    assert crm.read("Contacts", limit=0).height == 0
    assert spent_since(emulator, before) == {RECORDS: 1}
    # COQL asks for no more records than the limit (a LIMIT of 200 or less costs one credit)
    by_id = sorted(record["id"] for record in raw)
    before = calls(emulator)
    spent = emulator.stats()["credits"]
    coql = crm.read("Contacts", fields=["Last_Name"], limit=150)
    assert coql["id"].to_list() == by_id[:150]
    assert spent_since(emulator, before) == {COQL: 1}
    assert emulator.stats()["credits"] == spent + 1


def test_pages_and_records_stream_lazily(crm: ZohoCRM, emulator: Emulator) -> None:
    crm.fields("Deals")
    before = calls(emulator)
    rest: dict[str, Any] = {"order_by": "Modified_Time", "strategy": "rest"}
    pages = crm.pages("Deals", fields=["Deal_Name", "Amount"], n_rows_read=150, **rest)
    assert spent_since(emulator, before) == {}  # nothing fetched before it is asked for
    first = next(pages)
    assert len(first) == 150
    assert set(first[0]) >= {"id", "Deal_Name", "Amount"}
    assert spent_since(emulator, before) == {RECORDS: 1}
    records = crm.records("Deals", fields=["Deal_Name"], **rest)
    some = list(itertools.islice(records, 250))
    assert spent_since(emulator, before) == {RECORDS: 3}
    whole = crm.read("Deals", fields=["Deal_Name"], **rest)
    assert [record["id"] for record in some] == whole["id"].to_list()[:250]
    later = list(pages)
    assert all(len(page) <= 150 for page in later)
    assert [r["id"] for r in first] + [r["id"] for page in later for r in page] == (
        whole["id"].to_list()
    )
    # COQL: 2,000 records a call, fetched as they are asked for
    before = calls(emulator)
    by_coql = crm.pages("Deals", fields=["Deal_Name"])
    assert spent_since(emulator, before) == {}
    assert len(next(by_coql)) == 2000
    assert spent_since(emulator, before) == {COQL: 1}


def test_read_of_a_module_with_more_than_50_fields(crm: ZohoCRM, emulator: Emulator) -> None:
    listable = [
        field["api_name"]
        for field in crm.fields("Service_Visits")
        if field["api_name"] != "id" and field["data_type"] not in ("subform", "multiselectlookup")
    ]
    assert len([f for f in crm.fields("Service_Visits") if f["api_name"] != "id"]) == 159
    chunks = math.ceil(len(listable) / 50)
    assert chunks == 4
    before = calls(emulator)
    frame = crm.read("Service_Visits", limit=400, strategy="rest")
    # the ids by COQL (id order), then per page of 200 every chunk of 50 fields by id (100
    # ids a call); the emulator refuses any call of more than 50 fields
    assert spent_since(emulator, before) == {COQL: 1, RECORDS: 2 * chunks * 2}
    first_ids = [r["id"] for r in raw_records(emulator, "Service_Visits", "Name", per_page=200)]
    assert frame["id"].to_list() == first_ids[:400]
    assert {column.split(".")[0] for column in frame.columns} >= set(listable)
    expected = to_frame(raw_by_ids(emulator, "Service_Visits", frame["id"].to_list(), listable))
    assert sorted(frame.columns) == sorted(expected.columns)
    assert_frame_equal(frame, expected.select(frame.columns))
    assert frame["Account.name"].null_count() < frame.height
    assert frame.schema["Services"] == pl.List(pl.String)
    # COQL: 400 records in one call a chunk of 50 columns (the fields and two lookups' names)
    before = calls(emulator)
    coql = crm.read("Service_Visits", limit=400)
    assert spent_since(emulator, before)[COQL] == chunks
    assert_frame_equal(coql, frame.select(coql.columns))
    assert {column for column in frame.columns if column not in coql.columns} == {
        column for column in frame.columns if column.startswith("$")
    }


def test_filtered_read_of_a_wide_module(crm: ZohoCRM, emulator: Emulator) -> None:
    done = crm.query_condition("Status", "=", "Done")
    frame = crm.read("Service_Visits", filter=done, order_by="Modified_Time")
    expected = raw_coql(
        emulator, "select id from Service_Visits where Status = 'Done' order by id limit 2000"
    )
    assert 100 < frame.height == len(expected)
    assert set(frame["id"]) == {row["id"] for row in expected}
    assert set(frame["Status"]) == {"Done"}
    moments = instants(frame["Modified_Time"].to_list())
    assert moments == sorted(moments)
    assert frame.width > 150
    sample = frame["id"].to_list()[:120]
    listable = [c for c in frame.columns if "." not in c and not c.startswith("$") and c != "id"]
    owners = {c.split(".")[0] for c in frame.columns if "." in c}
    raw = raw_by_ids(emulator, "Service_Visits", sample, listable + sorted(owners))
    expected_frame = to_frame(raw)
    expected_frame = expected_frame.select(  # COQL returns no $ meta keys
        [column for column in expected_frame.columns if not column.startswith("$")]
    )
    assert_frame_equal(
        frame.filter(pl.col("id").is_in(sample)).select(expected_frame.columns), expected_frame
    )
    before = calls(emulator)
    retrieved = crm.load("Service_Visits", frame.head(3).select("id"), RETRIEVE)
    assert spent_since(emulator, before) == {RECORDS: 4}  # each chunk of 50 fields once
    records = to_frame([json.loads(message) for message in retrieved["message"]])
    scalars = [column for column in frame.columns if column != "Tag"]  # Tag: JSON text
    assert_frame_equal(records.select(scalars), frame.head(3).select(scalars))
    assert [json.loads(tags) for tags in records["Tag"]] == [
        json.loads(tags) for tags in frame["Tag"].head(3)
    ]


def leads_table(emulator: Emulator) -> list[dict[str, Any]]:
    fields = (
        "Lead_Source,Company,Industry,No_of_Employees,Annual_Revenue,Next_Contact_Date,"
        "Created_Time,Email_Opt_Out,Last_Name"
    )
    return raw_records(emulator, "Leads", fields, sort_by="id")


def _text(value: Any) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def test_filters_match_what_the_raw_data_says(crm: ZohoCRM, emulator: Emulator) -> None:
    table = leads_table(emulator)
    since = dt.datetime(2025, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    until = "2026-01-01T00:00:00-08:00"
    names = sorted({r["Company"] for r in table if r["Company"]})[::7][:60]
    cases: list[tuple[list[Condition], Callable[[dict[str, Any]], bool]]] = [
        (
            query_condition("Lead_Source", "=", "web download"),  # COQL: exact, any case
            lambda r: _text(r["Lead_Source"]) == "web download",
        ),
        (
            query_condition("Lead_Source", "!=", "Web Download"),  # never matches empty values
            lambda r: r["Lead_Source"] is not None and r["Lead_Source"] != "Web Download",
        ),
        (
            query_condition("No_of_Employees", ">", 5000, "number"),
            lambda r: r["No_of_Employees"] is not None and r["No_of_Employees"] > 5000,
        ),
        (
            query_condition("Annual_Revenue", "between", [1000, 50000.5], "number"),
            lambda r: r["Annual_Revenue"] is not None and 1000 <= r["Annual_Revenue"] <= 50000.5,
        ),
        (
            query_condition("Next_Contact_Date", "<=", dt.date(2026, 1, 31), "date"),
            lambda r: r["Next_Contact_Date"] is not None and r["Next_Contact_Date"] <= "2026-01-31",
        ),
        (
            query_condition("Created_Time", ">=", since, "datetime")
            + query_condition("Created_Time", "<", until, "datetime", utc=False),
            lambda r: since <= parse_datetime(r["Created_Time"]) < parse_datetime(until),
        ),
        (
            query_condition("Email_Opt_Out", "=", True, "boolean"),
            lambda r: r["Email_Opt_Out"] is True,
        ),
        (
            query_condition("Lead_Source", "in", ["Trade Show", "Cold Call"]),
            lambda r: r["Lead_Source"] in ("Trade Show", "Cold Call"),
        ),
        (
            query_condition("Company", "starts_with", "O'Reilly (Europe), Ltd #1"),
            lambda r: (r["Company"] or "").startswith("O'Reilly (Europe), Ltd #1"),
        ),
        (
            query_condition("Company", "starts_with", "Back\\Slash"),
            lambda r: (r["Company"] or "").startswith("Back\\Slash"),
        ),
        (
            query_condition("Industry", "=", "ASP (Application Service Provider)"),
            lambda r: r["Industry"] == "ASP (Application Service Provider)",
        ),
        (
            query_condition("Company", "in", names),  # more values than one COQL `in` takes
            lambda r: r["Company"] in names,
        ),
        (
            query_condition("Lead_Source", "=", "Web Download")
            + query_condition("Email_Opt_Out", "=", "false", "boolean")
            + query_condition("No_of_Employees", "<", 2000, "number"),
            lambda r: (
                r["Lead_Source"] == "Web Download"
                and r["Email_Opt_Out"] is False
                and r["No_of_Employees"] is not None
                and r["No_of_Employees"] < 2000
            ),
        ),
        (query_condition("Last_Name", "=", "Nobody At All"), lambda r: False),
    ]
    assert len(names) == 60
    for conditions, predicate in cases:
        expected = [record["id"] for record in table if predicate(record)]
        assert crm.count("Leads", filter=conditions) == len(expected), conditions
        if len(expected) < 800:  # reading the big matches would only repeat the count
            frame = crm.read("Leads", filter=conditions, fields=["Last_Name"])
            assert frame["id"].to_list() == expected, conditions
    assert len([1 for c, p in cases if any(p(r) for r in table)]) == len(cases) - 1


def test_filtered_read_crosses_coql_pages_in_order(crm: ZohoCRM, emulator: Emulator) -> None:
    everyone = crm.query_condition("Created_Time", ">", "2000-01-01T00:00:00Z", "datetime")
    crm.fields("Leads")
    before = calls(emulator)
    frame = crm.read("Leads", filter=everyone, fields=["Modified_Time"], order_by="Modified_Time")
    spent = spent_since(emulator, before)
    total = raw_count(emulator, "Leads")
    assert frame.height == frame["id"].n_unique() == total > 2000
    moments = instants(frame["Modified_Time"].to_list())
    assert moments == sorted(moments)
    # COQL, 2,000 a call (pages overlap by one), as many as a count says there are
    assert spent == {COQL: 1 + math.ceil((total - 2000) / 1999), COUNT: 1}
    by_id = crm.read("Leads", filter=everyone, fields=["Last_Name"])
    assert by_id["id"].to_list() == sorted(frame["id"].to_list())
    # Get Records: ids by COQL, 2,000 a call; then the records, 100 ids a call
    before = calls(emulator)
    rest = crm.read(
        "Leads",
        filter=everyone,
        fields=["Modified_Time"],
        order_by="Modified_Time",
        strategy="rest",
    )
    assert rest["id"].to_list() == frame["id"].to_list()
    spent = spent_since(emulator, before)
    assert spent == {COQL: math.ceil(total / 2000), RECORDS: math.ceil(total / 100)}


def test_count_and_an_empty_module(crm: ZohoCRM, emulator: Emulator) -> None:
    total = crm.count("Leads")
    assert total == raw_count(emulator, "Leads") > 2000
    params = {"converted": "false"}
    visible = emulator.crm("GET", "Leads/actions/count", params=params).json()["count"]
    assert total > visible  # converted Leads are counted too, as read reads them
    before = calls(emulator)
    assert crm.count("Vendors") == 0
    empty = crm.read("Vendors")
    assert empty.height == 0
    assert empty.columns[:4] == ["id", "Owner.name", "Owner.id", "Owner.email"]
    assert {"Vendor_Name", "Layout.id", "Email"} <= set(empty.columns)
    assert crm.read("Leads", filter=crm.query_condition("Last_Name", "=", "Nobody")).columns[
        :4
    ] == ["id", "Owner.name", "Owner.id", "Owner.email"]
    assert crm.read("Vendors", fields=["Vendor_Name"]).columns == ["id", "Vendor_Name"]
    assert list(crm.records("Vendors")) == []
    # each full read counts the module first (to choose Bulk Read above the threshold)
    assert spent_since(emulator, before) == {COUNT: 3, COQL: 4, FIELDS: 2}
    with pytest.raises(ZohoError) as forbidden:
        crm.read("Quotes")
    assert forbidden.value.code == "NO_PERMISSION"


def test_retrieve_one_record_with_subforms(crm: ZohoCRM, emulator: Emulator) -> None:
    record_id = crm.read("Service_Visits", fields=["Name"], limit=1)["id"][0]
    record = crm.retrieve("service_visits", record_id)
    raw = emulator.crm("GET", f"Service_Visits/{record_id}").json()["data"][0]
    assert record is not None
    assert record == raw
    assert isinstance(record["Visit_Items"], list)
    assert record["Visit_Items"][0]["Parent_Id"]["id"] == record_id
    assert "Related_Accounts" in record
    assert crm.retrieve("Leads", MISSING_LEAD) is None
    with pytest.raises(ZohoError) as caught:
        crm.retrieve("Leads", "not-an-id")
    assert (caught.value.code, caught.value.details) == ("INVALID_DATA", {"id": "not-an-id"})


# -- writing ------------------------------------------------------------------------------------


def test_create_update_integrate_and_delete(crm: ZohoCRM, emulator: Emulator) -> None:
    def raw(record_id: str) -> dict[str, Any]:
        response = emulator.crm("GET", f"Leads/{record_id}")
        if response.status_code == 204:
            return {}
        record: dict[str, Any] = response.json()["data"][0]
        return record

    one = crm.create(
        "Leads", {"Last_Name": "Ngata", "Company": "Kiwi (NZ), Ltd", "Email": "ngata@example.test"}
    )
    # The seed's forms give the record's details: a dict for a record, a list for a list.
    assert isinstance(one, dict)
    first = one["id"]
    assert set(one) >= {"id", "Created_Time", "Modified_Time"}
    assert raw(first)["Last_Name"] == "Ngata"
    assert raw(first)["Company"] == "Kiwi (NZ), Ltd"
    two = crm.create(
        "Leads",
        [{"Last_Name": "Ō"}, {"Last_Name": "Ü", "Next_Contact_Date": dt.date(2026, 3, 1)}],
        [],
    )
    assert isinstance(two, list)
    second, third = (entry["id"] for entry in two if entry)
    assert raw(third)["Next_Contact_Date"] == "2026-03-01"

    both = crm.update(
        "Leads", [{"id": first, "Lead_Status": "Contacted"}, {"id": second, "City": "Kō"}]
    )
    assert isinstance(both, list)
    assert [entry["id"] for entry in both if entry] == [first, second]
    assert raw(first)["Lead_Status"] == "Contacted"
    assert raw(second)["City"] == "Kō"
    updated = crm.update("Leads", {"Company": "Renamed"}, id=third)
    assert isinstance(updated, dict)
    assert updated["id"] == third
    assert raw(third)["Company"] == "Renamed"

    upserted = crm.integrate(
        "Leads", {"Last_Name": "Ngata 2", "Email": "NGATA@example.test"}, "Email"
    )
    assert isinstance(upserted, dict)
    assert upserted["id"] == first
    assert raw(first)["Last_Name"] == "Ngata 2"
    inserted = crm.integrate(
        "Leads", [{"Last_Name": "New", "Email": "new@example.test"}], ["Email"]
    )
    assert isinstance(inserted, list)
    assert inserted[0] is not None
    assert inserted[0]["id"] not in (first, second, third)

    before = calls(emulator)
    with pytest.raises(ZohoInputError, match=r"record\(s\) \[1\] carry no id"):
        crm.update("Leads", [{"id": first}, {"Company": "no id"}])
    with pytest.raises(ZohoInputError, match="delete takes 1 to 100 ids, not 101"):
        crm.delete("Leads", [first] * 101)
    with pytest.raises(ZohoInputError, match="a write takes 1 to 100 records, not 0"):
        crm.create("Leads", [])
    with pytest.raises(ZohoInputError, match=r"Leads has no field\(s\) Cty, Lastname"):
        crm.create("Leads", [{"Last_Name": "x", "Lastname": "y"}, {"Cty": "z"}])
    with pytest.raises(ZohoInputError, match=r"Leads has no field\(s\) Emial"):
        crm.integrate("Leads", {"Last_Name": "x", "Email": "x@example.test"}, "Emial")
    with pytest.raises(ZohoInputError, match=r"Leads has no field\(s\) Lead_Sorce"):
        crm.update("Leads", {"Lead_Sorce": "Web"}, id=first)
    assert spent_since(emulator, before) == {}

    assert crm.delete("Leads", first) == {"id": first}
    assert crm.delete("Leads", [second, third]) == [{"id": second}, {"id": third}]
    assert [raw(i) for i in (first, second, third)] == [{}, {}, {}]
    spent = spent_since(emulator, collections.Counter())
    assert {key: spent.get(key, 0) for key in (INSERT, UPDATE_MANY, UPDATE_ONE, UPSERT)} == {
        INSERT: 2,
        UPDATE_MANY: 1,
        UPDATE_ONE: 1,
        UPSERT: 2,
    }
    assert spent[DELETE_MANY] == 2


def test_write_failures_raise_with_zoho_details_or_come_back(emulator: Emulator) -> None:
    strict = connect(emulator)
    with pytest.raises(ZohoError) as caught:
        strict.create("Leads", [{"Last_Name": "fine"}, {"Company": "no last name"}])
    error = caught.value
    assert error.code == "MANDATORY_NOT_FOUND"
    assert error.details == {"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"}
    assert "record 1: required field not found" in str(error)
    with pytest.raises(ZohoError, match="INVALID_DATA: record 0: record not deleted"):
        strict.delete("Leads", MISSING_LEAD)
    with pytest.raises(ZohoError) as trigger:
        strict.create("Leads", {"Last_Name": "x"}, trigger=["nonsense"])
    assert (trigger.value.code, trigger.value.details) == (
        "INVALID_DATA",
        {"param_name": "trigger"},
    )

    lenient = connect(emulator, die_on_error=False)
    answer = lenient.create(
        "Leads",
        [{"Last_Name": "ok"}, {"Last_Name": "x", "No_of_Employees": "many"}, {"Email": "a@b.co"}],
    )
    # The seed's forms: None for a failed record; write() gives Zoho's code and field.
    assert isinstance(answer, list)
    assert [entry is not None for entry in answer] == [True, False, False]
    assert lenient.delete("Leads", [MISSING_LEAD]) == [None]
    results = lenient.write(
        "Leads", "create", [{"Last_Name": "ok"}, {"Last_Name": "x", "No_of_Employees": "many"}]
    )
    assert [result.code for result in results] == ["SUCCESS", "INVALID_DATA"]
    assert results[1].details["api_name"] == "No_of_Employees"


# -- load ------------------------------------------------------------------------------------------


def test_load_of_1000_rows_reports_every_row_in_input_order(
    crm: ZohoCRM, emulator: Emulator
) -> None:
    rows = 1000
    data = pl.DataFrame(
        {
            "Last_Name": [None if n % 10 == 3 else f"Load-{n:04d}" for n in range(rows)],
            "Email": [
                "not-an-email" if n % 10 == 7 else f"load.{n}@example.test" for n in range(rows)
            ],
            "No_of_Employees": list(range(rows)),
            "Owner.id": [crm.read("Leads", limit=1)["Owner.id"][0]] * rows,
        }
    )
    progress: list[dict[str, Any]] = []
    before = calls(emulator)
    result = crm.load("Leads", data, CREATE, die_on_error=False, callback=progress.append)
    spent = spent_since(emulator, before)
    assert result.columns == [*data.columns, "success", "message"]
    assert_frame_equal(result.select(data.columns), data)
    assert result["success"].to_list() == [n % 10 not in (3, 7) for n in range(rows)]
    messages = result["message"].to_list()
    for n in range(3, rows, 10):
        assert messages[n].startswith("MANDATORY_NOT_FOUND: required field not found"), n
        assert '"api_name": "Last_Name"' in messages[n]
    for n in range(7, rows, 10):
        assert messages[n].startswith("INVALID_DATA: invalid data"), n
        assert '"api_name": "Email"' in messages[n]
    ids = {created_id(messages[n]): f"Load-{n:04d}" for n in range(rows) if n % 10 not in (3, 7)}
    assert len(ids) == 800
    stored = raw_coql(
        emulator,
        "select id, Last_Name, Owner from Leads where Last_Name like 'Load-%' limit 2000",
    )
    assert {row["id"]: row["Last_Name"] for row in stored} == ids
    assert {row["Owner"]["id"] for row in stored} == {data["Owner.id"][0]}
    assert spent == {INSERT: 10}  # 100 rows a call
    assert emulator.stats()["max_in_flight"] <= crm.n_concurrent
    assert progress[-1] == {
        "rows_done": 1000,
        "rows_total": 1000,
        "rows_failed": 200,
        "batches_done": 10,
        "batches_total": 10,
    }
    assert sorted(p["rows_done"] for p in progress) == [p["rows_done"] for p in progress]


def test_load_update_integrate_retrieve_and_delete(crm: ZohoCRM, emulator: Emulator) -> None:
    existing = crm.read("Leads", fields=["Last_Name", "Email"], limit=150)
    changes = existing.select("id").with_columns(
        pl.lit("Contacted").alias("Lead_Status"),
        pl.Series("Lead_Score", list(range(150))),
        pl.col("id").cast(pl.Int64).alias("id"),  # ids as numbers go as Zoho's strings
    )
    before = calls(emulator)
    updated = crm.load("Leads", changes, "update", n_rows_write=60)
    assert spent_since(emulator, before) == {UPDATE_MANY: 3}
    assert updated["success"].all()
    assert updated["message"][0].startswith("SUCCESS: record updated")
    stored = raw_by_ids(emulator, "Leads", existing["id"].to_list(), ["Lead_Status", "Lead_Score"])
    assert [r["Lead_Status"] for r in stored] == ["Contacted"] * 150
    assert [r["Lead_Score"] for r in stored] == list(range(150))

    with_email = existing.filter(pl.col("Email").is_not_null()).head(5)
    upserts = pl.DataFrame(
        {
            "Email": [
                *with_email["Email"].to_list(),
                *[f"fresh.{n}@example.test" for n in range(5)],
            ],
            "Last_Name": [f"Upserted {n}" for n in range(10)],
        }
    )
    integrated = crm.load("Leads", upserts, INTEGRATE, sync_key="Email")
    assert integrated["success"].all()
    assert [m.split(" {")[0] for m in integrated["message"]] == (
        ["SUCCESS: record updated"] * 5 + ["SUCCESS: record added"] * 5
    )
    assert [created_id(m) for m in integrated["message"][:5]] == with_email["id"].to_list()

    wanted = pl.DataFrame({"id": [*existing["id"].to_list()[:3], MISSING_LEAD]})
    retrieved = crm.load("Leads", wanted, Action.RETRIEVE, die_on_error=False)
    assert retrieved["success"].to_list() == [True, True, True, False]
    assert retrieved["message"][3] == f"NOT_FOUND: no Leads record has the id {MISSING_LEAD}"
    first = json.loads(retrieved["message"][0])
    raw = emulator.crm("GET", f"Leads/{wanted['id'][0]}").json()["data"][0]
    assert {key: first[key] for key in ("id", "Lead_Status", "Lead_Score", "Owner")} == {
        key: raw[key] for key in ("id", "Lead_Status", "Lead_Score", "Owner")
    }

    before = calls(emulator)
    assert crm.load("Leads", changes.head(0), UPDATE).columns == [
        *changes.columns,
        "success",
        "message",
    ]
    assert spent_since(emulator, before) == {}

    doomed = pl.DataFrame({"id": [*existing["id"].to_list()[:3], MISSING_LEAD], "x": [1] * 4})
    before = calls(emulator)
    deleted = crm.load("Leads", doomed, DELETE, die_on_error=False)
    assert spent_since(emulator, before) == {DELETE_MANY: 1}
    # An id Zoho no longer holds is gone already: a rerun of a delete succeeds.
    assert deleted["success"].to_list() == [True, True, True, True]
    assert deleted["message"][3] == (
        f'ALREADY_DELETED: INVALID_DATA: record not deleted {{"id": "{MISSING_LEAD}"}}'
    )
    assert emulator.crm("GET", f"Leads/{existing['id'][0]}").status_code == 204

    # trigger travels with every batch: a wrong one fails each row, and nothing is raised
    refused = crm.load("Leads", upserts, CREATE, trigger=["nonsense"], die_on_error=False)
    assert set(refused["message"]) == {
        'INVALID_DATA: invalid data {"param_name": "trigger"} (HTTP 400)'
    }
    quiet = pl.DataFrame({"Last_Name": ["Quiet 1", "Quiet 2"]})
    assert crm.load("Leads", quiet, "CREATE", trigger=[])["success"].all()


def test_load_values_are_sent_as_zoho_takes_them(crm: ZohoCRM, emulator: Emulator) -> None:
    start = dt.datetime(2024, 2, 29, 9, 30, tzinfo=dt.UTC)
    data = pl.DataFrame(
        {
            "Name": ["Typed 1", "Typed 2"],
            "Visit_Date": [dt.date(2024, 2, 29), None],
            "Visit_Start": [start, start + dt.timedelta(hours=30)],
            "Unit_Price": [Decimal("12.50"), Decimal("7")],
            "Services": [["Training"], ["Repair, urgent", 'Audit "full"']],
            "Status": ["done", "planned"],
        },
        schema_overrides={"Unit_Price": pl.Decimal(12, 2)},
    )

    def with_quantity(record: dict[str, Any]) -> dict[str, Any]:
        return {**record, "Quantity": len(record["Name"])}

    result = crm.load(
        "Service_Visits",
        data,
        CREATE,
        transform=with_quantity,
        picklist={"Status": {"done": "Done", "planned": "Planned"}},
    )
    assert result["success"].all(), result["message"].to_list()
    first, second = (
        emulator.crm("GET", f"Service_Visits/{created_id(m)}").json()["data"][0]
        for m in result["message"]
    )
    assert first["Visit_Date"] == "2024-02-29"
    assert second["Visit_Date"] is None
    assert parse_datetime(first["Visit_Start"]) == start
    assert first["Visit_Start"].endswith("-08:00")  # stored in the org's time zone
    assert parse_datetime(second["Visit_Start"]) == start + dt.timedelta(hours=30)
    assert (first["Unit_Price"], second["Unit_Price"]) == (12.5, 7)
    assert second["Services"] == ["Repair, urgent", 'Audit "full"']
    assert (first["Status"], second["Status"]) == ("Done", "Planned")
    assert (first["Quantity"], first["Total_Amount"]) == (7, 87.5)


def test_load_refuses_bad_input_before_any_call(crm: ZohoCRM, emulator: Emulator) -> None:
    crm.fields("Leads")
    names = pl.DataFrame({"Last_Name": ["a", "b"]})
    cases: list[tuple[Callable[[], Any], type[Exception], str]] = [
        (lambda: crm.load("Leads", names, UPDATE), ZohoInputError, "UPDATE needs the column"),
        (lambda: crm.load("Leads", names, DELETE), ZohoInputError, "DELETE needs the column"),
        (lambda: crm.load("Leads", names, RETRIEVE), ZohoInputError, "RETRIEVE needs the colu"),
        (
            lambda: crm.load("Leads", names, INTEGRATE, sync_key="Email"),
            ZohoInputError,
            "INTEGRATE needs the column\\(s\\) Email; the DataFrame has: Last_Name",
        ),
        (
            lambda: crm.load("Leads", names.with_columns(Nope=1), INTEGRATE, sync_key="Nope"),
            ZohoInputError,
            "sync_key 'Nope' is not a field of Leads",
        ),
        (
            lambda: crm.load("Leads", names.with_columns(Lastname=1, Cty=2), CREATE),
            ZohoInputError,
            "Leads has no field\\(s\\) Cty, Lastname",
        ),
        (
            lambda: crm.load("Leads", names, CREATE, transform=lambda r: {**r, "X_Y": 1}),
            ZohoInputError,
            "Leads has no field\\(s\\) X_Y",
        ),
        (lambda: crm.load("Leadz", names, CREATE), ZohoInputError, "unknown Zoho CRM module"),
        (
            lambda: crm.load("Leads", names.with_columns(id=pl.Series([None, "1"])), UPDATE),
            ZohoInputError,
            "row 0 has no id, which UPDATE needs",
        ),
        (lambda: crm.load("Leads", names, "upsert"), ZohoInputError, "unknown action 'upsert'"),
        (lambda: crm.load("Leads", names, 9), ZohoInputError, "expected one of CREATE, UPDATE"),
        (lambda: crm.load("Leads", names, CREATE, n_rows_write=101), ValueError, "n_rows_write"),
    ]
    before = calls(emulator)
    for action, kind, message in cases:
        with pytest.raises(kind, match=message):
            action()
    assert spent_since(emulator, before) == {}


def test_load_reports_rows_without_their_key_and_sends_the_others(
    crm: ZohoCRM, emulator: Emulator
) -> None:
    ids = crm.read("Leads", fields=["Last_Name"], limit=2)["id"].to_list()
    data = pl.DataFrame({"id": [ids[0], None, ids[1]], "City": ["Accra", "Lomé", "Dakar"]})
    before = calls(emulator)
    result = crm.load("Leads", data, UPDATE, die_on_error=False)
    assert spent_since(emulator, before) == {UPDATE_MANY: 1}
    assert result["success"].to_list() == [True, False, True]
    assert result["message"][1] == "INVALID_INPUT: row 1 has no id, which UPDATE needs"
    stored = raw_by_ids(emulator, "Leads", ids, ["City"])
    assert [record["City"] for record in stored] == ["Accra", "Dakar"]


def test_load_with_die_on_error_raises_at_the_first_failed_row(emulator: Emulator) -> None:
    crm = connect(emulator, n_concurrent=1)
    data = pl.DataFrame(
        {"Last_Name": [None if n == 120 else f"Strict-{n}" for n in range(500)]},
        schema={"Last_Name": pl.String},
    )
    before = calls(emulator)
    with pytest.raises(ZohoError) as caught:
        crm.load("Leads", data, CREATE)
    assert caught.value.code == "LOAD_FAILED"
    assert str(caught.value).startswith("LOAD_FAILED: row 120 failed: MANDATORY_NOT_FOUND")
    # batches not started when the failure came back are not sent
    assert 2 <= spent_since(emulator, before)[INSERT] <= 3


def test_action_names_are_importable_and_interchangeable() -> None:
    assert list(Action) == [CREATE, UPDATE, DELETE, INTEGRATE, RETRIEVE]
    assert [int(action) for action in Action] == [1, 2, 3, 4, 5]
    assert Action(4) is INTEGRATE
    assert isinstance(RETRIEVE, int)


# -- the isolated org: volume, faults, tokens -------------------------------------------------


def test_read_of_5000_plus_records(isolated: Emulator) -> None:
    crm = connect(isolated)
    before = calls(isolated)
    frame = crm.read(
        "Leads",
        fields=["Last_Name", "Owner", "Modified_Time"],
        order_by="Modified_Time",
        strategy="rest",
    )
    spent = spent_since(isolated, before)
    raw = raw_records(isolated, "Leads", "Last_Name,Modified_Time", sort_by="Modified_Time")
    assert frame.height == len(raw) == raw_count(isolated, "Leads") > 5000
    assert frame["id"].to_list() == [record["id"] for record in raw]
    assert frame["Last_Name"].to_list() == [record["Last_Name"] for record in raw]
    assert frame["Modified_Time"].to_list() == [record["Modified_Time"] for record in raw]
    assert frame.columns == [
        "id",
        "Last_Name",
        "Owner.name",
        "Owner.id",
        "Owner.email",
        "Modified_Time",
        "$approval_state",
        "$editable",
        "$in_merge",
        "$process_flow",
        "$review",
        "$currency_symbol",
    ]
    # 200 records a call, each call after the first asking the last second read again
    assert math.ceil(len(raw) / 200) <= spent.pop(RECORDS) <= math.ceil(len(raw) / 195)
    assert spent == {MODULES: 1, FIELDS: 1}


def test_read_survives_5xx_and_dropped_connections(isolated: Emulator) -> None:
    crm = connect(isolated)
    crm.http.retry = QUICK_RETRY
    by_time: dict[str, Any] = {"order_by": "Modified_Time", "strategy": "rest"}
    isolated.reset()
    clean = crm.read("Contacts", fields=["Last_Name", "Email"], **by_time)
    pages = isolated.stats()["by_endpoint"][RECORDS]
    isolated.configure(error_rate=0.15, drop_rate=0.1)
    isolated.reset()
    faulty = crm.read("Contacts", fields=["Last_Name", "Email"], **by_time)
    assert_frame_equal(faulty, clean)
    assert faulty.height > 5000
    stats = isolated.stats()
    assert stats["faults"]["errors_injected"] > 0
    assert stats["faults"]["connections_dropped"] > 0
    faults = stats["faults"]["errors_injected"] + stats["faults"]["connections_dropped"]
    assert stats["by_endpoint"][RECORDS] == pages + faults  # every fault retried, once


def test_load_survives_5xx_and_dropped_connections(isolated: Emulator) -> None:
    crm = connect(isolated, n_concurrent=4)
    crm.http.retry = QUICK_RETRY
    crm.fields("Leads")
    isolated.configure(error_rate=0.2)
    data = pl.DataFrame({"Last_Name": [f"Faulty-{n:03d}" for n in range(600)]})
    result = crm.load("Leads", data, CREATE, n_rows_write=50, die_on_error=False)
    isolated.configure(**CALM)
    assert result["success"].all(), result.filter(~pl.col("success"))["message"].to_list()
    assert isolated.stats()["faults"]["errors_injected"] > 0
    # Zoho answered 500: the write was not applied, so retrying it writes it once.
    stored = raw_coql(
        isolated, "select id, Last_Name from Leads where Last_Name like 'Faulty-%' limit 2000"
    )
    assert sorted(row["Last_Name"] for row in stored) == data["Last_Name"].to_list()
    assert {created_id(m) for m in result["message"]} == {row["id"] for row in stored}


def test_dropped_inserts_are_reported_not_repeated(isolated: Emulator) -> None:
    crm = connect(isolated, n_concurrent=4)
    crm.http.retry = QUICK_RETRY
    crm.fields("Leads")
    isolated.configure(drop_rate=0.2)
    data = pl.DataFrame({"Last_Name": [f"Dropped-{n:03d}" for n in range(600)]})
    result = crm.load("Leads", data, CREATE, n_rows_write=50, die_on_error=False)
    isolated.configure(**CALM)
    failed = result.filter(~pl.col("success"))
    assert isolated.stats()["faults"]["connections_dropped"] > 0
    assert failed.height > 0
    assert all("OUTCOME_UNKNOWN" in message for message in failed["message"])
    # A dropped insert may have reached Zoho: it is reported, never sent twice.
    stored = raw_coql(
        isolated, "select id, Last_Name from Leads where Last_Name like 'Dropped-%' limit 2000"
    )
    written = result.filter(pl.col("success"))["Last_Name"].to_list()
    assert sorted(row["Last_Name"] for row in stored) == sorted(written)


def test_spent_credits_end_a_load_whatever_die_on_error(isolated: Emulator) -> None:
    crm = connect(isolated, n_concurrent=2)
    crm.fields("Leads")
    isolated.configure(daily_credits=isolated.stats()["credits"] + 10)  # two inserts of 50
    data = pl.DataFrame({"Last_Name": [f"Unpaid-{n:03d}" for n in range(600)]})
    try:
        with pytest.raises(ZohoCreditsError, match="credits for the day are spent"):
            crm.load("Leads", data, CREATE, n_rows_write=50, die_on_error=False)
    finally:
        isolated.configure(**CALM)
    # The two paid for are written; of the ten others, at most the two in flight were sent.
    assert calls(isolated)[INSERT] <= 4
    stored = raw_coql(isolated, "select id from Leads where Last_Name like 'Unpaid-%' limit 2000")
    assert len(stored) == 100


def test_upserts_survive_dropped_connections(isolated: Emulator) -> None:
    crm = connect(isolated, n_concurrent=4)
    crm.http.retry = QUICK_RETRY
    crm.fields("Leads")
    isolated.configure(drop_rate=0.2)
    emails = [f"upsert.{n:03d}@example.test" for n in range(600)]
    data = pl.DataFrame({"Email": emails, "Last_Name": [f"Upserted {n}" for n in range(600)]})
    result = crm.load("Leads", data, INTEGRATE, sync_key="Email", n_rows_write=50)
    isolated.configure(**CALM)
    assert result["success"].all()
    assert isolated.stats()["faults"]["connections_dropped"] > 0
    stored = raw_coql(isolated, "select Email from Leads where Email like 'upsert.%' limit 2000")
    assert sorted(row["Email"] for row in stored) == emails


def test_load_survives_the_concurrency_limit(isolated: Emulator) -> None:
    crm = connect(isolated, n_concurrent=6)
    crm.http.retry = QUICK_RETRY
    crm.fields("Accounts")
    isolated.configure(concurrency=2, latency_ms=40)
    data = pl.DataFrame({"Account_Name": [f"Crowded {n:03d}" for n in range(400)]})
    result = crm.load("Accounts", data, CREATE, n_rows_write=25)
    isolated.configure(**CALM)
    assert result["success"].all()
    stats = isolated.stats()
    assert stats["faults"]["concurrency_exceeded"] > 0
    assert stats["by_endpoint"][INSERT] == 16 + stats["faults"]["concurrency_exceeded"]
    stored = raw_coql(
        isolated,
        "select Account_Name from Accounts where Account_Name like 'Crowded %' limit 2000",
    )
    assert sorted(row["Account_Name"] for row in stored) == data["Account_Name"].to_list()


def test_never_more_calls_in_flight_than_n_concurrent(isolated: Emulator) -> None:
    crm = connect(isolated, n_concurrent=3)
    crm.fields("Leads")
    isolated.configure(latency_ms=30)
    data = pl.DataFrame({"Last_Name": [f"Flight {n}" for n in range(1000)]})
    isolated.reset()
    assert crm.load("Leads", data, CREATE)["success"].all()
    assert isolated.stats()["max_in_flight"] == 3
    isolated.reset()
    assert crm.load("Leads", data.head(600), CREATE, n_concurrent=2)["success"].all()
    assert isolated.stats()["max_in_flight"] == 2
    isolated.reset()
    assert crm.load("Leads", data.head(600), CREATE, n_concurrent=8)["success"].all()
    assert isolated.stats()["max_in_flight"] == 3  # the client's bound holds


def test_retries_give_up_with_zoho_errors(isolated: Emulator) -> None:
    crm = connect(isolated)
    crm.http.retry = RetryPolicy(attempts=3, backoff=0.01)
    crm.fields("Leads")
    isolated.configure(error_rate=1.0)
    isolated.reset()
    with pytest.raises(ZohoError) as caught:
        crm.read("Leads", fields=["Last_Name"], order_by="Modified_Time", strategy="rest")
    assert caught.value.code == "RETRIES_EXHAUSTED"
    assert caught.value.message == (
        f"GET {isolated.url}/crm/v8/Leads still failing after 3 attempts: HTTP 500 INTERNAL_ERROR"
    )
    assert isolated.stats()["by_endpoint"] == {RECORDS: 3}
    data = pl.DataFrame({"Last_Name": [f"Never {n}" for n in range(250)]})
    result = crm.load("Leads", data, CREATE, die_on_error=False)
    assert result.height == 250
    assert not result["success"].any()
    assert set(result["message"]) == {
        f"RETRIES_EXHAUSTED: POST {isolated.url}/crm/v8/Leads still failing after 3 attempts: "
        "HTTP 500 INTERNAL_ERROR"
    }
    isolated.configure(error_rate=0, daily_credits=1)
    isolated.reset()
    crm.request("GET", "org")  # the day's one credit
    with pytest.raises(ZohoCreditsError) as spent:
        crm.count("Leads")  # X-API-CREDITS-REMAINING: 0 tells it from concurrency
    assert "credits for the day are spent" in spent.value.message
    assert "24 hours" in spent.value.message
    assert isolated.stats()["faults"]["credits_exhausted"] == 1
    isolated.configure(crm_credits_header=False)  # the 429 of concurrency, nothing else
    try:
        with pytest.raises(ZohoRateLimitError) as limited:
            crm.count("Leads")
    finally:
        isolated.configure(crm_credits_header=True)
    assert not isinstance(limited.value, ZohoCreditsError)
    assert limited.value.code == "TOO_MANY_REQUESTS"
    assert "credits are spent" in (limited.value.hint or "")
    assert isolated.stats()["faults"]["credits_exhausted"] == 4


def test_timeouts_are_retried_then_reported(isolated: Emulator) -> None:
    crm = connect(isolated, timeout=0.3)
    crm.http.retry = RetryPolicy(attempts=3, backoff=0.01)
    crm.fields("Leads")
    isolated.configure(latency_ms=600)
    isolated.reset()
    with pytest.raises(ZohoError) as caught:
        crm.read("Leads", limit=5, order_by="Modified_Time", strategy="rest")
    assert caught.value.code == "RETRIES_EXHAUSTED"
    assert caught.value.message.endswith("still failing after 3 attempts: ReadTimeout")
    assert isolated.stats()["by_endpoint"] == {RECORDS: 3}
    isolated.configure(latency_ms=0)
    assert crm.read("Leads", limit=5).height == 5


def test_retry_policy_backs_off_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(attempts=5, backoff=0.5, max_backoff=3)
    waits = [[policy.wait(attempt, None) for _ in range(200)] for attempt in (1, 2, 3, 4)]
    for attempt, drawn in enumerate(waits, start=1):
        ceiling = min(3, 0.5 * 2 ** (attempt - 1))
        assert all(0 <= wait <= ceiling for wait in drawn)
        assert len(set(drawn)) > 150  # jitter: no two clients retry in step
    assert max(waits[3]) > 2  # the ceiling grows
    assert policy.wait(1, 2.5) == 2.5
    assert policy.wait(1, 90) == 3


def test_a_token_that_expires_mid_read_is_refreshed_once(isolated: Emulator) -> None:
    crm = connect(isolated)
    by_time: dict[str, Any] = {"order_by": "Modified_Time", "strategy": "rest"}
    isolated.reset()
    clean = crm.read("Deals", fields=["Deal_Name"], **by_time)
    pages = isolated.stats()["by_endpoint"][RECORDS]
    isolated.reset()

    def expire_after_first_page(progress: dict[str, Any]) -> None:
        if progress["rows_done"] == 200:
            expire_tokens(isolated)

    frame = crm.read("Deals", fields=["Deal_Name"], callback=expire_after_first_page, **by_time)
    assert_frame_equal(frame, clean)
    stats = isolated.stats()
    assert stats["token_refreshes"] == 1
    # one call was refused with the dead token, then made again
    assert stats["by_endpoint"] == {RECORDS: pages + 1}


def test_a_token_about_to_expire_is_refreshed_before_a_call_is_refused(
    isolated: Emulator,
) -> None:
    crm = connect(isolated)
    isolated.configure(token_lifetime=1)
    expire_tokens(isolated)
    before = calls(isolated)
    crm.request("GET", "org")  # refused once: the client learns of the expiry from Zoho
    assert isolated.stats()["token_refreshes"] == 1
    assert spent_since(isolated, before) == {ORG: 2}
    time.sleep(1.0)  # the new token lives one second
    assert crm.ping()
    assert isolated.stats()["token_refreshes"] == 2
    assert spent_since(isolated, before) == {ORG: 3}  # no call was spent on the dead token


def test_every_client_and_thread_shares_one_token(isolated: Emulator) -> None:
    expire_tokens(isolated)
    isolated.reset()

    def work(number: int) -> tuple[int, object]:
        client = connect(isolated, n_concurrent=2)
        frame = client.read(["Leads", "Contacts", "Accounts", "Deals"][number % 4], limit=300)
        return frame.height, client.token

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    assert [height for height, _ in results] == [300] * 8
    assert len({id(token) for _, token in results}) == 1
    assert isolated.stats()["token_refreshes"] == 1


def test_no_secret_in_logs_exceptions_or_reprs(
    isolated: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    expire_tokens(isolated)
    crm = connect(isolated)
    crm.http.retry = QUICK_RETRY
    access = crm.headers()["Authorization"].split()[-1]
    isolated.configure(error_rate=0.3)
    crm.read("Leads", fields=["Last_Name"], limit=1000)
    isolated.configure(error_rate=0)
    with pytest.raises(ZohoAuthError) as refused:
        ZohoCRM(
            "emulator-client-id", "wrong-s3cr3t", "1000.r3fr3sh.t0k3n", isolated.url, isolated.url
        )
    texts = [
        caplog.text,
        *(str(record.args) for record in caplog.records),
        repr(crm),
        repr(vars(crm)),
        repr(crm.token),
        str(refused.value),
        repr(refused.value),
    ]
    assert any("retry" in record.getMessage() for record in caplog.records)
    assert any(record.name.startswith("urllib3") for record in caplog.records)
    for secret in (
        isolated.client_secret,
        isolated.refresh_token,
        access,
        "wrong-s3cr3t",
        "1000.r3fr3sh.t0k3n",
    ):
        for text in texts:
            assert secret not in text


# -- Zoho's 100,000-record page-token seam --------------------------------------------------


def test_modified_time_read_crosses_the_100000_record_seam_without_gap_or_duplicate() -> None:
    with running_emulator("--records", "101000", "--concurrency", "0") as emulator:
        crm = connect(emulator, n_concurrent=10)
        # 1,000 Leads updated at once move to the end of the Modified_Time order, sharing a
        # second or two: the seam at record 100,000 falls inside that run of ties.
        touched = [
            record["id"]
            for page in range(1, 6)
            for record in emulator.crm(
                "GET", "Leads", params={"fields": "Last_Name", "page": page}
            ).json()["data"]
        ]
        data = pl.DataFrame({"id": touched, "Description": ["touched"] * len(touched)})
        assert crm.load("Leads", data, UPDATE)["success"].all()
        total = crm.count("Leads")
        assert 100_000 < total < 100_000 + len(touched)
        time.sleep(2)  # a read takes what was modified until a second before it starts
        for strategy in ("rest", "coql"):
            before = calls(emulator)
            ids: list[str] = []
            stamps: list[str] = []
            pages = crm.pages(
                "Leads", fields=["Modified_Time"], order_by="Modified_Time", strategy=strategy
            )
            for page in pages:
                ids += [record["id"] for record in page]
                stamps += [record["Modified_Time"] for record in page]

            assert len(ids) == total, strategy
            assert len(set(ids)) == total  # no duplicate, hence no gap
            moments = instants(stamps)
            assert moments == sorted(moments)
            assert set(ids[-len(touched) :]) == set(touched)
            spent = spent_since(emulator, before)
            if strategy == "rest":
                # Page 1 again and again, after the last second read: no token chain, no cap;
                # the seconds holding more ties than a page are read by COQL ids
                assert spent[RECORDS] <= math.ceil(total / 200) + 20
                assert 0 < spent[COQL] <= 4
            else:  # blocks of 50 pages of 2,000 (overlapping by one), each after the last
                assert spent[COQL] <= math.ceil(total / 1999) + 2
