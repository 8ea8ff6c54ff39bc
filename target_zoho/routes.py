"""Where a stream's records go: product, module, action, sync key, triggers, field renames.

``crm_<module>`` and ``desk_<module>`` streams (tap-zoho's names) map by name; any stream can
be mapped in the ``streams`` setting. The default action is ``integrate``, an upsert: on CRM,
on the module's default duplicate-check field (Email for Leads and Contacts...); on Desk,
which has no upsert, by looking the record's ``id`` up, then updating or creating it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th

from zoho_connector.load import Action

if TYPE_CHECKING:
    from collections.abc import Mapping

#: A stream's action by its name in the settings: the core's (``integrate`` is its upsert),
#: and ``upsert``, Zoho's own name for ``integrate``.
ACTIONS = {action.name.lower(): action for action in Action if action != Action.RETRIEVE} | {
    "upsert": Action.INTEGRATE
}
PRODUCTS = ("crm", "desk")
#: What an update does to a record's subform rows the stream's record leaves out: Zoho's
#: way, delete them (``replace``), or keep them (``merge``).
SUBFORMS = ("replace", "merge")
#: tap-zoho's streams that are no module a record can be written to: passed over (with a
#: warning naming them) unless the ``streams`` setting maps them somewhere.
READ_ONLY_STREAMS = frozenset(
    {
        "crm_org",
        "crm_users",
        "desk_agents",
        "desk_departments",
        "desk_ticket_threads",
        "desk_ticket_comments",
    }
)

STREAMS_PROPERTY = th.Property(
    "streams",
    th.ObjectType(
        additional_properties=th.ObjectType(
            th.Property("product", th.StringType, allowed_values=list(PRODUCTS)),
            th.Property("module", th.StringType),
            th.Property("action", th.StringType, allowed_values=list(ACTIONS)),
            th.Property("sync_key", th.StringType),
            th.Property("triggers", th.ArrayType(th.StringType)),
            th.Property("fields", th.ObjectType(additional_properties=th.StringType)),
            th.Property("lookups", th.ObjectType(additional_properties=th.StringType)),
            th.Property("subforms", th.StringType, allowed_values=list(SUBFORMS)),
        )
    ),
    title="Streams",
    description="Per stream: {product: crm|desk, module, action: create|update|integrate|"
    "delete (upsert is integrate), "
    "sync_key, triggers, fields: {stream property: Zoho field}, lookups: {lookup field: the "
    "looked-up module's field holding the source record's id}, subforms: replace|merge (the "
    "subforms setting, for this stream)}. crm_* and desk_* streams need no entry.",
)


@dataclasses.dataclass(frozen=True)
class Route:
    """Where and how one stream is written.

    Attributes:
        stream: The Singer stream.
        product: ``crm`` or ``desk``.
        module: The module (matched case-insensitively against Zoho's metadata).
        action: What its records are for: created, updated, integrated (upserted) or deleted.
        sync_key: The field records are matched on (integrate, and delete without id);
            None for the default.
        triggers: CRM workflow triggers to run (None: Zoho's default, all).
        renames: Stream property → Zoho field.
        lookups: Lookup field (CRM or Desk) → the looked-up module's field that holds the source
            record's id (by default a lookup is matched by its name: ``target_zoho.lookups``).
        read_only: A tap-zoho stream Zoho cannot take records of (its records are counted,
            not written).
        subforms: ``replace`` or ``merge`` (``SUBFORMS``); None for the ``subforms`` setting.
    """

    stream: str
    product: str
    module: str
    action: Action = Action.INTEGRATE
    sync_key: str | None = None
    triggers: tuple[str, ...] | None = None
    renames: Mapping[str, str] = dataclasses.field(default_factory=dict)
    lookups: Mapping[str, str] = dataclasses.field(default_factory=dict)
    read_only: bool = False
    subforms: str | None = None

    def key_of(self, record: Mapping[str, Any]) -> str:
        """What names a record in messages: its id, else its sync key's value."""
        if record.get("id"):
            return f"id {record['id']}"
        if self.sync_key:
            stream_names = [name for name, field in self.renames.items() if field == self.sync_key]
            for name in (*stream_names, self.sync_key):
                if record.get(name):
                    return f"{self.sync_key} {record[name]}"
        return "without id"


class RouteError(ValueError):
    """A stream the target does not know where to write."""


def route_of(stream: str, config: Mapping[str, Any]) -> Route:
    """The route of a stream, from the ``streams`` setting or its ``crm_``/``desk_`` name.

    Raises:
        RouteError: A stream with neither a mapping nor a Zoho name, or a bad mapping.
    """
    mapping = (config.get("streams") or {}).get(stream)
    if mapping is None:
        for product in PRODUCTS:
            if stream.lower().startswith(f"{product}_"):
                read_only = stream.lower() in READ_ONLY_STREAMS
                return Route(stream, product, stream[len(product) + 1 :], read_only=read_only)
        msg = (
            f"stream {stream!r} has no mapping: name it crm_<module> or desk_<module>, or map it "
            "in the 'streams' setting ({product, module, action, sync_key, fields})"
        )
        raise RouteError(msg)
    product = mapping.get("product") or stream.split("_", 1)[0].lower()
    module = mapping.get("module")
    if product not in PRODUCTS or not module:
        msg = f"the mapping of stream {stream!r} needs a product (crm or desk) and a module"
        raise RouteError(msg)
    action = ACTIONS.get(str(mapping.get("action") or "integrate").lower())
    if action is None:
        known = ", ".join(ACTIONS)
        msg = f"stream {stream!r}: action {mapping.get('action')!r} is not one of {known}"
        raise RouteError(msg)
    triggers = mapping.get("triggers")
    return Route(
        stream=stream,
        product=product,
        module=module,
        action=action,
        sync_key=mapping.get("sync_key"),
        triggers=tuple(triggers) if triggers is not None else None,
        renames=dict(mapping.get("fields") or {}),
        lookups=dict(mapping.get("lookups") or {}),
        subforms=mapping.get("subforms"),
    )
