"""The connection settings tap-zoho and target-zoho share, and the clients they build."""

from __future__ import annotations

import contextlib
import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from typing_extensions import override

from zoho_connector.auth import REFRESH_WAIT
from zoho_connector.crm import ZohoCRM
from zoho_connector.data_centers import DATA_CENTERS
from zoho_connector.desk import ZohoDesk
from zoho_connector.errors import ZohoAuthError, ZohoError, ZohoInputError, ZohoRateLimitError
from zoho_connector.token_cache import TokenCache

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Mapping

#: Seconds to wait for an answer of Zoho, unless ``timeout`` says otherwise.
TIMEOUT = 120.0

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


def desk_client(
    config: Mapping[str, Any], client_class: type[ZohoDesk] = ZohoDesk, **options: Any
) -> ZohoDesk:
    """A connected ZohoDesk for a tap or target config (``desk_org_id`` must be set)."""
    _require(config, "client_id", "client_secret", "refresh_token", "desk_org_id")
    return client_class(
        config["client_id"],
        config["client_secret"],
        config["refresh_token"],
        org_id=config["desk_org_id"],
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
        "timeout": float(config.get("timeout") or TIMEOUT),
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


# -- checks before the first record -----------------------------------------------------------

PRODUCT_NAMES = {"crm": "Zoho CRM", "desk": "Zoho Desk"}
#: The scope each client's connection check (its ``probe``) needs.
_PROBE_SCOPES = {"crm": "ZohoCRM.org.READ", "desk": "Desk.basic.READ"}
#: Zoho's refusals of a connection check: the setting to fix, and how.
_FIXES = {
    "invalid_client": (
        "client_id / client_secret",
        "check them, and that data_center (or accounts_url) is the data center the client "
        "was registered in",
    ),
    "invalid_code": (
        "refresh_token",
        "it is wrong, revoked or from another data center: generate a new one",
    ),
    "INVALID_TOKEN": (
        "crm_url",
        "the token is refused by that host: drop crm_url or make it match data_center",
    ),
    "INVALID_OAUTH": (
        "desk_url",
        "the token is refused by that host: drop desk_url or make it match data_center",
    ),
}
_SCOPE_CODES = frozenset({"OAUTH_SCOPE_MISMATCH", "SCOPE_MISMATCH"})
#: Codes of a host that does not answer as Zoho would: a wrong URL or data center.
_UNREACHABLE = frozenset({"RETRIES_EXHAUSTED", "CONNECTION_FAILED", "INVALID_RESPONSE"})


@contextlib.contextmanager
def settings_to_blame(product: str, config: Mapping[str, Any]) -> Iterator[None]:
    """Turn a refused connection of one product into one line naming the setting to fix.

    Rate limits and spent credits are no setting's fault: they pass unchanged.

    Raises:
        ConfigValidationError: The product refused the credentials, scopes, org or host.
    """
    try:
        yield
    except (ZohoError, ZohoInputError) as error:
        line = _blame(product, error, config)
        if line is None:
            raise
        raise ConfigValidationError(line, errors=[line]) from None


def _blame(
    product: str, error: ZohoError | ZohoInputError, config: Mapping[str, Any]
) -> str | None:
    """The line naming the setting to fix, or None for a failure no setting caused."""
    name = PRODUCT_NAMES[product]
    if isinstance(error, ZohoInputError):
        return f"{name}: {error}"
    if isinstance(error, ZohoRateLimitError):
        return None  # Zoho's limits (the refresh limit among them) are no setting's fault
    code = error.code
    if code == "OAUTH_ORG_MISMATCH":
        return _org_mismatch(config)
    if code in _SCOPE_CODES:
        return (
            f"refresh_token lacks a scope {name} needs ({code}: {error.message}; the check "
            f"needs {_PROBE_SCOPES[product]}): generate one with the scopes the README lists"
        )
    if code in _FIXES:
        setting, fix = _FIXES[code]
        return f"{setting}: {name} refused it ({code}: {error.message}): {fix}"
    host = "crm_url" if product == "crm" else "desk_url"
    if code in _UNREACHABLE or error.status == 404:
        return (
            f"{name} does not answer as Zoho ({code}: {error.message}): check data_center, "
            f"{host} and accounts_url (or raise timeout)"
        )
    if isinstance(error, ZohoAuthError):
        return (
            f"{name} refused the credentials ({error}): check client_id, client_secret, "
            "refresh_token and data_center"
        )
    return None


class _OrgFreeDesk(ZohoDesk):
    """A Desk client that checks nothing on construction, for the calls needing no orgId."""

    @override
    def connect(self) -> Self:
        return self


def _org_mismatch(config: Mapping[str, Any]) -> str:
    """What to set ``desk_org_id`` to: the token's orgs, when Desk lists them."""
    start = f"desk_org_id {str(config.get('desk_org_id'))!r} is not an org of this token"
    try:
        desk = desk_client(config, _OrgFreeDesk)
        body = desk.request("GET", "organizations", attempts=1) or {}
        orgs = [f"{org['id']} ({org.get('companyName') or '?'})" for org in body["data"]]
    except (ZohoError, ZohoInputError, KeyError, TypeError):
        orgs = []
    if not orgs:
        return (
            f"{start} (OAUTH_ORG_MISMATCH): set it to the id of the Desk org of this token "
            "(GET /api/v1/organizations on the Desk host lists them)"
        )
    return f"{start} (OAUTH_ORG_MISMATCH): set it to one of {', '.join(orgs)}"


def config_file_problem(plugin: str, paths: Iterable[str]) -> str | None:
    """The line naming the first ``--config`` file that is missing, not JSON or no object.

    The SDK would read them with a bare traceback. Nothing of a file's text is shown: it
    holds the secrets.

    Args:
        plugin: The plugin's name (for what to do).
        paths: The ``--config`` values (``ENV`` is no file).

    Returns:
        The file, what is wrong with it and where, and what to do; None if all are fine.
    """
    for path in paths:
        if path == "ENV":
            continue
        try:
            value = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            problem = f"cannot be read ({error.strerror or type(error).__name__})"
        except UnicodeDecodeError as error:
            byte = error.object[error.start]
            problem = f"is not UTF-8 (byte 0x{byte:02x} at offset {error.start})"
        except json.JSONDecodeError as error:
            problem = f"is not JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        else:
            if isinstance(value, dict):
                continue
            problem = "is not a JSON object"
        return (
            f"config file {path} {problem}: make it a JSON object of settings "
            f"({plugin} --about lists them)"
        )
    return None


def unknown_settings(
    plugin: str, config: Mapping[str, Any], known: Collection[str]
) -> tuple[list[str], list[str]]:
    """The settings of a config its plugin does not know: (typos, others), each as a line.

    A typo is a near miss of a known setting (``n_concurent``): the setting meant keeps its
    default unseen, so it is an error. Any other name may be meant for another program
    sharing the file (the target's settings in the tap's config, say): a warning.
    """
    lowered = {name.lower(): name for name in known}
    typos: list[str] = []
    others: list[str] = []
    for name in sorted(set(config) - set(known)):
        match = difflib.get_close_matches(name.lower(), lowered, n=1, cutoff=0.8)
        if match:
            typos.append(f"{plugin} has no setting {name!r}: did you mean {lowered[match[0]]!r}?")
        else:
            others.append(
                f"{plugin} has no setting {name!r}: it is ignored ({plugin} --about lists the "
                "settings)"
            )
    return typos, others
