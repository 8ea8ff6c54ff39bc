"""Zoho's data centers: where a region's OAuth, CRM and Desk hosts live.

A token from one data center is refused by every other (as users of other connectors found:
https://github.com/asciisd/zoho/issues/18); the accounts host, the CRM host and the Desk host
must all belong to the account's own data center.

Sources: https://www.zoho.com/accounts/protocol/oauth/multi-dc.html and
https://www.zoho.com/crm/developer/docs/api/multi-dc.html (accounts and CRM API domains),
https://desk.zoho.com/DeskAPIDocument (Desk's US and EU hosts; the others are not documented
there: we take them from public clients).
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class DataCenter:
    """The hosts of one Zoho data center."""

    code: str
    accounts_url: str
    crm_url: str
    desk_url: str


DATA_CENTERS: dict[str, DataCenter] = {
    dc.code: dc
    for dc in (
        DataCenter(
            "us", "https://accounts.zoho.com", "https://www.zohoapis.com", "https://desk.zoho.com"
        ),
        DataCenter(
            "eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu", "https://desk.zoho.eu"
        ),
        DataCenter(
            "in", "https://accounts.zoho.in", "https://www.zohoapis.in", "https://desk.zoho.in"
        ),
        DataCenter(
            "au",
            "https://accounts.zoho.com.au",
            "https://www.zohoapis.com.au",
            "https://desk.zoho.com.au",
        ),
        DataCenter(
            "cn",
            "https://accounts.zoho.com.cn",
            "https://www.zohoapis.com.cn",
            "https://desk.zoho.com.cn",
        ),
        DataCenter(
            "jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp", "https://desk.zoho.jp"
        ),
        DataCenter(
            "ca",
            "https://accounts.zohocloud.ca",
            "https://www.zohoapis.ca",
            "https://desk.zohocloud.ca",
        ),
        DataCenter(
            "sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa", "https://desk.zoho.sa"
        ),
    )
}


def data_center(code: str) -> DataCenter:
    """The data center of a code (``us``, ``eu``, ``in``, ``au``, ``cn``, ``jp``, ``ca``, ``sa``).

    Raises:
        ValueError: An unknown code; the message lists the known ones.
    """
    found = DATA_CENTERS.get(code.strip().lower())
    if found is None:
        known = ", ".join(DATA_CENTERS)
        msg = f"unknown Zoho data center {code!r}; expected one of: {known}"
        raise ValueError(msg)
    return found
