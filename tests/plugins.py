"""The project's Meltano and the plugins it installed (`make install`: `meltano install`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.server import Emulator

ROOT = Path(__file__).resolve().parents[1]
MELTANO = ROOT / ".plugins" / "meltano" / "bin" / "meltano"


def plugin_executable(kind: str, name: str) -> Path:
    """A Meltano-installed plugin's executable (``kind``: extractors, loaders)."""
    path = ROOT / ".meltano" / kind / name / "venv" / "bin" / name
    assert path.exists(), f"{name} is installed by `make install` (meltano install)"
    return path


def emulator_env(source: Emulator, destination: Emulator | None = None) -> dict[str, str]:
    """Meltano variables pointing tap-zoho at ``source`` and target-zoho at ``destination``."""
    return {
        **source.banner.meltano_env("tap-zoho"),
        **(destination or source).banner.meltano_env("target-zoho"),
    }


def meltano(
    workdir: Path, *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the project's ``meltano`` with its own state database under ``workdir``."""
    assert MELTANO.exists(), "Meltano is installed by `make install`"
    full_env = {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
        **env,
    }
    return subprocess.run(
        [str(MELTANO), *args],
        cwd=ROOT,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
