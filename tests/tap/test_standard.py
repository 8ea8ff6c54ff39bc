"""singer-sdk's standard tap tests, against an emulator serving as the Zoho org.

The SDK builds its test classes when this module is imported, discovering the tap's streams:
the emulator has to be up by then, so it starts here and stops when the session ends.
"""

from __future__ import annotations

import atexit
import contextlib

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_zoho.tap import TapZoho
from zoho_emulator.process import serve

_stack = contextlib.ExitStack()
_banner, _ = _stack.enter_context(serve("--records", "300", "--concurrency", "0"))
atexit.register(_stack.close)

CONFIG = {
    "client_id": _banner.client_id,
    "client_secret": _banner.client_secret,
    "refresh_token": _banner.refresh_token,
    "accounts_url": _banner.url,
    "crm_url": _banner.url,
    "start_date": "2000-01-01T00:00:00Z",
    "desk_org_id": _banner.desk_org_id,
    "desk_url": _banner.url,
    # Every module with records: the empty Vendors and the forbidden Quotes have tests of
    # their own (test_sync.py), and would only be skipped here.
    "crm_modules": [
        "Leads",
        "Contacts",
        "Accounts",
        "Deals",
        "Service_Visits",
        "Tasks",
        "Products",
        "Price_Tiers",
        "Sales_Orders",
    ],
}

TestTapZoho = get_tap_test_class(
    tap_class=TapZoho,
    config=CONFIG,
    suite_config=SuiteConfig(
        max_records_limit=250,
    ),
)
