"""Zoho's official Python SDK for CRM v8 (``zohocrmsdk8-0``) against the emulator.

The SDK gets its own ``DataCenter.Environment`` pointing at the emulator and does every call
through its own operation classes; what it reads and writes is checked over plain HTTP.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import logging
import math
from typing import TYPE_CHECKING, Any

import pytest
import requests
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api import fields as sdk_fields
from zohocrmsdk.src.com.zoho.crm.api import modules as sdk_modules
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper,
    APIException,
    BodyWrapper,
    CountWrapper,
    DeletedRecordsWrapper,
    DeleteRecordsParam,
    GetDeletedRecordsParam,
    GetRecordsHeader,
    GetRecordsParam,
    Record,
    RecordCountParam,
    RecordOperations,
    ResponseWrapper,
    SearchRecordsParam,
    SuccessResponse,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig
from zohocrmsdk.src.com.zoho.crm.api.users import MinifiedUser
from zohocrmsdk.src.com.zoho.crm.api.util import Choice

from tests.server import Emulator, running_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

RECORDS = 2600
#: Service_Visits fields and the Python type the SDK gives their values.
TYPED = {
    "Visit_Date": dt.date,
    "Visit_Start": dt.datetime,
    "Status": Choice,
    "Serial_Number": int,
    "Account": Record,
    "Technician": MinifiedUser,
}


@dataclasses.dataclass
class Sdk:
    """The initialised SDK's files and every URL it (or this module) requested."""

    home: Path
    visited: list[str]


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    """An emulator of its own: the SDK's writes must not leak into other modules."""
    with running_emulator("--records", str(RECORDS), "--concurrency", "0") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def sdk(server: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sdk]:
    """The SDK initialised against the emulator, once: its Initializer is process-global.

    Every HTTP request is recorded, and one for any other host fails, so a real Zoho data
    centre is never contacted. Tokens, field metadata and the log stay in a temporary directory.
    """
    home = tmp_path_factory.mktemp("zoho-sdk")
    visited: list[str] = []
    send = requests.adapters.HTTPAdapter.send

    def guarded(
        adapter: requests.adapters.HTTPAdapter,
        request: requests.PreparedRequest,
        *args: Any,
        **kwargs: Any,
    ) -> requests.Response:
        url = request.url or ""
        visited.append(url)
        if not url.startswith(f"{server.url}/"):
            raise requests.ConnectionError(f"not the emulator: {url}")
        return send(adapter, request, *args, **kwargs)

    sdk_logger = logging.getLogger("SDKLogger")
    handlers = list(sdk_logger.handlers)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.adapters.HTTPAdapter, "send", guarded)
        Initializer.initialize(
            environment=DataCenter.Environment(
                server.url, f"{server.url}/oauth/v2/token", server.url
            ),
            token=OAuthToken(
                client_id=server.client_id,
                client_secret=server.client_secret,
                refresh_token=server.refresh_token,
            ),
            store=FileStore(str(home / "tokens.csv")),
            sdk_config=SDKConfig(auto_refresh_fields=True, pick_list_validation=True),
            resource_path=str(home),
            logger=Logger.get_instance(Logger.Levels.INFO, str(home / "sdk.log")),
        )
        yield Sdk(home, visited)
    for handler in sdk_logger.handlers:
        if handler not in handlers:
            sdk_logger.removeHandler(handler)
            handler.close()


# -- helpers -------------------------------------------------------------------------------


def params(kind: Any, **values: Any) -> Any:
    """A ParameterMap of the SDK's own Param objects (``kind`` is e.g. GetRecordsParam)."""
    mapping = ParameterMap()
    for name, value in values.items():
        mapping.add(getattr(kind, name), value)
    return mapping


def sdk_record(**values: Any) -> Any:
    """An SDK Record; ``id`` is set as the SDK wants it, an int."""
    record = Record()
    for key, value in values.items():
        if key == "id":
            record.set_id(value)
        else:
            record.add_key_value(key, value)
    return record


def body(*records: Any, **options: Any) -> Any:
    """A BodyWrapper around records, with ``set_<option>`` for each option."""
    wrapper = BodyWrapper()
    wrapper.set_data(list(records))
    for name, value in options.items():
        getattr(wrapper, f"set_{name}")(value)
    return wrapper


def unwrap(response: Any, status: int, kind: Any) -> Any:
    """The parsed object of an SDK response, checking its HTTP status and class."""
    assert response is not None
    assert response.get_status_code() == status
    parsed = response.get_object()
    assert isinstance(parsed, kind), describe(parsed)
    return parsed


