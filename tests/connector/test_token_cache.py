"""The on-disk token cache (pure file logic)."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from zoho_connector.token_cache import CachedToken, TokenCache

if TYPE_CHECKING:
    from pathlib import Path


def test_store_load_and_discard(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "tokens")
    assert cache.load("k") is None
    token = CachedToken("1000.abc", time.time() + 3600, "https://www.zohoapis.eu")
    cache.store("k", token)
    assert cache.load("k") == token
    cache.discard("k", "1000.other")  # another token was refused: this one stays
    assert cache.load("k") == token
    cache.discard("k", "1000.abc")
    assert cache.load("k") is None


def test_a_damaged_file_is_no_token(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    (tmp_path / "k.json").write_text("{not json")
    assert cache.load("k") is None


def test_files_a_day_old_are_removed(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.store("old", CachedToken("1000.old", time.time() - 90000))
    day_ago = time.time() - 90000
    os.utime(tmp_path / "old.json", (day_ago, day_ago))
    cache.store("new", CachedToken("1000.new", time.time() + 3600))
    assert sorted(path.name for path in tmp_path.glob("*.json")) == ["new.json"]


def test_an_unwritable_folder_only_costs_refreshes(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = TokenCache(blocker / "tokens")  # a folder under a file cannot be made
    cache.store("k", CachedToken("1000.abc", time.time() + 3600))
    assert cache.load("k") is None
