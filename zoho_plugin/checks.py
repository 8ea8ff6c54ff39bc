"""A plugin's config checked before the first record: named by the setting to fix.

A connection Zoho refuses becomes one line naming the setting at fault; a name of the config
that no setting has is a typo (an error) or another program's setting (a warning).
"""

from __future__ import annotations

import contextlib
import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from singer_sdk.exceptions import ConfigValidationError
from typing_extensions import override

from zoho_connector.config import desk_client
from zoho_connector.desk import ZohoDesk
from zoho_connector.errors import ZohoAuthError, ZohoError, ZohoInputError, ZohoRateLimitError

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Mapping

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
