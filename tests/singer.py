"""Running tap-zoho and target-zoho as real processes, and reading what they wrote."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from tests.server import Emulator


def tap_config(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    """A tap-zoho config pointing at an emulator."""
    return {
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "refresh_token": emulator.refresh_token,
        "accounts_url": emulator.url,
        "crm_url": emulator.url,
        **extra,
    }


@dataclasses.dataclass
class SingerRun:
    """What one run of a Singer program wrote."""

    messages: list[dict[str, Any]]
    stderr: str
    returncode: int

    def records(self, stream: str) -> list[dict[str, Any]]:
        """The records of one stream, in order."""
        return [
            message["record"]
            for message in self.messages
            if message["type"] == "RECORD" and message["stream"] == stream
        ]

    def states(self) -> list[dict[str, Any]]:
        """Every STATE value, in order."""
        return [message["value"] for message in self.messages if message["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, Any]:
        """The last STATE value."""
        return self.states()[-1]

    @property
    def error_line(self) -> str:
        """Stderr's last line, less the ``tap-zoho: `` before it: what a user's mistake gave."""
        return error_line(self.stderr)


def error_line(stderr: str) -> str:
    """A plugin's stderr's last line, less the ``tap-zoho: `` before it (a user's mistake)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    name, _, message = lines[-1].partition(": ")
    assert name in ("tap-zoho", "target-zoho"), lines[-1]
    return message


def pipe(tap: list[str], target: list[str]) -> subprocess.CompletedProcess[str]:
    """``tap | target`` as real processes: the target's run, once the tap exited 0."""
    producer = subprocess.Popen(tap, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    consumer = subprocess.run(
        target, stdin=producer.stdout, capture_output=True, text=True, timeout=600, check=False
    )
    assert producer.stdout is not None
    producer.stdout.close()
    assert producer.wait(timeout=60) == 0
    return consumer


def write_json(path: Path, value: Any) -> Path:
    """Write JSON to a file; the file's path."""
    path.write_text(json.dumps(value))
    return path


def run_tap(
    workdir: Path,
    config: dict[str, Any],
    *,
    catalog: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    discover: bool = False,
    env: Mapping[str, str] | None = None,
) -> SingerRun:
    """Run ``python -m tap_zoho`` to the end; its messages (or its catalog) and stderr.

    ``env``: variables set for it (``TAP_ZOHO_LOGLEVEL``...).
    """
    command = [
        sys.executable,
        "-m",
        "tap_zoho",
        "--config",
        str(write_json(workdir / "config.json", config)),
    ]
    if discover:
        command.append("--discover")
    if catalog is not None:
        command += ["--catalog", str(write_json(workdir / "catalog.json", catalog))]
    if state is not None:
        command += ["--state", str(write_json(workdir / "state.json", state))]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if discover:
        messages = [json.loads(done.stdout)] if done.returncode == 0 else []
    else:
        messages = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return SingerRun(messages, done.stderr, done.returncode)


def run_target(
    workdir: Path,
    config: dict[str, Any],
    messages: Sequence[dict[str, Any] | bytes],
    *,
    env: Mapping[str, str] | None = None,
) -> SingerRun:
    """Run ``python -m target_zoho`` over messages; what it wrote (STATE) and its stderr.

    A message is a Singer message, or an input line as it is (bytes: any, UTF-8 or not).
    ``env``: variables set for it (``TARGET_ZOHO_LOGLEVEL``...).
    """
    config_path = write_json(workdir / "target.json", config)
    lines = b"".join(
        (message if isinstance(message, bytes) else json.dumps(message).encode()) + b"\n"
        for message in messages
    )
    done = subprocess.run(
        [sys.executable, "-m", "target_zoho", "--config", str(config_path)],
        input=lines,
        capture_output=True,
        timeout=600,
        check=False,
        env={**os.environ, **(env or {})},
    )
    # A target writes bare STATE values, one a line.
    output = [
        {"type": "STATE", "value": json.loads(line)}
        for line in done.stdout.decode().splitlines()
        if line.strip()
    ]
    return SingerRun(output, done.stderr.decode(errors="replace"), done.returncode)


def schema_message(stream: str, properties: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """A SCHEMA message."""
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": keys,
    }


def record_message(stream: str, record: dict[str, Any]) -> dict[str, Any]:
    """A RECORD message."""
    return {"type": "RECORD", "stream": stream, "record": record}


def selecting(catalog: dict[str, Any], *streams: str, **fields: list[str]) -> dict[str, Any]:
    """The catalog with only ``streams`` selected (and ``fields`` selected explicitly)."""
    chosen = copy.deepcopy(catalog)
    for entry in chosen["streams"]:
        for item in entry["metadata"]:
            breadcrumb = item["breadcrumb"]
            if not breadcrumb:
                item["metadata"]["selected"] = entry["tap_stream_id"] in streams
            elif breadcrumb[-1] in fields.get(entry["tap_stream_id"], ()):
                item["metadata"]["selected"] = True
    return chosen
