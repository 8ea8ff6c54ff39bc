"""singer-sdk's standard target tests that apply to a target writing into a SaaS API.

Most SDK test streams carry made-up fields (``fruits``, ``metric``...) that no Zoho module has;
target-zoho refuses such records rather than drop their data, so those tests cannot pass
against any org (as target-salesforce found). The ones below need no Zoho fields: they check
how the target handles bad input. The round trip and the rest are in test_load.py.
"""

from __future__ import annotations

import atexit
import contextlib

from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite, target_tests

from target_zoho.target import TargetZoho
from zoho_emulator.process import serve

_stack = contextlib.ExitStack()
_banner, _ = _stack.enter_context(serve("--records", "10", "--concurrency", "0"))
atexit.register(_stack.close)

APPLICABLE = frozenset(
    {"cli_prints", "invalid_schema", "record_before_schema", "record_missing_key_property"}
)

TestTargetZoho = get_target_test_class(
    target_class=TargetZoho,
    config={
        "client_id": _banner.client_id,
        "client_secret": _banner.client_secret,
        "refresh_token": _banner.refresh_token,
        "accounts_url": _banner.url,
        "crm_url": _banner.url,
        # The SDK's test stream of a record without its key: mapped to a real module, so the
        # test reaches the key check.
        "streams": {
            "test_record_missing_key_property": {"product": "crm", "module": "Leads"},
        },
    },
    custom_suites=[
        SingerTestSuite(
            kind="target",
            tests=[test for test in target_tests.tests if test.name in APPLICABLE],
        )
    ],
    include_target_tests=False,
)
