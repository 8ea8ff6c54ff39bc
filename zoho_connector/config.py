"""The connection settings tap-zoho and target-zoho share, and the clients they build."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th

from zoho_connector.auth import REFRESH_WAIT
from zoho_connector.crm import ZohoCRM
from zoho_connector.data_centers import DATA_CENTERS
from zoho_connector.desk import ZohoDesk
from zoho_connector.errors import ZohoInputError
from zoho_connector.token_cache import TokenCache

if TYPE_CHECKING:
    from collections.abc import Mapping

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


def crm_client(config: Mapping[str, Any], **options: Any) -> ZohoCRM:
    """A connected ZohoCRM for a tap or target config."""
    _require(config, "client_id", "client_secret", "refresh_token")
    return ZohoCRM(
        config["client_id"],
        config["client_secret"],
        config["refresh_token"],
        api_version=config.get("api_version") or "v8",
        **_connection(config, "crm_url"),
        **options,
    )


def desk_client(config: Mapping[str, Any], **options: Any) -> ZohoDesk:
    """A connected ZohoDesk for a tap or target config (``desk_org_id`` must be set)."""
    _require(config, "client_id", "client_secret", "refresh_token", "desk_org_id")
    return ZohoDesk(
        config["client_id"],
        config["client_secret"],
        config["refresh_token"],
        config["desk_org_id"],
        **_connection(config, "desk_url"),
        **options,
    )


def _connection(config: Mapping[str, Any], url_setting: str) -> dict[str, Any]:
    """A client's data center, host overrides, TLS and token cache options.

    Only the hosts set are passed: the CRM client follows the token's ``api_domain`` unless
    its host is given.
    """
    hosts = {"url": config.get(url_setting), "account_url": config.get("accounts_url")}
    return {
        "data_center": config.get("data_center") or "us",
        **{name: host for name, host in hosts.items() if host},
        "verify": config.get("verify_tls", True),
        "token_cache": _token_cache(config),
        "refresh_wait": float(config.get("token_refresh_wait", REFRESH_WAIT)),
    }


def _token_cache(config: Mapping[str, Any]) -> TokenCache | None:
    return TokenCache.default() if config.get("token_cache", True) else None


def _require(config: Mapping[str, Any], *names: str) -> None:
    """Fail with every missing setting named, not on a bare KeyError.

    Discovery runs without the SDK's config validation: ``meltano select`` outside the
    environment holding the credentials, say.

    Raises:
        ZohoInputError: Some are missing.
    """
    missing = [name for name in names if not config.get(name)]
    if missing:
        msg = f"missing setting{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
        raise ZohoInputError(msg)
