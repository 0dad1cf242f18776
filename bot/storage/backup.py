"""A consistent copy of the database while the bot runs: SQLite's online backup API, or
pg_dump for PostgreSQL."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


class BackupError(Exception):
    """The backup cannot be made; the message is one line for the operator."""


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def is_postgresql(url: str) -> bool:
    """True for a PostgreSQL URL, whichever driver it names."""
    return url.startswith(("postgresql", "postgres:"))


def libpq_url(url: str) -> URL:
    """A SQLAlchemy PostgreSQL URL as libpq tools (pg_dump, psql) take it."""
    parsed = make_url(url).set(drivername="postgresql")
    query = dict(parsed.query)
    # asyncpg's name for what libpq calls sslmode.
    if "ssl" in query and "sslmode" not in query:
        query["sslmode"] = query.pop("ssl")
    return parsed.set(query=query)


def hide_password(url: str) -> str:
    """The URL with its password (if any) shown as ***, safe to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL SQLAlchemy can read: show nothing of it
        return "<unreadable URL>"


def redact(message: str, *urls: str) -> str:
    """The message without the password of any of the URLs in it."""
    for url in urls:
        try:
            password = make_url(url).password
        except ArgumentError:
            continue
        if password:
            message = message.replace(str(password), "***")
    return message


def backup(url: str, target: Path) -> int:
    """Copy the database to `target` (atomically replaced); return its size in bytes."""
    if is_postgresql(url):
        return _pg_dump(url, target)
    source = sqlite_file(url)
    if source is None:
        raise BackupError("backup copies SQLite and PostgreSQL databases only")
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


def _pg_dump(url: str, target: Path) -> int:
    """Run pg_dump (custom format, one consistent snapshot) into `target`."""
    try:
        libpq = libpq_url(url)
    except ArgumentError as exc:
        raise BackupError("DATABASE_URL is not a database URL") from exc
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        shown = libpq.render_as_string(hide_password=True)
        command = shlex.join(["pg_dump", "--format=custom", "--file", str(target), shown])
        raise BackupError(
            "pg_dump is not installed (Debian: apt-get install postgresql-client); "
            f"with it, run: {command}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # The password goes through the environment: a command line is visible to every user of
    # the machine (ps).
    env = dict(os.environ)
    if libpq.password:
        env["PGPASSWORD"] = str(libpq.password)
    plain = libpq.set(password=None).render_as_string(hide_password=False)
    done = subprocess.run(
        [pg_dump, "--format=custom", "--file", str(partial), plain],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = "; ".join(lines[-2:]) or f"exit code {done.returncode}"
        raise BackupError(redact(f"pg_dump failed: {reason}", url))
    os.replace(partial, target)
    return target.stat().st_size
