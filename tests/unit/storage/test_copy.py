"""`python -m bot copy-to`: a running SQLite database copied into an empty PostgreSQL one,
exactly and verified, and a target in use refused untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, insert, inspect, select, text

import bot.storage.copy as copy_module
from bot.storage.copy import CopyError, TargetNotEmptyError, copy_database
from bot.storage.db import SCHEMA_HEAD, Database
from bot.storage.models import Base, InvoiceRow, ReminderRow, UserRow
from bot.storage.records import Contact
from bot.storage.repositories import Repos
from tests import pgserver

NOW = datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC)
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")


async def fill(url: str) -> None:
    """A database as a team's bot leaves it: a row or more in every table."""
    db = Database(url)
    await db.migrate()
    try:
        async with db.session() as s:
            repos = Repos(s)
            await repos.users.seen(7, first_name="Анна", username="anna", tg_language="ru", now=NOW)
            await repos.users.seen(8, first_name="Boris", username=None, tg_language="en", now=NOW)
            await repos.users.update(8, NOW, timezone="Asia/Vladivostok")
            await repos.users.mark_blocked(8, NOW)
            team = await repos.workspaces.create("Агентство «Ромашка»", 7, NOW)
            await repos.workspaces.add_member(team.id, 8, "manager", NOW)
            lead = await repos.clients.create(
                team.id,
                "ООО Вектор",
                owner_id=7,
                now=NOW,
                source="сайт",
                # SQLite keeps a NUL; PostgreSQL's text cannot, and gets U+FFFD in its place.
                note="pasted\x00from a PDF",
                contacts=(Contact("phone", "+79001234567"), Contact("email", "ceo@vector.ru")),
                received_at=NOW - timedelta(minutes=3),
            )
            client = await repos.clients.create(
                team.id, "Bright Ltd", owner_id=8, now=NOW, status="active"
            )
            await repos.clients.add_contact(client.id, Contact("username", "@bright"))
            await repos.clients.add_touch(
                client.id,
                user_id=8,
                kind="call",
                direction="out",
                at=NOW - timedelta(hours=1),
                now=NOW,
                summary="обсудили смету",
                duration_s=420,
            )
            invoice = await repos.invoices.add(
                workspace_id=team.id,
                client_id=client.id,
                user_id=8,
                amount=Decimal("1234.56"),
                currency="RUB",
                number="2026-17",
                due_at=datetime(2026, 12, 1, 18, 0, tzinfo=VLADIVOSTOK),
                note="",
                now=NOW,
            )
            await repos.invoices.add_payment(invoice, Decimal("0.01"), 8, NOW, NOW)
            await repos.invoices.add(
                workspace_id=team.id,
                client_id=lead.id,
                user_id=7,
                amount=Decimal("99999999999.999"),
                currency="USD",
                number=None,
                due_at=None,
                note="a big one",
                now=NOW,
                sent=False,
            )
            reminder = await repos.reminders.add(
                team.id,
                "followup",
                datetime(2026, 11, 25, 9, 30, tzinfo=VLADIVOSTOK),
                now=NOW,
                client_id=client.id,
                user_id=8,
                payload={"text": "позвонить"},
            )
            await repos.followups.add(
                workspace_id=team.id,
                client_id=client.id,
                user_id=8,
                due_at=datetime(2026, 11, 25, 9, 30, tzinfo=VLADIVOSTOK),
                now=NOW,
                what="позвонить",
            )
            await repos.tasks.add(
                workspace_id=team.id,
                client_id=lead.id,
                author_id=7,
                assignee_id=8,
                what="подготовить КП",
                urgent=True,
                due_at=NOW + timedelta(days=2),
                now=NOW,
            )
            await repos.chats.link(
                -100123,
                workspace_id=team.id,
                kind="client",
                client_id=client.id,
                title="Bright × Ромашка",
                chat_type="supergroup",
                by=7,
                now=NOW,
            )
            await repos.chats.open_conversation(
                workspace_id=team.id,
                client_id=client.id,
                chat_id=-100123,
                thread_id=0,
                connection_id="",
                chat_type="supergroup",
                title="Bright × Ромашка",
                now=NOW,
            )
            for connection in ("Zeta", "alpha", "Ärger"):  # sorted differently by collations
                await repos.chats.save_connection(
                    connection,
                    user_id=8,
                    user_chat_id=8,
                    can_reply=True,
                    can_read=True,
                    is_enabled=True,
                    now=NOW,
                )
            await repos.intake.record(team.id, "form-1", "f" * 64, lead.id, NOW)
            await repos.drafts.add(7, "forward", {"text": "привет"}, NOW)
            await repos.outbox.add(
                8, {"text": "Напоминание"}, kind="reminder", now=NOW, reminder_id=reminder
            )
            await repos.updates.mark_processed(555_000_111, NOW)
    finally:
        await db.close()