def describe(result: Any) -> str:
    """An SDK result for an assertion message (APIExceptions say what went wrong)."""
    if isinstance(result, APIException):
        return f"{result.get_code().get_value()}: {result.get_details()}"
    return repr(result)


def created_id(result: Any) -> str:
    """The record id a per-record SuccessResponse reports."""
    assert isinstance(result, SuccessResponse), describe(result)
    return str(result.get_details()["id"])


def mismatches(parsed: Any, sent: Any, path: str = "") -> list[str]:
    """Where a value the SDK parsed differs from the JSON the emulator sent."""
    if sent is None:
        return [] if parsed is None else [f"{path}: {parsed!r} for null"]
    if isinstance(sent, list):
        if not isinstance(parsed, list) or len(parsed) != len(sent):
            return [f"{path}: {parsed!r} for {sent!r}"]
        return [
            problem
            for number, (one, other) in enumerate(zip(parsed, sent, strict=True))
            for problem in mismatches(one, other, f"{path}[{number}]")
        ]
    if isinstance(sent, dict):
        return [
            problem
            for key, value in sent.items()
            for problem in mismatches(member(parsed, key), value, f"{path}.{key}")
        ]
    return [] if same_scalar(parsed, sent) else [f"{path}: {parsed!r} for {sent!r}"]


def member(parsed: Any, key: str) -> Any:
    """One key of a parsed object: a map entry, a record's key value, or a model's getter."""
    if isinstance(parsed, dict):
        return parsed.get(key)
    if isinstance(parsed, Record):
        return parsed.get_key_values().get(key)
    getter = getattr(parsed, f"get_{key.lower()}", None)
    return getter() if getter is not None else None


def same_scalar(parsed: Any, sent: Any) -> bool:
    """Whether an SDK value stands for a JSON scalar (the SDK types ids and bigints as ints)."""
    if isinstance(parsed, Choice):
        parsed = parsed.get_value()
    elif isinstance(parsed, dt.datetime):
        return isinstance(sent, str) and parsed == dt.datetime.fromisoformat(sent)
    elif isinstance(parsed, dt.date):
        parsed = parsed.isoformat()
    elif isinstance(parsed, int) and not isinstance(parsed, bool) and isinstance(sent, str):
        return sent.isdigit() and int(sent) == parsed
    if isinstance(parsed, bool) or isinstance(sent, bool):
        return parsed is sent
    return bool(parsed == sent)


def visit_with_children(server: Emulator) -> dict[str, Any]:
    """A seeded Service_Visit with subform rows, links and every field of TYPED set, as JSON."""
    query = {"fields": "Name", "sort_order": "asc"}
    listed = server.crm("GET", "Service_Visits", params=query).json()["data"]
    for row in listed:
        visit: dict[str, Any] = server.crm("GET", f"Service_Visits/{row['id']}").json()["data"][0]
        wanted = ("Visit_Items", "Related_Accounts", *TYPED)
        if all(visit[name] for name in wanted):
            return visit
    raise AssertionError("no seeded visit has subform rows, links and every typed field")


def first_leads(server: Emulator, count: int, skip: int = 0) -> list[dict[str, Any]]:
    """Seeded Leads with an email, as JSON, oldest first (records created here come last)."""
    query = {"fields": "Last_Name,Full_Name,Email", "sort_order": "asc"}
    data = server.crm("GET", "Leads", params=query).json()
    leads: list[dict[str, Any]] = [lead for lead in data["data"] if lead["Email"]]
    return leads[skip : skip + count]


# -- initialisation ------------------------------------------------------------------------


def test_sdk_is_initialised_against_the_emulator(sdk: Sdk, server: Emulator) -> None:
    environment = Initializer.get_initializer().environment
    assert (environment.url, environment.accounts_url) == (
        server.url,
        f"{server.url}/oauth/v2/token",
    )
    assert DataCenter.get(server.url) is None  # not mistaken for a real Zoho data centre
    with (sdk.home / "tokens.csv").open(newline="") as file:
        [token] = list(csv.DictReader(file))
    assert token["api_domain"] == server.url  # the token response's api_domain
    assert token["access_token"].startswith("1000.")
    me = server.crm("GET", "users", params={"type": "CurrentUser"}).json()["users"][0]
    zgid = server.crm("GET", "org").json()["org"][0]["zgid"]
    assert token["user_name"] == f"{me['email']}:{zgid}"  # the SDK's own CurrentUser + org calls


# -- reads ---------------------------------------------------------------------------------


