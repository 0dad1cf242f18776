"""A consistent copy of the SQLite database while the bot runs (SQLite's online backup API)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


class BackupError(Exception):
    """The backup cannot be made; the message is one line for the operator."""


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def backup(url: str, target: Path) -> int:
    """Copy the database to `target` (atomically replaced); return its size in bytes."""
    source = sqlite_file(url)
    if source is None:
        raise BackupError(
            "backup copies SQLite databases only; for PostgreSQL use pg_dump (see README)"
        )
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # Copies page by page, letting the bot keep writing between steps; the result is
            # the database as of one moment.
            src.backup(dst, pages=256, sleep=0.005)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from exc
    finally:
        src.close()
    os.replace(partial, target)
    return target.stat().st_size
