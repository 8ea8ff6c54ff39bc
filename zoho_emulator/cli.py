"""``zoho-emulator serve``: run the emulator as a real HTTP server."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import socket
import sys
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from zoho_emulator.settings import Settings, churn_module

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The server's packages: the distribution's ``emulator`` extra (the plugins do without).
SERVER_PACKAGES = frozenset({"starlette", "uvicorn"})


def _parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="zoho-emulator", description="A local emulator of Zoho CRM, Zoho Desk and OAuth."
    )
    formatter = argparse.ArgumentDefaultsHelpFormatter
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve the emulator until stopped", formatter_class=formatter
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    data = serve.add_argument_group("data")
    data.add_argument(
        "--seed", type=int, default=defaults.seed, help="seed of the data and of the faults"
    )
    data.add_argument(
        "--records", type=int, default=defaults.records, help="records per main module"
    )
    data.add_argument(
        "--org",
        type=int,
        default=defaults.org,
        help="which org this is: two emulators with different --org never share record ids",
    )
    data.add_argument(
        "--source-id-field",
        default=defaults.source_id_field,
        help="add a unique custom text field of this name to every CRM module (as a user "
        "does before copying an org into this one: README, Copying an org)",
    )
    data.add_argument("--time-zone", default=defaults.time_zone, help="the org's time zone")
    data.add_argument(
        "--anchor",
        type=dt.date.fromisoformat,
        help="the day the data ends (YYYY-MM-DD, not after today; default today)",
    )
    creds = serve.add_argument_group("credentials")
    creds.add_argument("--client-id", default=defaults.client_id, help="accepted client id")
    creds.add_argument(
        "--client-secret", default=defaults.client_secret, help="accepted client secret"
    )
    creds.add_argument(
        "--refresh-token", default=defaults.refresh_token, help="accepted refresh token"
    )
    creds.add_argument(
        "--desk-org-id", default=defaults.desk_org_id, help="orgId every Desk call must send"
    )
    creds.add_argument(
        "--scopes", default=",".join(defaults.scopes), help="comma-separated granted scopes"
    )
    limits = serve.add_argument_group("limits and faults")
    limits.add_argument(
        "--latency-ms", type=float, default=defaults.latency_ms, help="added to every API call"
    )
    limits.add_argument(
        "--concurrency",
        type=int,
        default=defaults.concurrency,
        help="calls in flight before 429 (0: unlimited)",
    )
    limits.add_argument(
        "--daily-credits", type=int, default=defaults.daily_credits, help="0: unlimited"
    )
    limits.add_argument(
        "--error-rate",
        type=float,
        default=defaults.error_rate,
        help="share of API calls answered with a 500",
    )
    limits.add_argument(
        "--drop-rate",
        type=float,
        default=defaults.drop_rate,
        help="share of API calls whose connection is dropped",
    )
    limits.add_argument(
        "--slow-rate",
        type=float,
        default=defaults.slow_rate,
        help="share of API calls answered --slow-ms late (their work done first)",
    )
    limits.add_argument(
        "--slow-ms", type=float, default=defaults.slow_ms, help="how late a slowed answer comes"
    )
    limits.add_argument(
        "--token-lifetime",
        type=int,
        default=defaults.token_lifetime,
        help="seconds an access token lives",
    )
    limits.add_argument(
        "--refresh-limit",
        type=int,
        default=defaults.refresh_limit,
        help="token refreshes per ten minutes",
    )
    limits.add_argument(
        "--search-from-cap",
        type=int,
        default=defaults.search_from_cap,
        help="largest 'from' a Desk search accepts",
    )
    limits.add_argument(
        "--search-lag-seconds",
        type=float,
        default=defaults.search_lag_seconds,
        help="seconds before a CRM write shows in search",
    )
    limits.add_argument(
        "--desk-fields-system-keys",
        action=argparse.BooleanOptionalAction,
        default=defaults.desk_fields_system_keys,
        help="Desk GET /fields lists system fields (times, lookup ids)",
    )
    limits.add_argument(
        "--desk-ranges-inclusive",
        action=argparse.BooleanOptionalAction,
        default=defaults.desk_ranges_inclusive,
        help="Desk search time ranges include their bounds (no: both excluded)",
    )
    bulk = serve.add_argument_group("bulk read")
    bulk.add_argument(
        "--bulk-job-seconds",
        type=float,
        default=defaults.bulk_job_seconds,
        help="least seconds from a job's creation to its completion",
    )
    bulk.add_argument(
        "--bulk-failure-rate",
        type=float,
        default=defaults.bulk_failure_rate,
        help="share of jobs that end in FAILURE",
    )
    bulk.add_argument(
        "--bulk-page-rows",
        type=int,
        default=defaults.bulk_page_rows,
        help="records a page of an export holds",
    )
    bulk_write = serve.add_argument_group("bulk write")
    bulk_write.add_argument(
        "--bulk-write-job-seconds",
        type=float,
        default=defaults.bulk_write_job_seconds,
        help="least seconds a job runs (one at a time: the next waits ADDED)",
    )
    bulk_write.add_argument(
        "--bulk-write-failure-rate",
        type=float,
        default=defaults.bulk_write_failure_rate,
        help="share of jobs that end FAILED, no row written",
    )
    churn = serve.add_argument_group("churn (records changing while clients read)")
    churn.add_argument(
        "--churn-per-second",
        type=float,
        default=defaults.churn_per_second,
        help="records of --churn-module changed a second (0: off)",
    )
    churn.add_argument(
        "--churn-module", default=defaults.churn_module, help="the module churn changes"
    )
    churn.add_argument(
        "--churn-delete-share",
        type=float,
        default=defaults.churn_delete_share,
        help="share of churn events that delete a record instead of updating it",
    )
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from parsed ``serve`` arguments.

    Raises:
        SystemExit: An argument is out of range.
    """
    today = dt.datetime.now(dt.UTC).date()
    anchor = args.anchor or today
    if anchor > today:
        sys.exit("zoho-emulator: --anchor must not be after today (writes happen 'now')")
    if args.records < 0:
        sys.exit("zoho-emulator: --records must not be negative")
    if not 0 <= args.org < 1000:
        sys.exit("zoho-emulator: --org must be between 0 and 999")
    if args.bulk_page_rows < 1:
        sys.exit("zoho-emulator: --bulk-page-rows must be at least 1")
    if args.churn_per_second < 0:
        sys.exit("zoho-emulator: --churn-per-second must not be negative")
    if not 0 <= args.churn_delete_share <= 1:
        sys.exit("zoho-emulator: --churn-delete-share must be between 0 and 1")
    try:
        module = churn_module(args.churn_module)
    except ValueError as error:
        sys.exit(f"zoho-emulator: --churn-module: {error}")
    ZoneInfo(args.time_zone)  # fails early on an unknown zone
    names = {field.name for field in dataclasses.fields(Settings)}
    values = {key: value for key, value in vars(args).items() if key in names}
    values["scopes"] = tuple(scope for scope in args.scopes.split(",") if scope)
    values["anchor"] = anchor
    values["churn_module"] = module
    return Settings(**values)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until stopped, after printing one JSON line with the URL and credentials."""
    args = _parser().parse_args(argv)
    settings = settings_from(args)
    try:
        import uvicorn

        from zoho_emulator.app import create_app
    except ModuleNotFoundError as error:
        package = (error.name or "").partition(".")[0]
        if package not in SERVER_PACKAGES:
            raise
        sys.exit(
            f"zoho-emulator: {package} is not installed: the emulator's server is an extra, "
            "pip install 'zoho-singer[emulator]'"
        )
    app = create_app(settings)
    # IPPROTO_TCP, so asyncio turns Nagle off on accepted connections (else ~40 ms a reply).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(1024)
    host, port = sock.getsockname()[:2]
    banner = {
        "url": f"http://{host}:{port}",
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "refresh_token": settings.refresh_token,
        "desk_org_id": settings.desk_org_id,
    }
    sys.stdout.write(json.dumps(banner) + "\n")
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", http="h11", lifespan="on", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