def test_get_records_follows_page_tokens_past_2000(sdk: Sdk, server: Emulator) -> None:
    operations = RecordOperations("Leads")
    query: dict[str, Any] = {"fields": "Last_Name,Email", "per_page": 200}
    ids: list[int] = []
    calls = 0
    while True:
        wrapper = unwrap(
            operations.get_records(params(GetRecordsParam, **query)), 200, ResponseWrapper
        )
        calls += 1
        ids += [record.get_id() for record in wrapper.get_data()]
        info = wrapper.get_info()
        if calls == 1:
            assert info.get_page_token_expiry() > dt.datetime.now(dt.UTC)
        if not info.get_more_records():
            break
        query = {
            "fields": "Last_Name,Email",
            "per_page": 200,
            "page_token": info.get_next_page_token(),
        }
    total = server.crm("GET", "Leads/actions/count").json()["count"]
    assert total > 2000
    assert len(ids) == len(set(ids)) == total
    assert ids == sorted(ids, reverse=True)  # Zoho's default order, id descending, across tokens
    assert calls == math.ceil(total / 200)


def test_get_records_with_if_modified_since(sdk: Sdk, server: Emulator) -> None:
    since = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=30)
    headers = HeaderMap()
    headers.add(GetRecordsHeader.if_modified_since, since)
    query = params(
        GetRecordsParam, fields="Modified_Time", sort_by="Modified_Time", sort_order="asc"
    )
    wrapper = unwrap(RecordOperations("Leads").get_records(query, headers), 200, ResponseWrapper)
    times = [record.get_key_value("Modified_Time") for record in wrapper.get_data()]
    assert times
    assert all(time > since for time in times)
    assert times == sorted(times)
    plain = server.crm(
        "GET",
        "Leads",
        params={"fields": "Modified_Time", "sort_by": "Modified_Time", "sort_order": "asc"},
        headers={"If-Modified-Since": since.isoformat(timespec="seconds")},
    ).json()["data"]
    assert [record.get_id() for record in wrapper.get_data()] == [int(r["id"]) for r in plain]


def test_get_record_parses_every_field_as_sent(sdk: Sdk, server: Emulator) -> None:
    visit = visit_with_children(server)
    response = RecordOperations("Service_Visits").get_record(int(visit["id"]))
    [record] = unwrap(response, 200, ResponseWrapper).get_data()
    assert mismatches(record, visit) == []
    assert len(record.get_key_values()) == len(visit)
    for name, kind in TYPED.items():
        assert isinstance(record.get_key_value(name), kind), name
    row = record.get_key_value("Visit_Items")[0]
    assert isinstance(row.get_key_value("Parent_Id"), Record)  # read with the subform's fields
    link = record.get_key_value("Related_Accounts")[0]
    # Read with the linking module's fields, which the SDK finds through linking_details.
    assert isinstance(link.get_key_value("Linked_Account"), Record)
    assert link.get_key_value("Linked_Account").get_id() == int(
        visit["Related_Accounts"][0]["Linked_Account"]["id"]
    )
    assert list((sdk.home / "resources").iterdir())  # the SDK's field-metadata cache


def test_missing_record_is_no_content(sdk: Sdk) -> None:
    response = RecordOperations("Leads").get_record(4876876001999999999)
    assert response.get_status_code() == 204
    assert response.get_object() is None


# -- writes --------------------------------------------------------------------------------


