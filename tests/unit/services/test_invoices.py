"""Invoices: status from payments and dates, the reminder schedule on the manager's calendar,
aging buckets, partial and over-payments with exact decimals, and the team's currency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.parsing.money import Money
from bot.services.align import Window
from bot.services.invoices import (
    DAYS_1_7,
    DAYS_8_30,
    DAYS_31_60,
    DAYS_60_PLUS,
    DRAFT,
    INVOICE_KIND,
    KINDS,
    NOT_DUE,
    OVERDUE,
    PAID,
    PARTLY_PAID,
    SENT,
    InvoiceError,
    aging,
    bucket_of,
    create_invoice,
    days_overdue,
    fire_invoice,
    move_due,
    next_reminder,
    next_step,
    payment_amount,
    read_currency,
    record_payment,
    status,
    step_at,
)
from bot.storage.db import Database
from bot.storage.models import NotificationRow
from bot.storage.records import Client, Invoice, User
from bot.storage.repositories import Repos

MSK = ZoneInfo("Europe/Moscow")
MOSCOW = Window("Europe/Moscow", 600, 1140, "12345", "RU")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 13:00 in Moscow


def msk(*args: int) -> datetime:
    """A Moscow wall-clock moment."""
    return datetime(*args, tzinfo=MSK)  # type: ignore[misc]


def invoice(**changes: object) -> Invoice:
    """An open invoice of 120 000 RUB due Friday 27.11 at 19:00 Moscow time."""
    base = Invoice(
        id=1,
        workspace_id=1,
        client_id=1,
        user_id=1,
        number="45",
        amount=Decimal("120000.00"),
        paid=Decimal(0),
        currency="RUB",
        note="",
        sent_at=NOW,
        due_at=msk(2026, 11, 27, 19, 0).astimezone(UTC),
        state="open",
        closed_at=None,
        created_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- status ----------------------------------------------------------------------------------


def test_status_comes_from_payments_and_dates() -> None:
    before, after = NOW, msk(2026, 11, 27, 19, 1)
    assert status(invoice(sent_at=None), before) == DRAFT
    assert status(invoice(), before) == SENT
    assert status(invoice(paid=Decimal(50_000)), before) == PARTLY_PAID
    assert status(invoice(), after) == OVERDUE
    assert status(invoice(paid=Decimal(50_000)), after) == OVERDUE
    assert status(invoice(paid=Decimal(120_000), state="paid"), after) == PAID
    # The end of the due day is still on time.
    assert status(invoice(), msk(2026, 11, 27, 19, 0)) == SENT
    assert status(invoice(due_at=None), after) == SENT


def test_left_never_goes_below_zero() -> None:
    assert invoice(paid=Decimal("150000")).left == 0


# --- the schedule ----------------------------------------------------------------------------


def steps(due: datetime, count: int) -> list[datetime]:
    """The first `count` reminder moments in Moscow time."""
    return [step_at(due, n, MOSCOW).astimezone(MSK) for n in range(count)]


def test_schedule_before_on_and_after_the_due_day() -> None:
    """Due Friday: 3 working days before (Tuesday), on Friday, then +1 (Saturday → Monday),
    +3 (Monday too), +7, +14, then every 14 days, always at the start of the working day."""
    due = msk(2026, 11, 27, 19, 0)
    assert steps(due, 7) == [
        msk(2026, 11, 24, 10, 0),
        msk(2026, 11, 27, 10, 0),
        msk(2026, 11, 30, 10, 0),
        msk(2026, 11, 30, 10, 0),
        msk(2026, 12, 4, 10, 0),
        msk(2026, 12, 11, 10, 0),
        msk(2026, 12, 25, 10, 0),
    ]


def test_past_and_coinciding_steps_are_skipped() -> None:
    due = msk(2026, 11, 27, 19, 0)
    # Created Tuesday 13:00: the Tuesday 10:00 step is past, Friday's is next.
    assert next_step(due, MOSCOW, NOW) == (1, msk(2026, 11, 27, 10, 0))
    # After Monday's +1 reminder, +3 (also Monday) makes no second one: +7 is next.
    monday = msk(2026, 11, 30, 10, 0)
    assert next_step(due, MOSCOW, monday, first=3) == (4, msk(2026, 12, 4, 10, 0))


def test_new_year_holidays_and_the_decreed_day_off() -> None:
    """Due 30.12.2026: 31.12 is off by decree and 1–8.01 are holidays, so +1, +3 and +7 all
    come on Monday 11.01 (once), and +14 on 13.01."""
    due = msk(2026, 12, 30, 19, 0)
    assert steps(due, 6) == [
        msk(2026, 12, 25, 10, 0),
        msk(2026, 12, 30, 10, 0),
        msk(2027, 1, 11, 10, 0),
        msk(2027, 1, 11, 10, 0),
        msk(2027, 1, 11, 10, 0),
        msk(2027, 1, 13, 10, 0),
    ]
    after_first = msk(2027, 1, 11, 10, 0)
    assert next_step(due, MOSCOW, after_first, first=3) == (5, msk(2027, 1, 13, 10, 0))


def test_a_due_day_off_is_mentioned_on_the_working_day_before() -> None:
    """Due on the 3.11.2025 holiday: the due-day reminder comes on Saturday 1.11, a working
    day by decree, and 3 working days before counts that Saturday too."""
    due = msk(2025, 11, 3, 19, 0)
    assert steps(due, 3) == [
        msk(2025, 10, 30, 10, 0),
        msk(2025, 11, 1, 10, 0),
        msk(2025, 11, 5, 10, 0),
    ]


def test_the_managers_own_zone_hours_and_holidays() -> None:
    """A New York manager working 9:00–17:00: 9:00 there, in UTC across the DST change, and
    the US calendar (Thanksgiving) moves an overdue reminder."""
    window = Window("America/New_York", 540, 1020, "12345", "US")
    new_york = ZoneInfo("America/New_York")
    due = datetime(2026, 11, 2, 17, 0, tzinfo=new_york)
    # Wednesday 28.10 is before the clocks go back (UTC-4), Monday 2.11 after it (UTC-5).
    assert [step_at(due, n, window) for n in range(2)] == [
        datetime(2026, 10, 28, 13, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 14, 0, tzinfo=UTC),
    ]
    thanksgiving_eve = datetime(2026, 11, 25, 17, 0, tzinfo=new_york)
    assert step_at(thanksgiving_eve, 2, window) == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


# --- aging -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, NOT_DUE),
        (1, DAYS_1_7),
        (7, DAYS_1_7),
        (8, DAYS_8_30),
        (30, DAYS_8_30),
        (31, DAYS_31_60),
        (60, DAYS_31_60),
        (61, DAYS_60_PLUS),
    ],
)
def test_bucket_edges(days: int, bucket: str) -> None:
    assert bucket_of(days) == bucket


def test_days_overdue_count_in_the_readers_zone() -> None:
    """Due 23:30 Moscow on the 27th; at 01:00 Moscow on the 28th it is one day overdue there,
    while in London (21:30 → 23:00 on the 27th) still the same day: at least one day once due."""
    inv = invoice(due_at=msk(2026, 11, 27, 23, 30).astimezone(UTC))
    now = msk(2026, 11, 28, 1, 0)
    assert days_overdue(inv, now, "Europe/Moscow") == 1
    assert days_overdue(inv, now, "Europe/London") == 1
    assert days_overdue(inv, msk(2026, 11, 27, 23, 0), "Europe/Moscow") == 0
    assert days_overdue(inv, msk(2026, 12, 7, 12, 0), "Europe/Moscow") == 10


def test_aging_buckets_and_totals_per_currency_and_client() -> None:
    now = msk(2026, 12, 30, 12, 0)
    due = msk(2026, 11, 27, 19, 0).astimezone(UTC)
    invoices = [
        invoice(id=1, client_id=1, due_at=due, amount=Decimal("100.10")),  # 33 days: 31–60
        invoice(id=2, client_id=1, due_at=None, amount=Decimal("0.20")),  # no date: not due
        invoice(
            id=3,
            client_id=2,
            due_at=msk(2026, 11, 20, 19, 0).astimezone(UTC),
            currency="USD",
            amount=Decimal(500),
        ),  # 40 days: 31–60
        invoice(
            id=4,
            client_id=2,
            due_at=msk(2026, 12, 25, 19, 0).astimezone(UTC),
            amount=Decimal(300),
            paid=Decimal(100),
        ),  # 5 days, 200 left
        invoice(id=5, client_id=3, due_at=due, state="paid", paid=Decimal(120000)),
    ]
    debts = aging(invoices, now, "Europe/Moscow")
    assert debts.count == 4
    assert debts.totals == {"RUB": Decimal("300.30"), "USD": Decimal(500)}
    assert debts.buckets == {
        DAYS_31_60: {"RUB": Decimal("100.10"), "USD": Decimal(500)},
        NOT_DUE: {"RUB": Decimal("0.20")},
        DAYS_1_7: {"RUB": Decimal(200)},
    }
    assert [d.client_id for d in debts.clients] == [2, 1]  # the longest overdue first
    first = debts.clients[0]
    assert first.totals == {"USD": Decimal(500), "RUB": Decimal(200)}
    assert first.worst_days == 40


# --- currency --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [("usd", "USD"), ("EUR", "EUR"), ("$", "USD"), ("₽", "RUB"), ("руб", "RUB"), ("kzt", "KZT")],
)
def test_currency_by_code_sign_or_word(typed: str, code: str) -> None:
    assert read_currency(typed) == code


@pytest.mark.parametrize("typed", ["", "xx", "доллары и евро", "rubles please", "1 usd"])
def test_unknown_currency_is_refused(typed: str) -> None:
    with pytest.raises(InvoiceError) as err:
        read_currency(typed)
    assert err.value.code == "bad_currency"


def test_payment_amount_checks() -> None:
    inv = invoice(paid=Decimal(20_000))
    assert payment_amount(inv, None) == Decimal(100_000)
    assert payment_amount(inv, Money(Decimal(5), None)) == Decimal(5)
    for money, code in (
        (Money(Decimal(5), "USD"), "currency"),
        (Money(Decimal("0.5"), None), "precision"),
    ):
        target = inv if code != "precision" else replace(inv, currency="JPY")
        with pytest.raises(InvoiceError) as err:
            payment_amount(target, money)
        assert err.value.code == code
    with pytest.raises(InvoiceError):
        payment_amount(replace(inv, state="paid"), None)


# --- with the database -----------------------------------------------------------------------


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.close()


async def _setup(repos: Repos) -> tuple[User, Client]:
    """A Moscow manager and one client."""
    from bot.services.accounts import register

    await register(repos, 1, first_name="A", username=None, tg_language="ru", now=NOW)
    user = await repos.users.update(1, NOW, timezone="Europe/Moscow")
    assert user.current_workspace_id is not None
    client = await repos.clients.create(
        user.current_workspace_id, "Acme", owner_id=1, now=NOW, status="active"
    )
    return user, client


async def _create(
    repos: Repos,
    user: User,
    client: Client,
    amount: str = "120000",
    *,
    number: str | None = "45",
    due: datetime | None = None,
) -> Invoice:
    created = await create_invoice(
        repos,
        client,
        user,
        Money(Decimal(amount), None),
        team_currency="RUB",
        number=number,
        due_at=due if due is not None else msk(2026, 11, 27, 19, 0),
        note="",
        now=NOW,
        default_zone="UTC",
    )
    return created.invoice


async def test_create_arms_one_reminder_and_refuses_a_taken_number(db: Database) -> None:
    async with db.session() as s:
        repos = Repos(s)
        user, client = await _setup(repos)
        inv = await _create(repos, user, client)
        assert inv.currency == "RUB" and inv.amount == Decimal(120000)
        [pending] = await repos.reminders.pending_for_ref(KINDS, inv.id)
        assert pending.kind == INVOICE_KIND and pending.user_id == 1
        assert pending.due_at == msk(2026, 11, 27, 10, 0)
        assert pending.payload_dict()["step"] == 1
        with pytest.raises(InvoiceError) as err:
            await _create(repos, user, client, number="#45")
        assert err.value.code == "number_taken"
        # Once paid, the number may be used again.
        await record_payment(repos, inv, inv.left, 1, NOW)
        again = await _create(repos, user, client, number="45")
        assert again.number == "45"


async def test_exact_decimals_partial_and_full_payments(db: Database) -> None:
    """0.1 + 0.2 pays 0.30 exactly; a partial payment keeps the reminders, the last one
    cancels them and the message of a fired reminder still held for quiet hours."""
    async with db.session() as s:
        repos = Repos(s)
        user, client = await _setup(repos)
        inv = await _create(repos, user, client, "0.30", number=None)
        first = await record_payment(repos, inv, Decimal("0.1"), 1, NOW)
        assert not first.covered and first.invoice.left == Decimal("0.20")
        assert await next_reminder(repos, inv.id) is not None
        # The reminder fires; its message waits for the end of quiet hours.
        [pending] = await repos.reminders.pending_for_ref(KINDS, inv.id)
        fired_at = pending.due_at
        [claimed] = await repos.reminders.claim_due(fired_at, 10)
        due = await fire_invoice(repos, claimed, fired_at, "UTC")
        assert due is not None and due.step == 1 and due.next_at is not None
        await repos.outbox.add(
            1,
            {"text": "held"},
            kind=INVOICE_KIND,
            now=fired_at,
            not_before=fired_at + timedelta(hours=8),
            reminder_id=claimed.id,
        )
        second = await record_payment(repos, first.invoice, Decimal("0.2"), 1, fired_at)
        assert second.covered and second.over == 0
        assert second.invoice.paid == Decimal("0.30") and second.invoice.state == "paid"
        assert await repos.reminders.pending_for_ref(KINDS, inv.id) == []
        states = list(await s.scalars(select(NotificationRow.state)))
        assert states == ["cancelled"]
        payments = await repos.invoices.payments(inv.id)
        assert [p.amount for p in payments] == [Decimal("0.10"), Decimal("0.20")]
    async with db.session() as s:  # read back from the database: still exact
        stored = await Repos(s).invoices.get(inv.id)
        assert stored is not None and stored.paid == Decimal("0.30") and stored.left == 0


async def test_over_payment_is_recorded_whole_and_said(db: Database) -> None:
    async with db.session() as s:
        repos = Repos(s)
        user, client = await _setup(repos)
        inv = await _create(repos, user, client, "100")
        paid = await record_payment(repos, inv, Decimal("150"), 1, NOW)
        assert paid.covered and paid.over == Decimal(50)
        assert paid.invoice.paid == Decimal(150) and paid.invoice.left == 0
        with pytest.raises(InvoiceError) as err:
            await record_payment(repos, paid.invoice, Decimal(1), 1, NOW)
        assert err.value.code == "closed"


async def test_firing_arms_the_next_step_and_a_move_starts_over(db: Database) -> None:
    async with db.session() as s:
        repos = Repos(s)
        user, client = await _setup(repos)
        inv = await _create(repos, user, client)
        [friday] = await repos.reminders.pending_for_ref(KINDS, inv.id)
        [claimed] = await repos.reminders.claim_due(friday.due_at, 10)
        due = await fire_invoice(repos, claimed, friday.due_at, "UTC")
        assert due is not None and due.next_at == msk(2026, 11, 30, 10, 0)
        [monday] = await repos.reminders.pending_for_ref(KINDS, inv.id)
        assert monday.payload_dict()["held"] == [claimed.id]
        # They promise to pay on 10.12 (Thursday): the schedule starts over from that date.
        moved = await move_due(
            repos, inv, msk(2026, 12, 10, 19, 0), user, msk(2026, 11, 28, 12, 0), "UTC"
        )
        assert moved.next_at == msk(2026, 12, 7, 10, 0)  # 3 working days before
        [only] = await repos.reminders.pending_for_ref(KINDS, inv.id)
        assert only.due_at == moved.next_at
        # A reminder armed for the old date does nothing if it fires anyway.
        assert await fire_invoice(repos, monday, monday.due_at, "UTC") is None
        with pytest.raises(InvoiceError) as err:
            await move_due(repos, inv, msk(2026, 11, 1, 19, 0), user, NOW, "UTC")
        assert err.value.code == "past"


async def test_downtime_fires_once_and_goes_on_with_the_next_step_ahead(db: Database) -> None:
    async with db.session() as s:
        repos = Repos(s)
        user, client = await _setup(repos)
        inv = await _create(repos, user, client)
        back = msk(2026, 12, 5, 12, 0)  # down from Friday 27.11 to Saturday 5.12
        [claimed] = await repos.reminders.claim_due(back, 10)
        due = await fire_invoice(repos, claimed, back, "UTC")
        assert due is not None and due.next_at == msk(2026, 12, 11, 10, 0)
        assert len(await repos.reminders.pending_for_ref(KINDS, inv.id)) == 1


async def test_no_due_date_no_reminders(db: Database) -> None:
    async with db.session() as s:
        repos = Repos(s)
        user, client = await _setup(repos)
        created = await create_invoice(
            repos,
            client,
            user,
            Money(Decimal(10), "USD"),
            team_currency="RUB",
            number=None,
            due_at=None,
            note="design",
            now=NOW,
            default_zone="UTC",
        )
        assert created.next_at is None and created.invoice.currency == "USD"
        assert await repos.reminders.pending_for_ref(KINDS, created.invoice.id) == []
        with pytest.raises(InvoiceError) as err:
            await create_invoice(
                repos,
                client,
                user,
                Money(Decimal("1.50"), "JPY"),
                team_currency="RUB",
                number=None,
                due_at=None,
                note="",
                now=NOW,
                default_zone="UTC",
            )
        assert err.value.code == "precision"
