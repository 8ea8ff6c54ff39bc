"""Zoho Accounts as the emulator serves it: refresh grant, token checks, throttle, scopes."""

from __future__ import annotations

import time

import requests

from tests.server import Emulator, running_emulator


def test_refresh_by_form_returns_a_token_for_this_emulator(emulator: Emulator) -> None:
    response = emulator.refresh()
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith("1000.")
    assert body["api_domain"] == emulator.url
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "ZohoCRM.modules.ALL" in body["scope"].split()


def test_refresh_by_query_string(emulator: Emulator) -> None:
    params = {
        "grant_type": "refresh_token",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "refresh_token": emulator.refresh_token,
    }
    response = requests.post(f"{emulator.url}/oauth/v2/token", params=params, timeout=30)
    assert response.status_code == 200
    assert "access_token" in response.json()


def test_refresh_errors_carry_zoho_error_keys(emulator: Emulator) -> None:
    wrong_secret = emulator.refresh(client_secret="nope")
    assert (wrong_secret.status_code, wrong_secret.json()) == (400, {"error": "invalid_client"})
    wrong_client = emulator.refresh(client_id="1000.OTHER")
    assert wrong_client.json() == {"error": "invalid_client"}
    wrong_token = emulator.refresh(refresh_token="1000.revoked")
    assert (wrong_token.status_code, wrong_token.json()) == (400, {"error": "invalid_code"})
    wrong_grant = emulator.refresh(grant_type="client_credentials")
    assert wrong_grant.json() == {"error": "unsupported_grant_type"}
    assert all("access_token" not in r.json() for r in (wrong_secret, wrong_token, wrong_grant))


def test_refresh_throttle_denies_access_for_the_window() -> None:
    with running_emulator("--records", "10", "--refresh-limit", "3") as server:
        statuses = [server.refresh().status_code for _ in range(3)]
        denied = server.refresh()
        assert statuses == [200, 200, 200]
        assert denied.status_code == 400
        assert denied.json()["error"] == "Access Denied"
        assert "too many requests" in denied.json()["error_description"]
        assert server.stats()["token_refreshes"] == 3


def test_calls_need_a_live_token(emulator: Emulator) -> None:
    url = f"{emulator.url}/crm/v8/org"
    missing = requests.get(url, timeout=30)
    assert missing.status_code == 401
    assert missing.json() == {
        "code": "AUTHENTICATION_FAILURE",
        "details": {},
        "message": "Authentication failed",
        "status": "error",
    }
    unknown = requests.get(url, headers={"Authorization": "Zoho-oauthtoken 1000.x.y"}, timeout=30)
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "INVALID_TOKEN"
    assert unknown.json()["message"] == "invalid oauth token"
    token = emulator.token()
    for scheme in ("Zoho-oauthtoken", "Bearer"):
        ok = requests.get(url, headers={"Authorization": f"{scheme} {token}"}, timeout=30)
        assert ok.status_code == 200, scheme


def test_tokens_expire_after_their_lifetime() -> None:
    with running_emulator("--records", "10", "--token-lifetime", "1") as server:
        assert server.crm("GET", "org").status_code == 200
        time.sleep(1.2)
        expired = server.crm("GET", "org")
        assert expired.status_code == 401
        assert expired.json()["code"] == "INVALID_TOKEN"


def test_a_sixteenth_token_evicts_the_oldest(emulator: Emulator) -> None:
    emulator.configure(refresh_limit=100)
    try:
        tokens = [emulator.refresh().json()["access_token"] for _ in range(16)]
    finally:
        emulator.configure(refresh_limit=10)

    def status(token: str) -> int:
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        return requests.get(f"{emulator.url}/crm/v8/org", headers=headers, timeout=30).status_code

    assert status(tokens[0]) == 401
    assert [status(token) for token in tokens[1:]] == [200] * 15


def test_expire_tokens_endpoint_invalidates_live_tokens(emulator: Emulator) -> None:
    token = emulator.refresh().json()["access_token"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    assert requests.get(f"{emulator.url}/crm/v8/org", headers=headers, timeout=30).ok
    requests.post(f"{emulator.url}/__emulator__/expire-tokens", timeout=30).raise_for_status()
    after = requests.get(f"{emulator.url}/crm/v8/org", headers=headers, timeout=30)
    assert after.json()["code"] == "INVALID_TOKEN"
    emulator.forget_token()


def test_scopes_limit_what_a_token_may_call() -> None:
    scopes = "ZohoCRM.modules.leads.READ,ZohoCRM.settings.fields.READ"
    with running_emulator("--records", "10", "--scopes", scopes) as server:
        assert server.crm("GET", "Leads", params={"fields": "Last_Name"}).status_code == 200
        assert server.crm("GET", "settings/fields", params={"module": "Leads"}).ok
        for path, params in (
            ("Contacts", {"fields": "Last_Name"}),
            ("settings/modules", {}),
            ("org", {}),
        ):
            response = server.crm("GET", path, params=params)
            assert response.status_code == 401, path
            assert response.json()["code"] == "OAUTH_SCOPE_MISMATCH"
        write = server.crm("POST", "Leads", json={"data": [{"Last_Name": "X"}]})
        assert write.json()["code"] == "OAUTH_SCOPE_MISMATCH"
