"""Reading with Bulk Read: a module exported in jobs of up to 200,000 records, as zipped CSV.

A job costs 50 credits whatever its size, against 3 for each 2,000 records of COQL (as
third-party summaries of https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html give
them): for large modules it is Zoho's cheapest read
(https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html).

Zoho's next page of a job (``page``, or a job's ``next_page_token``) is an offset into the
module's records, which a delete between two jobs would shift. So a module of more than
``WINDOW`` records is read in Created_Time windows instead, each one job: a record never
leaves its window (its Created_Time does not change), so updates and deletes during the
read shift nothing. The windows' bounds are found with COQL probes (a 1-record query at an
offset, one credit each). Jobs are created together, so Zoho runs them while the first is
being read; each window is read, then recorded as done (:class:`Backfill` goes into the
stream's STATE), so a stopped read resumes at the first window not done, with the jobs
already made.

Records changed while the jobs run may come in either version: a caller reads on from
:attr:`Backfill.started`, the first job's creation time, to have their last one.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoho_connector import bulk_jobs
from zoho_connector.conditions import coql_literal, nest, query_condition
from zoho_connector.crm_read import bulk_csv
from zoho_connector.crm_read.rest import keyset_after
from zoho_connector.errors import ZohoError
from zoho_connector.formats import parse_datetime

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from zoho_connector.conditions import Condition
    from zoho_connector.crm_read.request import Call, PageRead
    from zoho_connector.crm_read.values import Completer

_log = logging.getLogger("zoho_connector")

#: Records per job: under Zoho's 200,000, with room for records added while we plan.
WINDOW = 190_000
#: COQL's OFFSET plus LIMIT reaches 100,000 records at most
#: (https://www.zoho.com/crm/developer/docs/api/v8/COQL-Limitations.html).
MAX_OFFSET = 100_000
JOB_ROWS = 200_000
#: Seconds between two status checks of a job (a credit each): growing, then every 10 s,
#: so a job is read at most 10 s after Zoho completes it.
POLL_WAITS = (1.0, 2.0, 4.0, 8.0, 10.0)
#: Attempts at a job before its failure is the read's.
JOB_ATTEMPTS = 3
#: Credits of a job: 50 to make it, and about ten status checks and its download.
JOB_CREDITS = 60
CREATED_TIME = "Created_Time"
#: The error of a job Zoho kept failing.
BULK_READ_FAILED = "BULK_READ_FAILED"
#: Hours a job may take before it counts as failed.
JOB_HOURS = 6
_COMPARATORS = {
    "equals": "equal",
    "not_equal": "not_equal",
    "greater_than": "greater_than",
    "greater_equal": "greater_equal",
    "less_than": "less_than",
    "less_equal": "less_equal",
    "in": "in",
    "between": "between",
    "starts_with": "starts_with",
}


@dataclasses.dataclass
class Window:
    """The records of one job: created after ``after`` and through ``through``.

    Attributes:
        after: Created_Time the window starts after (None: the first window).
        through: Created_Time the window ends at, inclusive (None: the last one).
        job: The Bulk Read job exporting it, once created.
    """

    after: str | None = None
    through: str | None = None
    job: str | None = None


@dataclasses.dataclass
class Backfill:
    """A Bulk Read in windows, as it goes into STATE.

    Attributes:
        windows: The windows, in the order they are read.
        done: How many windows are read.
        started: When Zoho created the first job (Zoho's clock).
    """

    windows: list[Window] = dataclasses.field(default_factory=list)
    done: int = 0
    started: str | None = None

    def to_state(self) -> dict[str, Any]:
        """As JSON for STATE."""
        return dataclasses.asdict(self)

    @classmethod
    def from_state(cls, value: Any) -> Backfill:
        """From STATE (a fresh backfill when there is none)."""
        if not isinstance(value, dict):
            return cls()
        keys = {field.name for field in dataclasses.fields(Window)}
        windows = [
            Window(**{key: window.get(key) for key in keys})
            for window in value.get("windows") or []
        ]
        return cls(windows, int(value.get("done") or 0), value.get("started"))


@dataclasses.dataclass(frozen=True)
class BulkApi:
    """The client's calls a Bulk Read makes.

    Attributes:
        call: The client's API call (paths under the CRM API root, or full URLs).
        download: Saves a URL's body into a file.
        root: The Bulk Read jobs' URL (``{api}/crm/bulk/{version}/read``).
    """

    call: Call
    download: Callable[[str, Path], None]
    root: str


class BulkReader:
    """One Bulk Read of a module (see the module docstring).

    Args:
        api: The calls it makes.
        read: What to read.
        columns: The fields to export (and dotted lookup names).
        complete: Turns a CSV row into a record shaped as Get Records returns it.
        total: How many records the read will find, if known: one window when few.
        backfill: Where a stopped read got to (from STATE), or a fresh one.
        on_progress: Called with the backfill whenever it moves (jobs made, a window done).
        coql_pages: Reads a window by COQL, when it outgrew a job.
    """

    def __init__(
        self,
        api: BulkApi,
        read: PageRead,
        columns: Sequence[str],
        complete: Completer,
        *,
        total: int | None = None,
        backfill: Backfill | None = None,
        on_progress: Callable[[Backfill], None] = lambda _: None,
        coql_pages: Callable[[PageRead], Iterator[list[dict[str, Any]]]],
    ) -> None:
        self.api = api
        self.coql_pages = coql_pages
        self.read = read
        self.columns = list(columns)
        self.complete = complete
        self.total = total
        self.backfill = backfill or Backfill()
        self.on_progress = on_progress

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Every record, window by window, in pages of up to 2,000."""
        backfill = self.backfill
        if not backfill.windows:
            backfill.windows = self._plan()
        self._create_missing_jobs()
        while backfill.done < len(backfill.windows):
            window = backfill.windows[backfill.done]
            folder, more = self._downloaded(window)
            try:
                yield from self._exported(window, folder)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            if more:
                # The window outgrew a job (records added since it was planned, or many tied
                # on one Created_Time). Zoho's next page would be an offset into the export,
                # which a delete shifts: the window is read again by COQL, keyed.
                _log.warning(
                    "%s: a Bulk Read window holds more than %s records: reading it by COQL",
                    self.read.module,
                    f"{JOB_ROWS:,}",
                )
                yield from self.coql_pages(self._window_read(window))
            backfill.done += 1
            self.on_progress(backfill)

    # -- planning --------------------------------------------------------------------------

    def _plan(self) -> list[Window]:
        """Windows of about ``WINDOW`` records each, by COQL probes of Created_Time."""
        if self.total is not None and self.total <= WINDOW:
            return [Window()]
        windows: list[Window] = []
        after: str | None = None
        while True:
            end = self._window_end(after)
            windows.append(Window(after, end))
            if end is None:
                return windows
            after = end

    def _window_end(self, after: str | None) -> str | None:
        """The Created_Time ``WINDOW`` records past ``after``, in hops COQL's offsets reach.

        Hops are keyed on (Created_Time, id), so records tied at a hop's end are counted.
        """
        place: dict[str, Any] | None = None if after is None else {CREATED_TIME: after, "id": None}
        left = WINDOW
        while left > 0:
            hop = min(left, MAX_OFFSET)
            found = self._probe(place, hop - 1)
            if found is None:
                return None
            place = found
            left -= hop
        return None if place is None else str(place[CREATED_TIME])

    def _probe(self, after: dict[str, Any] | None, offset: int) -> dict[str, Any] | None:
        """The record ``offset`` places past ``after`` in (Created_Time, id); None past the end."""
        conditions = [condition.coql() for condition in self.read.conditions()]
        if after is not None:
            literal = coql_literal(str(after[CREATED_TIME]))
            if after["id"] is None:  # a window's start: after every record of that time
                conditions.append(f"{CREATED_TIME} > {literal}")
            else:
                conditions.append(keyset_after(CREATED_TIME, after))
        where = nest(conditions, "and") if conditions else "id is not null"
        query = (
            f"select {CREATED_TIME} from {self.read.module} where {where} "
            f"order by {CREATED_TIME} asc, id asc limit 1 offset {offset}"
        )
        body = self.api.call("POST", "coql", json={"select_query": query}, idempotent=True) or {}
        rows = body.get("data") or []
        return dict(rows[0]) if rows else None

    def _window_read(self, window: Window) -> PageRead:
        """A window as a read of its own: its Created_Time bounds as conditions."""
        bounds = [
            *(
                query_condition(CREATED_TIME, ">", window.after, "datetime", utc=False)
                if window.after
                else ()
            ),
            *(
                query_condition(CREATED_TIME, "<=", window.through, "datetime", utc=False)
                if window.through
                else ()
            ),
        ]
        return dataclasses.replace(
            self.read, order_by=CREATED_TIME, filter=[*self.read.filter, *bounds]
        )

    # -- jobs ------------------------------------------------------------------------------

    def _create_missing_jobs(self) -> None:
        created = False
        for window in self.backfill.windows[self.backfill.done :]:
            if window.job is None:
                self._create(window)
                created = True
        if created:
            self.on_progress(self.backfill)

    def _create(self, window: Window) -> None:
        query: dict[str, Any] = {
            "module": {"api_name": self.read.module},
            "fields": ["id", *self.columns],
            "page": 1,
        }
        criteria = _criteria(self.read.conditions(), window)
        if criteria is not None:
            query["criteria"] = criteria
        body = self.api.call(
            "POST", self.api.root, json={"query": query, "file_type": "csv"}, idempotent=False
        )
        details = ((body or {}).get("data") or [{}])[0].get("details") or {}
        if not details.get("id"):
            msg = f"Bulk Read of {self.read.module}: Zoho created no job ({body})"
            raise ZohoError("INVALID_RESPONSE", msg)
        window.job = str(details["id"])
        created = details.get("created_time")
        if created and (
            self.backfill.started is None or _instant(created) < _instant(self.backfill.started)
        ):
            self.backfill.started = str(created)

    def _downloaded(self, window: Window) -> tuple[Path, bool]:
        """A window's export, unzipped into a folder of its own; whether the window had more.

        A job that failed, or whose result Zoho no longer has (a resumed read), is made again.
        """
        for attempt in range(1, JOB_ATTEMPTS + 1):
            state, result = self._wait(window)
            if state == "COMPLETED":
                folder = Path(tempfile.mkdtemp(prefix="zoho-bulk-"))
                try:
                    self._unzipped(window, str(result.get("download_url") or ""), folder)
                except ZohoError as error:
                    shutil.rmtree(folder, ignore_errors=True)
                    if error.code != "RESOURCE_NOT_FOUND":
                        raise
                    state, result = "EXPIRED", {"error_message": str(error)}
                else:
                    return folder, bool(result.get("more_records"))
            _log.warning(
                "%s: Bulk Read job %s %s (%s); attempt %d of %d",
                self.read.module,
                window.job,
                state.lower(),
                result.get("error_message") or "no reason given",
                attempt,
                JOB_ATTEMPTS,
            )
            self._create(window)
            self.on_progress(self.backfill)
        msg = f"Bulk Read of {self.read.module} failed {JOB_ATTEMPTS} times"
        raise ZohoError(BULK_READ_FAILED, msg)

    def _wait(self, window: Window) -> tuple[str, dict[str, Any]]:
        """The final state of a job and its result; ``EXPIRED`` for one Zoho no longer has."""

        def check() -> tuple[str, dict[str, Any]] | None:
            try:
                body = self.api.call("GET", f"{self.api.root}/{window.job}") or {}
            except ZohoError as error:
                if error.code == "RESOURCE_NOT_FOUND":
                    return "EXPIRED", {"error_message": str(error)}
                raise
            job = (body.get("data") or [{}])[0]
            state = str(job.get("state") or "")
            if state in ("COMPLETED", "FAILURE"):
                return state, dict(job.get("result") or {})
            return None

        ended = bulk_jobs.poll(check, POLL_WAITS, JOB_HOURS * 3600)
        return ended or ("TIMED_OUT", {"error_message": f"not completed within {JOB_HOURS} hours"})

    def _unzipped(self, window: Window, url: str, folder: Path) -> None:
        """Download a job's ZIP into ``folder`` and take its CSV out (``result.csv``)."""
        archive = folder / "result.zip"
        self.api.download(url, archive)
        with zipfile.ZipFile(archive) as zipped:
            member = bulk_jobs.csv_member(
                zipped, f"Bulk Read job {window.job} of {self.read.module}"
            )
            with zipped.open(member) as source, (folder / "result.csv").open("wb") as target:
                shutil.copyfileobj(source, target)
        archive.unlink()

    def _exported(self, window: Window, folder: Path) -> Iterator[list[dict[str, Any]]]:
        """The records of a window's unzipped CSV, a batch at a time."""
        del window  # named in errors by the CSV's module
        csv_path = folder / "result.csv"
        yield from bulk_csv.csv_pages(csv_path, self.read.module, self.read.metadata, self.complete)


def read_credits(records: int) -> int:
    """The credits of reading ``records`` records by Bulk Read: its jobs and window probes."""
    windows = max(1, math.ceil(records / WINDOW))
    probes = 0 if records <= WINDOW else windows * math.ceil(WINDOW / MAX_OFFSET)
    return JOB_CREDITS * windows + probes


def _criteria(conditions: Sequence[Condition], window: Window) -> dict[str, Any] | None:
    """Bulk Read criteria: the read's conditions and the window's Created_Time bounds."""
    group = [_criterion(condition) for condition in conditions]
    if window.after is not None:
        group.append(_bound("greater_than", window.after))
    if window.through is not None:
        group.append(_bound("less_equal", window.through))
    if not group:
        return None
    return group[0] if len(group) == 1 else {"group_operator": "and", "group": group}


def _bound(comparator: str, value: str) -> dict[str, Any]:
    return {"field": {"api_name": CREATED_TIME}, "comparator": comparator, "value": value}


def _criterion(condition: Condition) -> dict[str, Any]:
    values: list[Any] = [_value(value, condition.value_format) for value in condition.values]
    many = condition.operator in ("in", "between")
    return {
        "field": {"api_name": condition.field},
        "comparator": _COMPARATORS[condition.operator],
        "value": values if many else values[0],
    }


def _value(value: str, value_format: str) -> Any:
    if value_format == "number":
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if value_format == "boolean":
        return value == "true"
    return value


def _instant(value: str) -> float:
    return parse_datetime(value).timestamp()
