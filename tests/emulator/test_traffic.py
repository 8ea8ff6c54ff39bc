"""Limits, faults and inspection: latency, concurrency, credits, 5xx, dropped connections, stats."""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import pytest
import requests

from tests.server import Emulator, running_emulator


def test_stats_count_requests_endpoints_credits_and_refreshes(emulator: Emulator) -> None:
    emulator.crm("GET", "Leads", params={"fields": "Last_Name"})
    emulator.crm("GET", "Leads", params={"fields": "Last_Name", "page": "2"})
    emulator.crm("GET", "Accounts/actions/count")
    batch = [{"Last_Name": f"Credit {n}"} for n in range(25)]
    emulator.crm("POST", "Leads", json={"data": batch})
    stats = emulator.stats()
    assert stats["requests"] == 4
    assert stats["by_endpoint"] == {
        "GET /crm/{version}/{module}": 2,
        "GET /crm/{version}/{module}/actions/count": 1,
        "POST /crm/{version}/{module}": 1,
    }
    assert stats["credits"] == 1 + 1 + 1 + 3  # an insert costs a credit per 10 records
    assert stats["token_refreshes"] >= 0
    before = stats["token_refreshes"]
    emulator.refresh()
    assert emulator.stats()["token_refreshes"] == before + 1


def test_reset_zeroes_the_stats(emulator: Emulator) -> None:
    emulator.crm("GET", "org")
    assert emulator.stats()["requests"] == 1
    emulator.reset()
    stats = emulator.stats()
    assert (stats["requests"], stats["credits"], stats["by_endpoint"]) == (0, 0, {})
    assert stats["token_refreshes"] == 0


def test_settings_endpoint_refuses_fixed_settings(emulator: Emulator) -> None:
    response = requests.patch(f"{emulator.url}/__emulator__/settings", json={"seed": 1}, timeout=30)
    assert response.status_code == 400
    response = requests.patch(
        f"{emulator.url}/__emulator__/settings", json={"latency_ms": "slow"}, timeout=30
    )
    assert response.status_code == 400


def test_daily_credits_run_out() -> None:
    with running_emulator("--records", "10", "--daily-credits", "5") as server:
        statuses = [server.crm("GET", "org").status_code for _ in range(5)]
        spent = server.crm("GET", "org")
        assert statuses == [200] * 5
        assert spent.status_code == 429
        assert spent.json()["code"] == "TOO_MANY_REQUESTS"
        assert spent.headers["X-API-CREDITS-REMAINING"] == "0"
        stats = server.stats()
        assert stats["credits"] == 5
        assert stats["credits_remaining"] == 0
        assert stats["faults"]["credits_exhausted"] == 1
        desk = server.desk("GET", "departments")
        assert desk.status_code == 429
        assert desk.json()["errorCode"] == "THRESHOLD_EXCEEDED"
        assert int(desk.headers["Retry-After"]) > 0


def test_concurrency_limit_answers_429() -> None:
    with running_emulator("--records", "10", "--latency-ms", "400", "--concurrency", "2") as server:
        token = server.token()

        def call(_: int) -> int:
            headers = {"Authorization": f"Zoho-oauthtoken {token}"}
            return requests.get(f"{server.url}/crm/v8/org", headers=headers, timeout=30).status_code

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(call, range(6)))
        assert statuses.count(200) >= 2
        assert statuses.count(429) >= 1
        assert set(statuses) <= {200, 429}
        stats = server.stats()
        assert stats["max_in_flight"] == 2
        assert stats["faults"]["concurrency_exceeded"] == statuses.count(429)


def test_latency_is_added_to_every_call() -> None:
    with running_emulator("--records", "10", "--latency-ms", "250") as server:
        server.token()
        started = time.monotonic()
        assert server.crm("GET", "org").ok
        assert time.monotonic() - started >= 0.25


def test_error_rate_injects_zoho_500s_deterministically() -> None:
    def statuses() -> list[int]:
        with running_emulator("--records", "10", "--error-rate", "0.3", "--seed", "7") as server:
            return [server.crm("GET", "org").status_code for _ in range(30)]

    first, second = statuses(), statuses()
    assert first == second
    assert 3 <= first.count(500) <= 20
    assert set(first) == {200, 500}


def test_error_body_is_zoho_shaped(emulator: Emulator) -> None:
    emulator.configure(error_rate=1.0)
    try:
        crm = emulator.crm("GET", "org")
        desk = emulator.desk("GET", "departments")
    finally:
        emulator.configure(error_rate=0.0)
    assert crm.status_code == 500
    assert crm.json()["code"] == "INTERNAL_ERROR"
    assert desk.status_code == 500
    assert desk.json()["errorCode"] == "INTERNAL_SERVER_ERROR"


def test_drop_rate_drops_connections(emulator: Emulator) -> None:
    emulator.token()
    emulator.configure(drop_rate=1.0)
    try:
        with pytest.raises(requests.ConnectionError):
            emulator.crm("GET", "org")
    finally:
        emulator.configure(drop_rate=0.0)
    assert emulator.stats()["faults"]["connections_dropped"] == 1
    assert emulator.crm("GET", "org").ok


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_a_million_records_fit_in_2_gib() -> None:
    with running_emulator("--records", "1000000") as server:
        params = {"fields": "Last_Name,Email,Modified_Time", "sort_by": "Modified_Time"}
        first = server.crm("GET", "Leads", params={**params, "sort_order": "asc"})
        assert first.status_code == 200
        token = first.json()["info"]["next_page_token"]
        second = server.crm(
            "GET", "Leads", params={**params, "sort_order": "asc", "page_token": token}
        )
        assert second.ok
        count = server.crm("GET", "Service_Visits/actions/count").json()["count"]
        assert 990_000 < count < 1_000_000
        visits = server.crm("GET", "Service_Visits", params={"fields": "Name,Account,Technician"})
        assert len(visits.json()["data"]) == 200
        assert _peak_rss_mib(server.process.pid) < 2048
