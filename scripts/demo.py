"""``make demo``: start the emulator and read a CRM module from it end to end.

Until the tap and target land, the demo shows the emulated org: a full read of Leads through
page tokens past Zoho's 2,000-record page limit, checked against Zoho's count endpoint, and
the API calls and credits that cost.
"""

from __future__ import annotations

import requests

from zoho_emulator.process import serve

RECORDS = 5000


def main() -> None:
    """Run the demo and print what it found."""
    with serve("--records", str(RECORDS)) as (banner, _):
        token = requests.post(
            f"{banner.url}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": banner.client_id,
                "client_secret": banner.client_secret,
                "refresh_token": banner.refresh_token,
            },
            timeout=30,
        ).json()["access_token"]
        session = requests.Session()
        session.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        crm = f"{banner.url}/crm/v8"
        modules = session.get(f"{crm}/settings/modules", timeout=30).json()["modules"]
        readable = [m["api_name"] for m in modules if m["api_supported"]]
        print(f"emulator at {banner.url}: {len(readable)} readable CRM modules: {readable}")
        params = {"fields": "Last_Name,Email,Modified_Time", "converted": "both"}
        seen: set[str] = set()
        while True:
            body = session.get(f"{crm}/Leads", params=params, timeout=60).json()
            seen.update(record["id"] for record in body["data"])
            if not body["info"]["more_records"]:
                break
            params["page_token"] = body["info"]["next_page_token"]
        count = session.get(
            f"{crm}/Leads/actions/count", params={"converted": "both"}, timeout=30
        ).json()["count"]
        stats = requests.get(f"{banner.url}/__emulator__/stats", timeout=30).json()
        print(f"read {len(seen)} distinct Leads; Zoho counts {count}")
        print(f"API calls: {stats['requests']}, credits spent: {stats['credits']}")
        if len(seen) != count:
            raise SystemExit("demo FAILED: the read and the count disagree")
        print("demo OK")


if __name__ == "__main__":
    main()