def test_create_records_of_every_kind_of_field(sdk: Sdk, server: Emulator) -> None:
    account = server.crm("GET", "Accounts", params={"fields": "Account_Name"}).json()["data"][0]
    user = server.crm("GET", "users", params={"type": "ActiveUsers"}).json()["users"][-1]
    technician = MinifiedUser()
    technician.set_id(int(user["id"]))
    start = dt.datetime(2025, 3, 4, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    visit = sdk_record(
        Name="SDK visit",
        External_Id="SDK-CONFORMANCE-1",
        Visit_Date=dt.date(2025, 3, 4),
        Visit_Start=start,
        Status=Choice("Planned"),
        Services=[Choice("Inspection"), Choice("Training")],
        Serial_Number=123456789012345,
        Quantity=3,
        Unit_Price=19.5,
        Billable=True,
        Account=sdk_record(id=int(account["id"])),
        Technician=technician,
        Visit_Items=[sdk_record(Item_Name="Filter", Quantity=2, Unit_Price=4.25)],
        Related_Accounts=[sdk_record(Linked_Account=sdk_record(id=int(account["id"])))],
    )
    operations = RecordOperations("Service_Visits")
    [result] = unwrap(
        operations.create_records(body(visit, trigger=[])), 201, ActionWrapper
    ).get_data()
    assert result.get_message().get_value() == "record added"
    stored = server.crm("GET", f"Service_Visits/{created_id(result)}").json()["data"][0]
    assert stored["Name"] == "SDK visit"
    assert stored["Visit_Date"] == "2025-03-04"
    assert dt.datetime.fromisoformat(stored["Visit_Start"]) == start
    assert stored["Status"] == "Planned"
    assert stored["Services"] == ["Inspection", "Training"]
    assert stored["Serial_Number"] == "123456789012345"
    assert stored["Total_Amount"] == 58.5  # the formula, from what the SDK sent
    assert stored["Billable"] is True
    assert stored["Account"]["id"] == account["id"]
    assert stored["Technician"]["id"] == user["id"]
    assert [item["Item_Name"] for item in stored["Visit_Items"]] == ["Filter"]
    assert stored["Visit_Items"][0]["Parent_Id"] == {"name": "SDK visit", "id": stored["id"]}
    assert [link["Linked_Account"]["id"] for link in stored["Related_Accounts"]] == [account["id"]]
    [again] = unwrap(operations.get_record(int(stored["id"])), 200, ResponseWrapper).get_data()
    assert mismatches(again, stored) == []


def test_create_records_reports_each_failure(sdk: Sdk, server: Emulator) -> None:
    batch = body(
        sdk_record(Last_Name="SDK Kept", Lead_Source=Choice("Trade Show")),
        sdk_record(Company="No last name"),
    )
    response = RecordOperations("Leads").create_records(batch)
    kept, failed = unwrap(response, 207, ActionWrapper).get_data()
    stored = server.crm("GET", f"Leads/{created_id(kept)}").json()["data"][0]
    assert (stored["Last_Name"], stored["Lead_Source"]) == ("SDK Kept", "Trade Show")
    assert isinstance(failed, APIException)
    assert failed.get_code().get_value() == "MANDATORY_NOT_FOUND"
    assert failed.get_details()["api_name"] == "Last_Name"


def test_update_records(sdk: Sdk, server: Emulator) -> None:
    first, second, third = first_leads(server, 3)
    operations = RecordOperations("Leads")
    batch = body(
        sdk_record(id=int(first["id"]), Designation="SDK CTO"),
        sdk_record(id=int(second["id"]), Designation="SDK CFO", Lead_Source=Choice("Web Download")),
    )
    results = unwrap(operations.update_records(batch), 200, ActionWrapper).get_data()
    assert [created_id(result) for result in results] == [first["id"], second["id"]]
    one = body(sdk_record(Designation="SDK COO"))
    [result] = unwrap(
        operations.update_record(int(third["id"]), one), 200, ActionWrapper
    ).get_data()
    assert result.get_message().get_value() == "record updated"
    for lead, title in ((first, "SDK CTO"), (second, "SDK CFO"), (third, "SDK COO")):
        stored = server.crm("GET", f"Leads/{lead['id']}").json()["data"][0]
        assert stored["Designation"] == title
        assert stored["Last_Name"] == lead["Last_Name"]
    assert server.crm("GET", f"Leads/{second['id']}").json()["data"][0]["Lead_Source"] == (
        "Web Download"
    )


def test_upsert_records_updates_a_duplicate_and_inserts_the_rest(
    sdk: Sdk, server: Emulator
) -> None:
    [existing] = first_leads(server, 1, skip=3)
    batch = body(
        sdk_record(Last_Name="SDK Upserted", Email=existing["Email"]),
        sdk_record(Last_Name="SDK Fresh", Email="sdk.fresh@example.test"),
        duplicate_check_fields=["Email"],
    )
    updated, inserted = unwrap(
        RecordOperations("Leads").upsert_records(batch), 200, ActionWrapper
    ).get_data()
    assert (updated.get_action().get_value(), updated.get_duplicate_field()) == ("update", "Email")
    assert created_id(updated) == existing["id"]
    assert (inserted.get_action().get_value(), inserted.get_duplicate_field()) == ("insert", None)
    assert server.crm("GET", f"Leads/{existing['id']}").json()["data"][0]["Last_Name"] == (
        "SDK Upserted"
    )
    fresh = server.crm("GET", f"Leads/{created_id(inserted)}").json()["data"][0]
    assert (fresh["Last_Name"], fresh["Email"]) == ("SDK Fresh", "sdk.fresh@example.test")


def test_deleted_records_list_what_the_sdk_deleted(sdk: Sdk, server: Emulator) -> None:
    first, second = first_leads(server, 2, skip=5)
    operations = RecordOperations("Leads")
    by_ids = operations.delete_records(params(DeleteRecordsParam, ids=first["id"]))
    [result] = unwrap(by_ids, 200, ActionWrapper).get_data()
    assert created_id(result) == first["id"]
    [result] = unwrap(operations.delete_record(int(second["id"])), 200, ActionWrapper).get_data()
    assert result.get_message().get_value() == "record deleted"
    for lead in (first, second):
        assert server.crm("GET", f"Leads/{lead['id']}").status_code == 204
    again = operations.delete_records(params(DeleteRecordsParam, ids=first["id"]))
    [failure] = unwrap(again, 400, ActionWrapper).get_data()
    assert failure.get_code().get_value() == "INVALID_DATA"
    deleted = unwrap(
        operations.get_deleted_records(params(GetDeletedRecordsParam, type="recycle")),
        200,
        DeletedRecordsWrapper,
    ).get_data()
    entries = {entry.get_id(): entry for entry in deleted}
    for lead in (first, second):
        entry = entries[int(lead["id"])]
        assert entry.get_type() == "recycle"
        assert entry.get_display_name() == lead["Full_Name"]
        assert entry.get_deleted_time() > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)


