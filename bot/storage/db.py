"""Engine, sessions and schema migrations for the bot's database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage import inline_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration. A database already at it starts without importing Alembic (some 20 MB
# and a fifth of a second); a test keeps this equal to the migrations' real head.
SCHEMA_HEAD = "0007"
# The key of pg_advisory_lock held around a schema upgrade ("nudge" + 2; coordination.py's
# leader lock is "nudge" + 1).
MIGRATION_LOCK_KEY = 0x6E75_6467_6502


# TCP keepalives asked of the PostgreSQL server for our sessions: without them a peer that
# vanished (a host powered off) keeps its session and locks for about two hours.
SERVER_SETTINGS = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}


class DatabaseError(Exception):
    """The database cannot be used; the message is safe to show an operator."""


class SchemaTooNewError(DatabaseError):
    """The database was written by a newer version of the bot."""


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations, without an .ini file."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL for concurrent readers, foreign keys on, wait for locks instead of failing."""
    # We issue BEGIN ourselves (see _begin_immediate), so the driver must not.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Another process holding the lock (an operator's sqlite3 shell) makes a statement wait
    # here, and with the inline driver the whole event loop waits: keep it short. The poller,
    # the alarm and delivery each retry a locked database with a back-off that yields.
    cur.execute("PRAGMA busy_timeout=2000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _scrub_nul(value: Any) -> Any:
    """A parameter with every NUL character replaced (recursing into executemany's rows)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, tuple | list):
        return type(value)(_scrub_nul(v) for v in value)
    if isinstance(value, dict):
        return {k: _scrub_nul(v) for k, v in value.items()}
    return value


def _no_nul_in_text(
    _conn: Connection, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> tuple[str, Any]:
    """PostgreSQL's text cannot hold NUL, which SQLite keeps: store U+FFFD in its place rather
    than refuse what a user typed."""
    return statement, _scrub_nul(parameters)


def _begin_immediate(conn: Connection) -> None:
    """Take the write lock at BEGIN: a deferred read→write upgrade fails at once in WAL."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Owns the engine and hands out sessions (one per unit of work)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # A SQLite file is driven inline on the event loop (see inline_sqlite for why it is
        # safe and what it saves); other databases use their own async driver.
        options: dict[str, Any] = {}
        read_options: dict[str, Any] = {}
        file = self.sqlite_file()
        if file is not None:
            options["async_creator"] = inline_sqlite.creator(str(file))
            read_options = options
        elif not self.is_sqlite:
            # Webhook requests come up to WEBHOOK_MAX_CONNECTIONS at once, each holding a
            # connection while it waits for its chat's lock. Read-only passes keep to a small
            # pool of their own.
            options = {"pool_size": 20, "max_overflow": 30, "pool_pre_ping": True}
            read_options = {"pool_size": 2, "max_overflow": 4, "pool_pre_ping": True}
            if url.startswith("postgresql+asyncpg"):
                # The server drops a dead peer's session, and so its locks, within seconds.
                keepalive = {"server_settings": dict(SERVER_SETTINGS)}
                options["connect_args"] = read_options["connect_args"] = keepalive
        try:
            self.engine: AsyncEngine = create_async_engine(url, echo=echo, **options)
        except Exception as exc:  # bad URL or missing driver
            raise DatabaseError(f"DATABASE_URL is not usable: {type(exc).__name__}: {exc}") from exc
        # Read-only passes (what is due next?) use their own engine whose transactions do not
        # take the write lock: in WAL they never wait for, nor hold up, a writer.
        self.read_engine: AsyncEngine = create_async_engine(url, echo=echo, **read_options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
            event.listen(self.read_engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            for engine in (self.engine, self.read_engine):
                event.listen(
                    engine.sync_engine, "before_cursor_execute", _no_nul_in_text, retval=True
                )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a connection that finds the lock taken sleeps
        # in its busy handler for up to tens of milliseconds per try. Queueing our own writers
        # here instead keeps in-process contention to a fair, sleep-free wait.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.read_sessionmaker = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # The SQLite file we opened, as (device, inode): deleting or replacing it under a running
        # bot sends every later write into a file nobody will see again.
        self._file_id: tuple[int, int] | None = None
        self.lost: str | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        if self._write_lock is None:
            async with self.sessionmaker() as session, session.begin():
                yield session
            return
        async with self._write_lock, self.sessionmaker() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; it never takes the write lock."""
        async with self.read_sessionmaker() as session, session.begin():
            yield session

    async def check(self) -> None:
        """Open a connection once, so an unreachable database fails early and clearly."""
        path = self.sqlite_file()
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except Exception as exc:  # the driver's errors vary; all mean "unusable"
            raise DatabaseError(f"cannot open the database: {type(exc).__name__}: {exc}") from exc

    def sqlite_file(self) -> Path | None:
        """The file behind a SQLite URL (None for other databases and in-memory ones)."""
        if not self.is_sqlite:
            return None
        path = self.url.split(":///", 1)[-1].split("?", 1)[0]
        return None if path in ("", ":memory:") else Path(path)

    def check_file(self) -> bool:
        """True while the SQLite file we opened is at its path; else log once and set `lost`."""
        # `lost` stays set until a restart (our connections still point at the old file), so
        # /healthz can answer 503. Other databases have no file to lose.
        path = self.sqlite_file()
        if path is None or self._file_id is None or self.lost is not None:
            return self.lost is None
        try:
            stat = path.stat()
            if (stat.st_dev, stat.st_ino) == self._file_id:
                return True
            self.lost = f"the database file {path.resolve()} was replaced while the bot was running"
        except FileNotFoundError:
            self.lost = f"the database file {path.resolve()} was deleted while the bot was running"
        except OSError:  # e.g. a permission change: we cannot tell, which is no sign of loss
            return True
        log.error(
            "%s; what it saves from now on is lost: stop it, restore a backup, start it again",
            self.lost,
        )
        return False

    async def migrate(self) -> str:
        """Bring the schema to the newest revision and return it; refuse a newer one."""
        path = self.sqlite_file()
        # SQLite quietly creates a missing file, and an empty one reads as a new database:
        # say so, or a lost database would come back empty without a word.
        is_new = path is not None and (not path.exists() or path.stat().st_size == 0)
        await self.check()
        if not is_new and await self._schema_version() == SCHEMA_HEAD:
            self._note_file(path, is_new)
            log.info("database schema is at %s", SCHEMA_HEAD)
            return SCHEMA_HEAD
        # Several processes may start at once on one PostgreSQL database: one upgrades, the
        # others wait here and then find the schema at its head.
        async with self._migration_lock():
            head = await self._check_and_upgrade()
        self._note_file(path, is_new)
        log.info("database schema is at %s", head)
        return head

    async def _check_and_upgrade(self) -> str:
        """Check the revision against the known ones and upgrade to the head unless there."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = alembic_config(self.url)
        script = ScriptDirectory.from_config(cfg)
        async with self.engine.connect() as conn:
            current = await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_heads()
            )
        known = {rev.revision for rev in script.walk_revisions()}
        unknown = [rev for rev in current if rev not in known]
        if unknown:
            raise SchemaTooNewError(
                "the database was written by a newer version of Nudge "
                f"(schema {', '.join(unknown)}); upgrade the bot or restore a backup"
            )
        head = script.get_current_head() or SCHEMA_HEAD
        if tuple(current) != (head,):
            async with self.engine.begin() as conn:
                await conn.run_sync(_upgrade, cfg)
        return head

    @asynccontextmanager
    async def _migration_lock(self) -> AsyncIterator[None]:
        """Hold PostgreSQL's advisory lock for migrations; SQLite has one process anyway."""
        if self.is_sqlite:
            yield
            return
        async with self.engine.connect() as conn:
            # Autocommit: a session lock outlives transactions, and the connection must not sit
            # idle in one while another process's upgrade runs.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            key = MIGRATION_LOCK_KEY
            try:
                if not await conn.scalar(text(f"SELECT pg_try_advisory_lock({key})")):
                    log.info("another process is upgrading the database schema; waiting for it")
                    await conn.execute(text(f"SELECT pg_advisory_lock({key})"))
                yield
            finally:
                try:
                    await conn.execute(text(f"SELECT pg_advisory_unlock({key})"))
                except BaseException:
                    # A wait cut short, or an unlock that failed: a pooled connection that may
                    # still hold the lock would block every later migration, and closing it is
                    # what releases the lock.
                    await conn.invalidate()
                    raise

    async def _schema_version(self) -> str | None:
        """The schema revision the database is at, in one query; None before the first."""
        try:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        except DBAPIError:  # no alembic_version table yet: a database never migrated
            return None
        return rows[0][0] if len(rows) == 1 else None

    def _note_file(self, path: Path | None, is_new: bool) -> None:
        """Remember which file the database is, to notice if it is deleted under us."""
        if path is None:
            return
        if is_new:
            log.warning("created a new empty database at %s", path.resolve())
        stat = path.stat()
        self._file_id = (stat.st_dev, stat.st_ino)

    async def close(self) -> None:
        """Release every pooled connection."""
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _upgrade(connection: Connection, cfg: Config) -> None:
    """Run `alembic upgrade head` on an existing connection."""
    from alembic import command

    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")
