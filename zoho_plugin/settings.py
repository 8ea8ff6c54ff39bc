"""The settings tap-zoho and target-zoho share, as the JSON schema of their configs."""

from __future__ import annotations

from singer_sdk import typing as th

from zoho_connector.auth import REFRESH_WAIT
from zoho_connector.config import TIMEOUT
from zoho_connector.data_centers import DATA_CENTERS

CONNECTION_PROPERTIES = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType(nullable=False),
        required=True,
        title="Client ID",
        description="OAuth client id of the Zoho API console client (a Self Client will do).",
    ),
    th.Property(
        "client_secret",
        th.StringType(nullable=False),
        required=True,
        secret=True,
        title="Client Secret",
        description="OAuth client secret of that client.",
    ),
    th.Property(
        "refresh_token",
        th.StringType(nullable=False),
        required=True,
        secret=True,
        title="Refresh Token",
        description="A refresh token of that client, with the scopes the README lists.",
    ),
    th.Property(
        "data_center",
        th.StringType(nullable=False),
        default="us",
        allowed_values=list(DATA_CENTERS),
        title="Data Center",
        description="The Zoho data center of the account: us, eu, in, au, cn, jp, ca or sa. "
        "It picks the accounts, CRM and Desk hosts.",
    ),
    th.Property(
        "accounts_url",
        th.StringType(nullable=True),
        title="Accounts URL",
        description="Overrides the data center's Zoho Accounts host (e.g. a local emulator).",
    ),
    th.Property(
        "crm_url",
        th.StringType(nullable=True),
        title="CRM URL",
        description="Overrides the CRM API host (a sandbox org: https://sandbox.zohoapis.com).",
    ),
    th.Property(
        "desk_url",
        th.StringType(nullable=True),
        title="Desk URL",
        description="Overrides the Desk host.",
    ),
    th.Property(
        "desk_org_id",
        th.StringType(nullable=True),
        title="Desk Org ID",
        description="The Zoho Desk organization id; setting it turns Desk on.",
    ),
    th.Property(
        "api_version",
        th.StringType(nullable=False),
        default="v8",
        allowed_values=["v7", "v8"],
        title="CRM API Version",
        description="The Zoho CRM API version.",
    ),
    th.Property(
        "token_cache",
        th.BooleanType(nullable=False),
        default=True,
        title="Token Cache",
        description="Keep the access token (an hour's life) in an owner-only file under "
        "~/.cache/zoho-singer, so that runs in a row reuse it: Zoho refreshes at most ten "
        "tokens per ten minutes.",
    ),
    th.Property(
        "token_refresh_wait",
        th.NumberType(nullable=False, minimum=0),
        default=REFRESH_WAIT,
        title="Token Refresh Wait",
        description="Seconds to keep trying when Zoho refuses a token refresh for its limit "
        "(ten per refresh token in ten minutes, shared by every pipeline on it), before the "
        "run fails.",
    ),
    th.Property(
        "verify_tls",
        th.BooleanType(nullable=False),
        default=True,
        title="Verify TLS",
        description="Verify the TLS certificates of Zoho's hosts. Leave on.",
    ),
    th.Property(
        "timeout",
        th.NumberType(nullable=False, exclusive_minimum=0),
        default=TIMEOUT,
        title="Timeout",
        description="Seconds to wait for each answer of Zoho (API calls and token refreshes). "
        "A call that waits longer is retried, as a dropped connection is, except a create, "
        "which is not sent twice.",
    ),
)

CONCURRENCY_PROPERTY = th.Property(
    "n_concurrent",
    th.IntegerType(nullable=False, minimum=1),
    default=4,
    title="Concurrent Calls",
    description="API calls in flight at once, at most (Zoho's concurrency limit is per org): "
    "the target's write batches, the tap's COQL pages and single-record reads of subforms.",
)
PROGRESS_PROPERTY = th.Property(
    "progress_seconds",
    th.NumberType(nullable=False, minimum=0),
    default=30,
    title="Progress Interval",
    description="Seconds between two progress lines (records, rate, API calls) of a long "
    "read or load.",
)
