"""``ZohoCRM``: a Zoho CRM org, over the shared HTTP stack.

Its parts, each in a module of its own: ``client`` (credentials, calls, ``load``/``write``),
``crm_metadata`` (modules and fields), ``crm_reads``, ``crm_writes`` and ``crm_credits``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from typing_extensions import override

from zoho_connector import crm_read
from zoho_connector.auth import REFRESH_WAIT
from zoho_connector.conditions import query_condition
from zoho_connector.crm_credits import crm_credits
from zoho_connector.crm_read.values import References
from zoho_connector.crm_reads import check_range
from zoho_connector.crm_writes import MAX_WRITE, CrmWrites
from zoho_connector.data_centers import DATA_CENTERS, DataCenter
from zoho_connector.data_centers import data_center as find_data_center

if TYPE_CHECKING:
    import requests

    from zoho_connector.token_cache import TokenCache
    from zoho_connector.usage import Budget

DEFAULT_URL = DATA_CENTERS["us"].crm_url
DEFAULT_ACCOUNTS = DATA_CENTERS["us"].accounts_url


class ZohoCRM(CrmWrites):
    """A Zoho CRM org: authenticated on construction.

    Args:
        client_id: OAuth client id.
        client_secret: OAuth client secret.
        refresh_token: OAuth refresh token.
        url: The API host; for CRM the token's ``api_domain`` wins unless this is set.
        account_url: The Zoho Accounts host.
        api_version: ``v7`` or ``v8``.
        n_rows_read: Records per read call (at most 200).
        n_rows_write: Records per write call (at most 100).
        n_concurrent: Calls in flight at once.
        die_on_error: Raise on a failed record instead of reporting it.
        timeout: Seconds to wait for an answer.
        verify: TLS verification; on unless False (or a CA bundle path).
        cert: Client certificate for ``requests``.
        data_center: ``us``, ``eu``, ``in``, ``au``, ``cn``, ``jp``, ``ca`` or ``sa``: sets
            ``url`` and ``account_url`` unless they are given.
        token_cache: A folder where access tokens outlive the process (see
            :mod:`zoho_connector.token_cache`); none by default.
        refresh_wait: Seconds a token refresh refused for Zoho's refresh limit keeps trying.
        budget: API credits the client may spend (shared with other clients); no limit by
            default.
        bulk_threshold: Records above which a full :meth:`read` uses Bulk Read.
    """

    #: The product's API versions, the first the default.
    api_versions: ClassVar[tuple[str, ...]] = ("v7", "v8")
    #: The most records a read call returns.
    max_read: ClassVar[int] = crm_read.MAX_PER_PAGE
    #: A cheap call that proves the credentials, the host and the org work together.
    probe = "org"
    #: Whether the token's ``api_domain`` names the product's host (CRM's, not Desk's).
    follows_api_domain: ClassVar[bool] = True

    def __init__(  # noqa: PLR0913 -- the seed's signature
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        url: str = DEFAULT_URL,
        account_url: str = DEFAULT_ACCOUNTS,
        api_version: str = "v7",
        n_rows_read: int = 200,
        n_rows_write: int = 100,
        n_concurrent: int = 4,
        die_on_error: bool = True,
        timeout: float = 120,
        verify: bool | str | None = None,
        cert: Any = None,
        *,
        data_center: str | None = None,
        token_cache: TokenCache | None = None,
        refresh_wait: float = REFRESH_WAIT,
        budget: Budget | None = None,
        bulk_threshold: int = crm_read.BULK_THRESHOLD,
    ) -> None:
        explicit_url = url != self.default_host(DATA_CENTERS["us"])
        self._follow_api_domain = self.follows_api_domain and not explicit_url
        if data_center is not None:
            region: DataCenter = find_data_center(data_center)
            url = url if explicit_url else self.default_host(region)
            account_url = account_url if account_url != DEFAULT_ACCOUNTS else region.accounts_url
        check_range("n_rows_read", n_rows_read, 1, self.max_read)
        check_range("n_rows_write", n_rows_write, 1, MAX_WRITE)
        if api_version not in self.api_versions:
            msg = f"api_version must be {' or '.join(self.api_versions)}, not {api_version!r}"
            raise ValueError(msg)
        super().__init__(
            client_id,
            client_secret,
            refresh_token,
            url,
            account_url,
            n_concurrent=n_concurrent,
            die_on_error=die_on_error,
            timeout=timeout,
            verify=verify,
            cert=cert,
            cost=self.credits,
            token_cache=token_cache,
            refresh_wait=refresh_wait,
            budget=budget,
        )
        self.api_version = api_version
        self.n_rows_read = n_rows_read
        self.n_rows_write = n_rows_write
        self.bulk_threshold = bulk_threshold
        self.references = References(self.request)
        self.connect()

    @staticmethod
    def credits(method: str, url: str, params: Any, json: Any, response: requests.Response) -> int:
        """The API credits an answered call spent."""
        return crm_credits(method, url, params, json, response)

    @staticmethod
    def default_host(region: DataCenter) -> str:
        """The product's API host in a data center."""
        return region.crm_url

    @property
    @override
    def api_root(self) -> str:
        """``{url}/crm/{api_version}``."""
        return f"{self.url}/crm/{self.api_version}"

    @override
    def connect(self) -> Self:
        """Refresh the access token, follow its ``api_domain``, and check that CRM answers.

        The token's ``api_domain`` is followed unless ``url`` was given.

        Raises:
            ZohoAuthError: Zoho refused the credentials or the token.
            ZohoError: CRM refused the call.
        """
        self.token.get()
        if self._follow_api_domain and self.token.api_domain:
            self.url = self.token.api_domain.rstrip("/")
        return super().connect()

    #: :func:`~zoho_connector.conditions.query_condition`, as the seed's API names it.
    query_condition = staticmethod(query_condition)
