"""Copy the whole database into another, empty one (SQLite to PostgreSQL), then check the copy
row by row against the original."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, String, Table, func, insert, inspect, select, text
from sqlalchemy.engine import Row, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.db import SCHEMA_HEAD, Database, alembic_config
from bot.storage.models import Base

# Rows read and written per round trip: large enough to be quick, small enough to keep memory
# flat on a big table.
BATCH = 1000


class CopyError(Exception):
    """The copy cannot be made or does not match; the message is one line for the operator."""


class TargetNotEmptyError(CopyError):
    """The target already holds data; nothing was written to it."""


@dataclass(frozen=True)
class Copied:
    """What a finished copy holds: the schema revision and the rows of each table."""

    revision: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        """Rows copied over all tables."""
        return sum(self.counts.values())


async def copy_database(source_url: str, target_url: str, *, batch: int = BATCH) -> Copied:
    """Copy every table into the empty target in one transaction, verified before it commits."""
    if _same_database(source_url, target_url):
        raise CopyError("the target is the current database itself; give another database")
    source, target = Database(source_url), Database(target_url)
    try:
        return await _copy(source, target, batch)
    except DBAPIError as exc:  # the copy's transaction was rolled back with it
        raise CopyError(f"the copy failed and nothing was copied: {_reason(exc)}") from exc
    finally:
        await source.close()
        await target.close()


async def _copy(source: Database, target: Database, batch: int) -> Copied:
    """The copy itself; see copy_database."""
    if source.is_sqlite:
        path = source.sqlite_file()
        if path is None or not path.exists():
            raise CopyError(f"no database at {path or source.url}")
    async with _snapshot(source) as src:
        # The source first: a copy that cannot be made leaves the target alone.
        revision = _check_source_revision(await _revision(src))
        await target.check()
        async with target.engine.connect() as conn:
            # Before migrating: a target already in use is left exactly as it was.
            await _refuse_rows(conn)
        await target.migrate()
        async with target.engine.connect() as dst, dst.begin():
            await _refuse_rows(dst)  # in case something wrote there since the first look
            counts = {}
            for table in Base.metadata.sorted_tables:
                counts[table.name] = await _copy_table(src, dst, table, batch)
            if dst.dialect.name == "postgresql":
                await _reset_sequences(dst)
            # Inside the transaction: a copy that does not match is rolled back, not left.
            await _verify(src, dst, counts, batch)
            copied_revision = await _revision(dst)
            if copied_revision != revision:
                raise CopyError(
                    f"the target is at schema {copied_revision} but the current database at "
                    f"{revision}; nothing was copied"
                )
    return Copied(revision=revision, counts=counts)


@asynccontextmanager
async def _snapshot(db: Database) -> AsyncIterator[AsyncConnection]:
    """A connection in one read transaction: every read sees the same moment as the bot writes."""
    async with db.read_engine.connect() as conn:
        if db.is_sqlite:
            # The read engine leaves SQLite in autocommit, where each statement would see its
            # own moment; a deferred BEGIN takes no lock, and in WAL a reader never holds up
            # the bot's writers.
            await conn.exec_driver_sql("BEGIN")
        else:
            # One snapshot for the whole transaction, as pg_dump takes it.
            await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        try:
            yield conn
        finally:
            await conn.rollback()


async def _revision(conn: AsyncConnection) -> str | None:
    """The schema revision on this connection; None if the database has none."""
    if not await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")):
        return None
    versions = list(await conn.scalars(text("SELECT version_num FROM alembic_version")))
    return versions[0] if len(versions) == 1 else None


def _check_source_revision(revision: str | None) -> str:
    """The source's revision if the models describe it exactly (this version's); else raise."""
    if revision == SCHEMA_HEAD:
        return revision
    if revision is None:
        raise CopyError("the current database has no Nudge schema: there is nothing to copy")
    from alembic.script import ScriptDirectory

    known = {r.revision for r in ScriptDirectory.from_config(alembic_config("")).walk_revisions()}
    if revision not in known:
        raise CopyError(
            f"the current database was written by a newer version of Nudge (schema {revision}); "
            "run copy-to with that version"
        )
    raise CopyError(
        f"the current database is at schema {revision}, older than this version's "
        f"{SCHEMA_HEAD}: run `python -m bot migrate` on it first"
    )


async def _refuse_rows(conn: AsyncConnection) -> None:
    """Raise TargetNotEmptyError if any table (Alembic's own aside) holds a row."""
    names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    quote = conn.dialect.identifier_preparer.quote
    for name in sorted(names):
        if name == "alembic_version":
            continue
        if (await conn.execute(text(f"SELECT 1 FROM {quote(name)} LIMIT 1"))).first():
            raise TargetNotEmptyError(
                f"the target database is not empty (table {name} has rows); "
                "copy-to only fills an empty database, and nothing was written to it"
            )


def _order(table: Table, dialect: str) -> list[ColumnElement[Any]]:
    """The primary key to sort by, in the same byte order on every database."""
    columns: Sequence[Column[Any]] = list(table.primary_key.columns) or list(table.columns)
    if dialect != "postgresql":
        return list(columns)  # SQLite compares text byte by byte already
    # PostgreSQL sorts text by its collation, which may differ from SQLite's order.
    return [c.collate("C") if isinstance(c.type, String) else c for c in columns]


async def _rows(conn: AsyncConnection, table: Table, batch: int) -> AsyncIterator[Row[Any]]:
    """Every row of a table in primary key order, fetched a batch at a time."""
    statement = select(table).order_by(*_order(table, conn.dialect.name))
    result = await conn.stream(statement)
    try:
        async for part in result.partitions(batch):
            for row in part:
                yield row
    finally:
        await result.close()


async def _copy_table(src: AsyncConnection, dst: AsyncConnection, table: Table, batch: int) -> int:
    """Insert every row of one table, batch by batch; return how many."""
    count = 0
    pending: list[dict[str, Any]] = []
    checks_length = dst.dialect.name != "sqlite"
    async with aclosing(_rows(src, table, batch)) as rows:
        while True:
            try:
                row = await anext(rows)
            except StopAsyncIteration:
                break
            except (ValueError, ArithmeticError) as exc:  # a value the models cannot read
                raise CopyError(
                    f"reading table {table.name} failed: {type(exc).__name__}: {exc}"
                ) from exc
            values = {c.key: row._mapping[c] for c in table.columns}
            if checks_length:
                _check_length(table, values)
            pending.append(values)
            if len(pending) >= batch:
                count += await _insert(dst, table, pending)
                pending = []
    if pending:
        count += await _insert(dst, table, pending)
    return count


async def _insert(dst: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> int:
    """One batch into the target, its failure named by the table."""
    try:
        await dst.execute(insert(table), rows)
    except DBAPIError as exc:
        raise CopyError(f"copying table {table.name} failed: {_reason(exc)}") from exc
    return len(rows)


def _reason(exc: DBAPIError) -> str:
    """The driver's own first line, without SQLAlchemy's statement and parameters."""
    lines = str(exc.orig or exc).strip().splitlines()
    return f"{type(exc.orig or exc).__name__}: {lines[0] if lines else ''}"


def _check_length(table: Table, values: dict[str, Any]) -> None:
    """Name the row whose text is longer than its column allows, before PostgreSQL refuses it."""
    # SQLite keeps such text; PostgreSQL's error would not say which row it is.
    for column in table.columns:
        value = values[column.key]
        limit = getattr(column.type, "length", None)
        if isinstance(column.type, String) and limit and isinstance(value, str):
            if len(value) > limit:
                raise CopyError(
                    f"table {table.name} at {_key(table, values)}: {column.name} has "
                    f"{len(value)} characters, more than the {limit} the target allows; "
                    "shorten it in the current database and run copy-to again"
                )


async def _reset_sequences(dst: AsyncConnection) -> None:
    """Move each serial key's sequence past the copied ids, or the next insert reuses one."""
    quote = dst.dialect.identifier_preparer.quote
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, Integer):
            continue
        name, column = quote(table.name), quote(key[0].name)
        # pg_get_serial_sequence gives NULL for a key without a sequence (users.id, which is
        # Telegram's), and setval of NULL does nothing.
        await dst.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE(MAX({column}), 0) + 1, false) FROM {name}"
            ),
            {"table": name, "column": key[0].name},
        )


