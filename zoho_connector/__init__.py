"""The connector core shared by tap-zoho and target-zoho: OAuth, one HTTP stack, and clients.

Example::

    from zoho_connector import ZohoCRM, CREATE

    crm = ZohoCRM(client_id, client_secret, refresh_token, data_center="eu")
    leads = crm.read("Leads", filter=crm.query_condition("Lead_Source", "=", "Web"))
"""

from zoho_connector.conditions import query_condition
from zoho_connector.crm import ZohoCRM
from zoho_connector.desk import ZohoDesk
from zoho_connector.errors import (
    ZohoAuthError,
    ZohoCreditsError,
    ZohoError,
    ZohoInputError,
    ZohoRateLimitError,
    ZohoRefreshLimitError,
)
from zoho_connector.load import Action

CREATE, UPDATE, DELETE, INTEGRATE, RETRIEVE = (
    Action.CREATE,
    Action.UPDATE,
    Action.DELETE,
    Action.INTEGRATE,
    Action.RETRIEVE,
)

__all__ = [
    "CREATE",
    "DELETE",
    "INTEGRATE",
    "RETRIEVE",
    "UPDATE",
    "Action",
    "ZohoAuthError",
    "ZohoCRM",
    "ZohoCreditsError",
    "ZohoDesk",
    "ZohoError",
    "ZohoInputError",
    "ZohoRateLimitError",
    "ZohoRefreshLimitError",
    "query_condition",
]
