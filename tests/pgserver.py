"""A throwaway PostgreSQL server for the tests: found, started in a temporary folder, stopped.

`NUDGE_TEST_POSTGRES_URL` (a server URL whose user may create databases) is used as it is. Else
the server binaries are looked for on PATH and under /usr/lib/postgresql; when none are found
the PostgreSQL half of the suite is skipped with that reason, unless `NUDGE_REQUIRE_POSTGRES=1`
(CI sets it), which turns the skip into a failure. Run as a script it starts a server, prints
its URL and waits (`.ci/run` uses it that way).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "nudge"


class Unavailable(Exception):
    """No PostgreSQL server can be had here; the message says why."""


@dataclass
class Server:
    """A running server: its admin URL (asyncpg dialect) and how to stop it."""

    url: str
    datadir: Path | None = None
    run_as: list[str] | None = None
    pg_ctl: str | None = None

    def stop(self) -> None:
        """Stop the server and remove its folder (nothing for an external URL)."""
        if self.datadir is None or self.pg_ctl is None:
            return
        subprocess.run(
            [*(self.run_as or []), self.pg_ctl, "-D", str(self.datadir), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _binaries() -> Path:
    """The folder holding initdb and pg_ctl."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists():
            return Path(folder)
    raise Unavailable(
        "no PostgreSQL server binaries (initdb) on PATH or under /usr/lib/postgresql; "
        "install them (Debian: apt-get install postgresql) or set NUDGE_TEST_POSTGRES_URL"
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start() -> Server:
    """The server to test against: NUDGE_TEST_POSTGRES_URL, or a new one in a temporary folder."""
    given = os.environ.get("NUDGE_TEST_POSTGRES_URL")
    if given:
        return Server(url=given)
    bindir = _binaries()
    run_as: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="nudge-pg-"))
    if os.geteuid() == 0:
        # The server refuses to run as root: run it as the distribution's postgres user.
        try:
            account = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise Unavailable(
                "running as root and there is no 'postgres' user to run the server"
            ) from exc
        run_as = ["runuser", "-u", "postgres", "--"]
        os.chown(root, account.pw_uid, account.pw_gid)
    datadir = root / "data"
    port = free_port()
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            USER,
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    # Durability settings off: this server holds throwaway test data, and the crash tests kill
    # the bot, never the database.
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            options,
            "-w",
            "-l",
            str(root / "server.log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return Server(
        url=f"postgresql+asyncpg://{USER}@127.0.0.1:{port}/postgres",
        datadir=datadir,
        run_as=run_as,
        pg_ctl=str(bindir / "pg_ctl"),
    )


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    return url.rsplit("/", 1)[0] + "/" + name


_names = itertools.count(1)
_template_ready: set[str] = set()


async def _admin(server: Server, sql: str) -> None:
    """Run one statement on the server's maintenance database."""
    import asyncpg

    from bot.storage.coordination import libpq_url

    conn = await asyncpg.connect(libpq_url(server.url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def database(server: Server, *, migrated: bool = True) -> AsyncIterator[str]:
    """A new database on the server (a copy of a migrated template unless told otherwise), as a
    SQLAlchemy URL; dropped on the way out."""
    from bot.storage.db import Database

    template = f"nudge_template_{os.getpid()}"
    if migrated and server.url not in _template_ready:
        await _admin(server, f"DROP DATABASE IF EXISTS {template}")
        await _admin(server, f"CREATE DATABASE {template}")
        db = Database(with_database(server.url, template))
        try:
            await db.migrate()
        finally:
            await db.close()
        _template_ready.add(server.url)
    name = f"nudge_test_{os.getpid()}_{next(_names)}"
    await _admin(server, f"CREATE DATABASE {name} TEMPLATE {template if migrated else 'template0'}")
    try:
        yield with_database(server.url, name)
    finally:
        await _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    server = start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()  # until the caller closes our stdin
    finally:
        server.stop()
