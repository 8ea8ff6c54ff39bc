"""The emulator's server is the ``emulator`` extra: without it, ``zoho-emulator serve`` ends in
one line saying what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["starlette", "uvicorn"])
def test_serving_without_the_extra_says_what_to_install(package: str) -> None:
    script = (
        f"import sys; sys.modules[{package!r}] = None\n"  # as if it were not installed
        "from zoho_emulator.cli import main; main(['serve', '--port', '0'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stdout == ""  # no banner: nothing serves
    assert done.stderr.splitlines() == [
        f"zoho-emulator: {package} is not installed: the emulator's server is an extra, "
        "pip install 'zoho-singer[emulator]'"
    ]
