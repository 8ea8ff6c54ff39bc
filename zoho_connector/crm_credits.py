"""What a Zoho CRM call costs in API credits, as Zoho counts them against the org's day.

Source: Zoho CRM's API limits page, https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from zoho_connector.client import per_record

if TYPE_CHECKING:
    import requests

#: A Bulk Read job costs 50 credits, whatever it exports.
BULK_READ_CREDITS = 50
#: A Bulk Write job costs 500 credits, whatever it imports.
BULK_WRITE_CREDITS = 500
_BULK_READ = re.compile(r"/crm/bulk/v\d+/read$")
_BULK_WRITE = re.compile(r"/crm/bulk/v\d+/write$")
_COQL_LIMIT = re.compile(r"\blimit\s+(?:\d+\s*,\s*)?(\d+)", re.IGNORECASE)


def crm_credits(method: str, url: str, params: Any, json: Any, response: requests.Response) -> int:
    """The API credits a CRM call spent.

    Writes cost one credit per ten records, even when Zoho refused every record; COQL 1, 2 or
    3 by its LIMIT; a Bulk Read job 50, a Bulk Write job 500; the rest (a Bulk Write
    upload too) one. A call refused as a whole (bad request,
    no permission) spends nothing.
    """
    del params  # part of the signature every cost function has
    refused = response.status_code >= 400
    records = json.get("data") if isinstance(json, Mapping) else None
    if method in ("POST", "PUT") and isinstance(records, list):
        if refused and not _answered_per_record(response):
            return 0
        return max(1, math.ceil(len(records) / 10))
    if refused:
        return 0
    path = urllib.parse.urlsplit(url).path
    if method == "POST" and _BULK_READ.search(path):
        return BULK_READ_CREDITS
    if method == "POST" and _BULK_WRITE.search(path):
        return BULK_WRITE_CREDITS
    if path.endswith("/coql") and isinstance(json, Mapping):
        found = _COQL_LIMIT.search(str(json.get("select_query", "")))
        limit = int(found.group(1)) if found else 200
        return 1 if limit <= 200 else 2 if limit <= 1000 else 3
    return 1


def _answered_per_record(response: requests.Response) -> bool:
    try:
        return per_record(response.json())
    except ValueError:
        return False
