"""`python -m bot migrate`, `backup` and `copy-to` on SQLite and PostgreSQL, run in process."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.__main__ import main
from bot.storage.db import SCHEMA_HEAD, Database
from tests import pgserver
from tests.unit.storage.test_copy import fill

SECRET = "s3cr3t-pw"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Run in an empty folder (no developer .env) with a token set, as an operator would."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456:TEST-TOKEN-abcdefghijklmnopqrstu")
    return monkeypatch


@pytest.fixture
def pg_url(postgres_server: pgserver.Server) -> Iterator[str]:
    """A new, unmigrated PostgreSQL database for a test that is not a coroutine."""
    with asyncio.Runner() as runner:
        context = pgserver.database(postgres_server, migrated=False)
        url = runner.run(context.__aenter__())
        try:
            yield url
        finally:
            runner.run(context.__aexit__(None, None, None))


def with_password(url: str, password: str) -> str:
    """The URL with a password for its user (the test server trusts any)."""
    return url.replace("postgresql+asyncpg://nudge@", f"postgresql+asyncpg://nudge:{password}@")


def one_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The single error line printed, nothing on stdout."""
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("nudge: error: "), err
    return err


async def _execute(url: str, sql: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await db.close()


def test_unknown_command_lists_every_command(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["restore"]) == 2
    err = one_error(capsys)
    for command in ("`python -m bot`", "migrate", "backup FILE", "copy-to URL"):
        assert command in err


def test_migrate_prints_the_revision_and_is_repeatable(
    backend: str,
    env: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'nudge.sqlite3'}"
    else:
        url = with_password(request.getfixturevalue("pg_url"), SECRET)
    env.setenv("DATABASE_URL", url)
    for _ in range(2):
        assert main(["migrate"]) == 0
        out, _err = capsys.readouterr()
        assert out.startswith(f"nudge: database schema is at {SCHEMA_HEAD} (")
        assert SECRET not in out


def test_migrate_refuses_a_newer_database_in_one_line(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nudge.sqlite3'}"
    env.setenv("DATABASE_URL", url)
    assert main(["migrate"]) == 0
    asyncio.run(_execute(url, "UPDATE alembic_version SET version_num='9999_future'"))
    capsys.readouterr()
    assert main(["migrate"]) == 2
    assert "newer version of Nudge (schema 9999_future)" in one_error(capsys)


def test_migrate_says_an_unreachable_database_in_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("DATABASE_URL", f"postgresql+asyncpg://nudge:{SECRET}@127.0.0.1:1/nudge")
    assert main(["migrate"]) == 2
    err = one_error(capsys)
    assert "cannot open the database" in err and SECRET not in err


def test_migrate_takes_no_arguments(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "now"]) == 2
    assert "usage: python -m bot migrate" in one_error(capsys)


def test_backup_of_sqlite_still_uses_the_online_backup(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'nudge.sqlite3'}")
    assert main(["migrate"]) == 0
    assert main(["backup", "copy.sqlite3"]) == 0
    assert "nudge: backup written to copy.sqlite3" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "copy.sqlite3") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (SCHEMA_HEAD,)


def _pg_bin() -> str:
    """The folder of pg_dump and pg_restore matching the test server, if installed."""
    found = os.path.dirname(shutil.which("initdb") or "")
    for folder in [found, *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if folder and Path(folder, "pg_dump").exists() and Path(folder, "pg_restore").exists():
            return folder
    pytest.skip("pg_dump is not installed here")


def test_backup_of_postgresql_runs_pg_dump(
    env: pytest.MonkeyPatch,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _pg_bin()
    env.setenv("PATH", folder)
    url = with_password(pg_url, SECRET)
    env.setenv("DATABASE_URL", url)
    assert main(["migrate"]) == 0
    asyncio.run(
        _execute(
            url,
            "INSERT INTO users (id, first_name, work_start_min, work_end_min, work_days, "
            "weekend_reminders, urgent_in_quiet, created_at, updated_at) "
            "VALUES (7, 'Анна', 600, 1140, '12345', true, true, now(), now())",
        )
    )
    capsys.readouterr()
    assert main(["backup", "dumps/nudge.dump"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("nudge: backup written to dumps/nudge.dump (") and "pg_restore" in out
    assert SECRET not in out + err
    dump = tmp_path / "dumps" / "nudge.dump"
    assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert not dump.with_name("nudge.dump.partial").exists()
    listing = subprocess.run(
        [f"{folder}/pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
    ).stdout
    assert "TABLE DATA public users" in listing and "TABLE DATA public alembic_version" in listing
    restored = subprocess.run(
        [f"{folder}/pg_restore", "--data-only", "--table=users", "--file=-", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Анна" in restored


def test_backup_of_postgresql_without_pg_dump_gives_the_command(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("PATH", "")
    env.setenv("DATABASE_URL", f"postgresql+asyncpg://nudge:{SECRET}@db.example:5433/nudge")
    assert main(["backup", "nudge.dump"]) == 2
    err = one_error(capsys)
    assert "pg_dump is not installed" in err
    assert (
        "run: pg_dump --format=custom --file nudge.dump "
        "'postgresql://nudge:***@db.example:5433/nudge'"
    ) in err
    assert SECRET not in err
    assert not (tmp_path / "nudge.dump").exists()


def test_a_failing_pg_dump_is_one_line_without_the_password(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("PATH", _pg_bin())
    env.setenv("DATABASE_URL", f"postgresql+asyncpg://nudge:{SECRET}@127.0.0.1:1/nudge")
    assert main(["backup", "nudge.dump"]) == 2
    err = one_error(capsys)
    assert "pg_dump failed" in err and SECRET not in err
    assert not list(tmp_path.glob("nudge.dump*"))


@pytest.fixture
def filled(env: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """DATABASE_URL of a filled SQLite database, as the bot leaves it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'nudge.sqlite3'}"
    asyncio.run(fill(url))
    env.setenv("DATABASE_URL", url)
    return url


def test_copy_to_prints_each_table_then_refuses_a_second_time(
    filled: str, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = with_password(pg_url, SECRET)
    assert main(["copy-to", target]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["business_connections", "3"]
    assert ["invoices", "2"] in [line.split() for line in lines]
    assert lines[-1].startswith("nudge: copied ") and "verified them row by row" in lines[-1]
    assert f"(schema {SCHEMA_HEAD})" in lines[-1]
    assert SECRET not in out + err and "nudge:***@" in lines[-1]

    assert main(["copy-to", target]) == 2
    assert one_error(capsys).startswith("nudge: error: the target database is not empty")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["copy-to"], "usage: python -m bot copy-to URL"),
        (["copy-to", "a", "b"], "usage: python -m bot copy-to URL"),
        (["copy-to", "postgresql://nudge@db/nudge"], "must start with postgresql+asyncpg://"),
        (
            ["copy-to", f"postgresql+asyncpg://nudge:{SECRET}@127.0.0.1:1/nudge"],
            "cannot open the database",
        ),
    ],
)
def test_copy_to_fails_in_one_line_without_the_password(
    filled: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = one_error(capsys)
    assert message in err and SECRET not in err