# -- search, count, metadata ---------------------------------------------------------------


def test_search_records_finds_by_criteria(sdk: Sdk, server: Emulator) -> None:
    [wanted] = first_leads(server, 1, skip=8)
    criteria = f"(Email:equals:{wanted['Email']})"
    operations = RecordOperations("Leads")
    found = unwrap(
        operations.search_records(params(SearchRecordsParam, criteria=criteria)),
        200,
        ResponseWrapper,
    ).get_data()
    assert int(wanted["id"]) in [record.get_id() for record in found]
    assert all(wanted["Email"] in record.get_key_value("Email") for record in found)
    nothing = params(SearchRecordsParam, criteria="(Last_Name:equals:NoSuchNameAnywhere)")
    assert operations.search_records(nothing).get_status_code() == 204


def test_record_count(sdk: Sdk, server: Emulator) -> None:
    operations = RecordOperations("Leads")
    total = unwrap(operations.record_count(), 200, CountWrapper).get_count()
    assert total == server.crm("GET", "Leads/actions/count").json()["count"]
    criteria = "(Lead_Source:equals:Trade Show)"
    some = unwrap(
        operations.record_count(params(RecordCountParam, criteria=criteria)), 200, CountWrapper
    ).get_count()
    plain = server.crm("GET", "Leads/actions/count", params={"criteria": criteria}).json()
    assert 0 < some == plain["count"] < total


def test_field_metadata_of_the_custom_module(sdk: Sdk, server: Emulator) -> None:
    query = params(sdk_fields.GetFieldsParam, module="Service_Visits")
    response = sdk_fields.FieldsOperations().get_fields(query)
    parsed = unwrap(response, 200, sdk_fields.ResponseWrapper).get_fields()
    sent = server.crm("GET", "settings/fields", params={"module": "Service_Visits"}).json()
    assert [(f.get_api_name(), f.get_data_type(), f.get_json_type()) for f in parsed] == [
        (f["api_name"], f["data_type"], f["json_type"]) for f in sent["fields"]
    ]
    assert len(parsed) > 120
    by_name = {field.get_api_name(): field for field in parsed}
    assert by_name["Account"].get_lookup().get_module().get_api_name() == "Accounts"
    assert [v.get_display_value() for v in by_name["Status"].get_pick_list_values()] == [
        "Planned",
        "In Progress",
        "Done",
        "Cancelled",
    ]
    assert by_name["Visit_Items"].get_associated_module().get_module() == "Service_Visit_Items"
    linking = by_name["Related_Accounts"].get_multiselectlookup().get_linking_details()
    assert linking.get_module().get_api_name() == "Visits_X_Accounts"
    assert linking.get_connected_lookup_field().get_api_name() == "Linked_Account"
    assert by_name["Total_Amount"].get_formula().get_return_type() == "double"
    listed = unwrap(sdk_modules.ModulesOperations().get_modules(), 200, sdk_modules.ResponseWrapper)
    custom = {m.get_api_name(): m for m in listed.get_modules()}["Service_Visits"]
    assert custom.get_generated_type().get_value() == "custom"
    assert custom.get_api_supported() is True


def test_sdk_talks_only_to_the_emulator(sdk: Sdk, server: Emulator) -> None:
    assert sdk.visited
    assert [url for url in sdk.visited if not url.startswith(f"{server.url}/")] == []
    assert f"{server.url}/oauth/v2/token" in sdk.visited
    assert f"{server.url}/crm/v8/users?type=CurrentUser" in sdk.visited
    # One refresh by the SDK, which reuses its token for every call, and one by this module.
    server.token()
    assert server.stats()["token_refreshes"] == 2
