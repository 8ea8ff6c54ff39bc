"""Schemas of the CRM streams Zoho gives no field metadata for: users and the org.

Every key Zoho documents (https://www.zoho.com/crm/developer/docs/api/v7/get-users.html,
https://www.zoho.com/crm/developer/docs/api/v7/get-org-data.html) is declared, so none is
dropped; keys Zoho adds later (or a user's custom fields) are named in the SDK's "not found in
catalog schema" warning.
"""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

_REFERENCE = th.ObjectType(th.Property("id", th.StringType), th.Property("name", th.StringType))
#: Nested settings whose keys Zoho does not document: kept whole, as JSON objects.
_SETTINGS = th.ObjectType(additional_properties=True)
_Kind = th.JSONTypeHelper[Any] | type[th.JSONTypeHelper[Any]]


def _of(kind: _Kind, *names: str) -> list[th.Property[Any]]:
    """Properties of one type."""
    return [th.Property(name, kind) for name in names]


USERS = th.PropertiesList(
    th.Property("id", th.StringType(nullable=False), required=True),
    *_of(
        th.StringType,
        "zuid",
        "full_name",
        "first_name",
        "last_name",
        "email",
        "status",
        "type__s",
        "time_zone",
        "locale",
        "country_locale",
        "date_format",
        "time_format",
        "alias",
        "phone",
        "mobile",
        "fax",
        "website",
        "dob",
        "street",
        "city",
        "state",
        "zip",
        "country",
        "language",
        "decimal_separator",
        "number_separator",
        "name_format__s",
        "sort_order_preference__s",
        "status_reason__s",
        "signature",
        "default_tab_group",
        "Currency",
        "$shift_effective_from",
    ),
    *_of(
        th.BooleanType, "confirm", "Isonline", "personal_account", "microsoft", "sandboxDeveloper"
    ),
    th.Property("offset", th.IntegerType),
    *_of(
        _REFERENCE,
        "role",
        "profile",
        "created_by",
        "Modified_By",
        "Reporting_To",
        "$current_shift",
        "$next_shift",
    ),
    *_of(_SETTINGS, "theme", "customize_info"),
    *_of(th.DateTimeType, "created_time", "Modified_Time"),
).to_dict()

ORG = th.PropertiesList(
    th.Property("id", th.StringType(nullable=False), required=True),
    *_of(
        th.StringType,
        "company_name",
        "domain_name",
        "zgid",
        "primary_zuid",
        "primary_email",
        "type",
        "time_zone",
        "country_code",
        "iso_code",
        "currency",
        "currency_symbol",
        "currency_locale",
        "employee_count",
        "photo_id",
        "zia_portal_id",
    ),
    *_of(
        th.BooleanType,
        "mc_status",
        "hipaa_compliance_enabled",
        "privacy_settings",
        "gapps_enabled",
        "translation_enabled",
        "lite_users_enabled",
        "deletable_org_account",
    ),
    th.Property(
        "license_details",
        th.ObjectType(
            *_of(th.BooleanType, "paid"),
            *_of(th.StringType, "paid_type", "trial_type"),
            *_of(th.DateTimeType, "paid_expiry", "trial_expiry"),
            *_of(th.IntegerType, "users_license_purchased", "portal_users_license_purchased"),
        ),
    ),
    th.Property("hierarchy_preferences", th.ObjectType(th.Property("type", th.StringType))),
    th.Property("created_time", th.DateTimeType),
).to_dict()