async def _verify(
    src: AsyncConnection, dst: AsyncConnection, counts: dict[str, int], batch: int
) -> None:
    """Read every table back from both databases and compare them row by row."""
    # PostgreSQL text holds no NUL, which the target's engine stores as U+FFFD (see db.py).
    scrub_nul = dst.dialect.name == "postgresql"
    for table in Base.metadata.sorted_tables:
        ours = await src.scalar(select(func.count()).select_from(table))
        theirs = await dst.scalar(select(func.count()).select_from(table))
        if not ours == theirs == counts[table.name]:
            raise CopyError(
                f"the copy does not match: table {table.name} has {ours} rows in the current "
                f"database and {theirs} in the target; nothing was copied"
            )
        async with (
            aclosing(_rows(src, table, batch)) as mine,
            aclosing(_rows(dst, table, batch)) as copied,
        ):
            async for row in mine:
                other = await anext(copied, None)
                differs = _first_difference(table, row, other, scrub_nul)
                if differs is not None:
                    raise CopyError(
                        f"the copy does not match: table {table.name} differs at "
                        f"{_key(table, row._mapping)} ({differs}); nothing was copied"
                    )


def _first_difference(
    table: Table, row: Row[Any], other: Row[Any] | None, scrub_nul: bool
) -> str | None:
    """What differs between a source row and its copy (None if nothing)."""
    if other is None:
        return "the row is missing"
    for column in table.columns:
        mine, theirs = row._mapping[column], other._mapping[column]
        if scrub_nul and isinstance(mine, str):
            mine = mine.replace("\x00", "\ufffd")
        if mine != theirs:
            return f"column {column.name}"
    return None


def _key(table: Table, values: Any) -> str:
    """The primary key of a row, as `id=5` or `workspace_id=1, user_id=7`."""
    columns = list(table.primary_key.columns) or list(table.columns)
    return ", ".join(f"{c.name}={values[c.key]!r}" for c in columns)


def _same_database(first: str, second: str) -> bool:
    """True if both URLs name one database (one SQLite file, or one server's database)."""
    try:
        a, b = make_url(first), make_url(second)
    except ArgumentError:
        return first == second
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        if not a.database or not b.database or ":memory:" in (a.database, b.database):
            return False
        return Path(a.database).resolve() == Path(b.database).resolve()
    return (a.host or "", a.port or 5432, a.database) == (b.host or "", b.port or 5432, b.database)