async def read_all(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, through the models, in primary key order."""
    db = Database(url)
    found: dict[str, list[tuple[Any, ...]]] = {}
    try:
        async with db.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows = await conn.execute(select(table))
                found[table.name] = sorted(
                    (tuple(row) for row in rows), key=lambda r, t=table: _pk(t, r)
                )
    finally:
        await db.close()
    return found


def _pk(table: Table, row: tuple[Any, ...]) -> tuple[str, ...]:
    names = [c.name for c in table.columns]
    return tuple(repr(row[names.index(c.name)]) for c in table.primary_key.columns)


async def count_rows(url: str) -> dict[str, int]:
    """Rows per table, of whatever tables the database has."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
            return {
                name: (await conn.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
                for name in sorted(names)
            }
    finally:
        await db.close()


@pytest.fixture
async def source(tmp_path: Path) -> str:
    """A filled SQLite database, as the bot runs on today."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'nudge.sqlite3'}"
    await fill(url)
    return url


@pytest.fixture
async def empty_pg(postgres_server: pgserver.Server) -> AsyncIterator[str]:
    """A new PostgreSQL database without even a schema."""
    async with pgserver.database(postgres_server, migrated=False) as url:
        yield url


async def test_every_row_arrives_exactly(source: str, empty_pg: str) -> None:
    copied = await copy_database(source, empty_pg)
    assert copied.revision == SCHEMA_HEAD
    assert list(copied.counts) == [t.name for t in Base.metadata.sorted_tables]
    assert all(copied.counts.values()), copied.counts  # the fill reaches every table
    ours, theirs = await read_all(source), await read_all(empty_pg)
    assert {name: len(rows) for name, rows in theirs.items()} == copied.counts
    lead_note = "pasted\ufffdfrom a PDF"
    ours["clients"] = [
        tuple(lead_note if v == "pasted\x00from a PDF" else v for v in row)
        for row in ours["clients"]
    ]
    assert theirs == ours

    target = Database(empty_pg)
    try:
        async with target.engine.connect() as conn:
            amounts = list(await conn.scalars(select(InvoiceRow.amount).order_by(InvoiceRow.id)))
            paid = await conn.scalar(select(InvoiceRow.paid).order_by(InvoiceRow.id).limit(1))
            due = await conn.scalar(select(ReminderRow.due_at))
            stored = await conn.scalar(text("SELECT due_at::text FROM reminders"))
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await target.close()
    assert [str(a) for a in amounts] == ["1234.56", "99999999999.999"]
    assert paid == Decimal("0.01")
    assert due == datetime(2026, 11, 25, 9, 30, tzinfo=VLADIVOSTOK)
    assert due.tzinfo is not None and stored.startswith("2026-11-24 23:30:00")
    assert version == SCHEMA_HEAD


async def test_new_rows_after_the_copy_get_fresh_ids(source: str, empty_pg: str) -> None:
    copied = await copy_database(source, empty_pg)
    target = Database(empty_pg)
    try:
        async with target.session() as s:
            repos = Repos(s)
            client = await repos.clients.create(1, "После переезда", owner_id=7, now=NOW)
            reminder = await repos.reminders.add(1, "followup", NOW, now=NOW)
        assert client.id == copied.counts["clients"] + 1
        assert reminder == copied.counts["reminders"] + 1
        # Every serial key's sequence is past its table's largest id.
        async with target.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if "id" not in table.c:
                    continue
                sequence = await conn.scalar(
                    text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
                )
                if sequence is None:  # users.id is Telegram's
                    continue
                largest = await conn.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table.name}"))
                assert await conn.scalar(text("SELECT nextval(:s)"), {"s": sequence}) > largest
    finally:
        await target.close()


async def test_a_target_with_rows_is_refused_untouched(
    source: str, postgres_server: pgserver.Server
) -> None:
    async with pgserver.database(postgres_server) as used:
        target = Database(used)
        try:
            async with target.session() as s:
                await s.execute(
                    insert(UserRow).values(id=1, first_name="x", created_at=NOW, updated_at=NOW)
                )
        finally:
            await target.close()
        before = await count_rows(used)
        with pytest.raises(TargetNotEmptyError, match="table users has rows"):
            await copy_database(source, used)
        assert await count_rows(used) == before


async def test_a_database_of_another_application_is_not_even_migrated(
    source: str, empty_pg: str
) -> None:
    target = Database(empty_pg)
    try:
        async with target.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE invoices_2019 (n integer)"))
            await conn.execute(text("INSERT INTO invoices_2019 VALUES (1)"))
    finally:
        await target.close()
    with pytest.raises(TargetNotEmptyError, match="invoices_2019"):
        await copy_database(source, empty_pg)
    assert await count_rows(empty_pg) == {"invoices_2019": 1}


async def test_a_migrated_empty_target_is_filled(
    source: str, postgres_server: pgserver.Server
) -> None:
    async with pgserver.database(postgres_server) as url:
        copied = await copy_database(source, url)
        assert copied.counts["clients"] == 2


async def test_a_copy_that_differs_fails_naming_the_row_and_leaves_nothing(
    source: str, empty_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_batch = copy_module._insert

    async def corrupting(dst: Any, table: Table, rows: list[dict[str, Any]]) -> int:
        if table.name == "clients":
            rows[-1] = {**rows[-1], "name": "Bright Ltd."}  # as a lossy conversion would
        return await insert_batch(dst, table, rows)

    monkeypatch.setattr(copy_module, "_insert", corrupting)
    with pytest.raises(CopyError, match=r"table clients differs at id=2 \(column name\)"):
        await copy_database(source, empty_pg)
    counts = await count_rows(empty_pg)
    assert counts.pop("alembic_version") == 1  # migrated, but not a row of data kept
    assert set(counts.values()) == {0}


async def test_text_too_long_for_postgresql_is_named_before_writing(
    source: str, empty_pg: str
) -> None:
    """SQLite keeps a name longer than its column; the refusal says which row to shorten."""
    db = Database(source)
    try:
        async with db.session() as s:
            await s.execute(text("UPDATE clients SET name = :n WHERE id = 2"), {"n": "я" * 250})
    finally:
        await db.close()
    with pytest.raises(CopyError, match="table clients at id=2: name has 250 characters"):
        await copy_database(source, empty_pg)
    counts = await count_rows(empty_pg)
    assert counts.pop("alembic_version") == 1 and set(counts.values()) == {0}


async def test_the_copy_is_one_moment_while_the_bot_writes(
    source: str, empty_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row the bot writes while the copy runs is in neither the copy nor its check."""
    copy_table = copy_module._copy_table
    bot = Database(source)

    async def bot_writes_meanwhile(src: Any, dst: Any, table: Table, batch: int) -> int:
        count = await copy_table(src, dst, table, batch)
        if table.name == "business_connections":  # the first table: users come later
            async with bot.session() as s:
                await Repos(s).users.seen(
                    99, first_name="New", username=None, tg_language=None, now=NOW
                )
        return count

    monkeypatch.setattr(copy_module, "_copy_table", bot_writes_meanwhile)
    try:
        copied = await copy_database(source, empty_pg)
    finally:
        await bot.close()
    assert copied.counts["users"] == 2
    assert len((await read_all(source))["users"]) == 3


async def test_sqlite_to_sqlite_works_too(source: str, tmp_path: Path) -> None:
    target = f"sqlite+aiosqlite:///{tmp_path / 'copy' / 'nudge.sqlite3'}"
    copied = await copy_database(source, target)
    assert await read_all(target) == await read_all(source)
    assert copied.total == sum((await count_rows(target)).values()) - 1  # alembic_version


async def test_back_from_postgresql_to_sqlite(source: str, empty_pg: str, tmp_path: Path) -> None:
    """The way back (PostgreSQL read in one snapshot) gives the rows that went there."""
    there = await copy_database(source, empty_pg)
    back = f"sqlite+aiosqlite:///{tmp_path / 'back.sqlite3'}"
    assert (await copy_database(empty_pg, back)).counts == there.counts
    assert await read_all(back) == await read_all(empty_pg)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("missing", "no database at"),
        ("unmigrated", "has no Nudge schema"),
        ("older", "older than this version's"),
        ("newer", "newer version of Nudge"),
        ("itself", "the target is the current database itself"),
    ],
)
async def test_a_source_that_cannot_be_copied_is_refused(
    tmp_path: Path, make: str, message: str
) -> None:
    path = tmp_path / "nudge.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    if make != "missing":
        db = Database(url)
        try:
            if make == "unmigrated":
                await db.check()
            else:
                await db.migrate()
            if make in ("older", "newer"):
                version = "0005" if make == "older" else "9999_future"
                async with db.session() as s:
                    await s.execute(text(f"UPDATE alembic_version SET version_num='{version}'"))
        finally:
            await db.close()
    target = url if make == "itself" else f"sqlite+aiosqlite:///{tmp_path / 'copy.sqlite3'}"
    with pytest.raises(CopyError, match=message):
        await copy_database(url, target)
    assert not (tmp_path / "copy.sqlite3").exists()  # the target was not even created
