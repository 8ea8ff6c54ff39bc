"""Connected clients from a mapping of settings: the configs of tap-zoho and target-zoho.

The settings' names and meanings are those of the plugins' configs (``tap-zoho --about``);
their JSON schema and checks are the plugins' (:mod:`zoho_plugin`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoho_connector.auth import REFRESH_WAIT
from zoho_connector.crm import ZohoCRM
from zoho_connector.desk import ZohoDesk
from zoho_connector.errors import ZohoInputError
from zoho_connector.token_cache import TokenCache

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Seconds to wait for an answer of Zoho, unless ``timeout`` says otherwise.
TIMEOUT = 120.0


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
