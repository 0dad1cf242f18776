"""Invoices: creating them, payments against them, their status, reminders and receivables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision, list_currencies

from bot.parsing.money import Money, MoneyError, read_money
from bot.services.align import Window, holiday_country
from bot.storage.records import Client, Invoice, Reminder, User, Workspace
from bot.storage.repositories import Repos
from bot.storage.repositories.invoices import CANCELLED, OPEN, PAID

INVOICE_KIND = "invoice"
KINDS = (INVOICE_KIND,)

# Derived statuses (the stored state only says open, paid or cancelled).
DRAFT, SENT, PARTLY_PAID, OVERDUE = "draft", "sent", "partly_paid", "overdue"
STATUSES = (DRAFT, SENT, PARTLY_PAID, PAID, OVERDUE)

# Aging buckets of /debts, by whole days past the due date.
NOT_DUE, DAYS_1_7, DAYS_8_30, DAYS_31_60, DAYS_60_PLUS = (
    "not_due",
    "1_7",
    "8_30",
    "31_60",
    "60_plus",
)
BUCKETS = (NOT_DUE, DAYS_1_7, DAYS_8_30, DAYS_31_60, DAYS_60_PLUS)

# Reminder steps: 0 is three working days before the due day, 1 the due day itself, then the
# overdue chasers at these days after it, then every REPEAT_DAYS until paid.
BEFORE_WORKING_DAYS = 3
CHASER_DAYS = (1, 3, 7, 14)
REPEAT_DAYS = 14
FIRST_CHASER = 2
# Fired reminders whose messages may still be held back for quiet hours: a payment or a new
# due date drops them too. More than a few never wait at once (steps are days apart).
HELD_KEEP = 3
# Further ahead than this is a typo (31.12.2099), not a due date.
MAX_AHEAD = timedelta(days=5 * 366)
MAX_NUMBER = 32
# A safety bound on the step search; the cadence reaches any date long before it.
_MAX_STEPS = 10_000


class InvoiceError(Exception):
    """An invoice command that cannot be carried out; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def status(invoice: Invoice, now: datetime) -> str:
    """draft, sent, partly_paid, paid or overdue, from the payments and the dates."""
    if invoice.state == PAID or invoice.paid >= invoice.amount:
        return PAID
    if invoice.state == CANCELLED:
        return CANCELLED
    if invoice.due_at is not None and now > invoice.due_at:
        return OVERDUE
    if invoice.paid > 0:
        return PARTLY_PAID
    if invoice.sent_at is None:
        return DRAFT
    return SENT


# --- the reminder schedule -------------------------------------------------------------------


def manager_window(user: User, default_zone: str) -> Window:
    """The manager's working days and hours: reminders about invoices come at their start."""
    return Window(
        zone=user.timezone or default_zone,
        start_min=user.work_start_min,
        end_min=user.work_end_min,
        work_days=user.work_days,
        country=holiday_country(user, default_zone),
    )


def _work_start(day: date, window: Window) -> datetime:
    """The start of the working day on `day`, in UTC (a start in a DST gap moves forward)."""
    clock = time(window.start_min // 60, window.start_min % 60)
    return datetime.combine(day, clock, tzinfo=window.tz).astimezone(UTC)


def _working_day_on_or_before(day: date, window: Window) -> date:
    """`day` if it is worked, else the last working day before it."""
    for back in range(366):
        candidate = day - timedelta(days=back)
        if window.works_on(candidate):
            return candidate
    return day  # a calendar with no working days: the day itself


def _working_days_before(day: date, count: int, window: Window) -> date:
    """The working day `count` working days before `day`."""
    found = 0
    candidate = day
    for _ in range(366 + count):
        candidate -= timedelta(days=1)
        if window.works_on(candidate):
            found += 1
            if found == count:
                return candidate
    return day - timedelta(days=count)


def step_day_offset(step: int) -> int:
    """Days after the due day of an overdue step (2 and on): 1, 3, 7, 14, 28, 42, …"""
    index = step - FIRST_CHASER
    if index < len(CHASER_DAYS):
        return CHASER_DAYS[index]
    return CHASER_DAYS[-1] + REPEAT_DAYS * (index - len(CHASER_DAYS) + 1)


def step_at(due_at: datetime, step: int, window: Window) -> datetime:
    """When reminder step `step` of an invoice due at `due_at` comes (aware UTC).

    Every step comes at the start of the manager's working day; the overdue ones move to the
    next working day, and the due-day one to the last working day before a day off (so a due
    date on a Saturday is mentioned on Friday, not after it).
    """
    due_day = due_at.astimezone(window.tz).date()
    if step == 0:
        day = _working_days_before(due_day, BEFORE_WORKING_DAYS, window)
    elif step == 1:
        day = _working_day_on_or_before(due_day, window)
    else:
        day = due_day + timedelta(days=step_day_offset(step))
        if not window.works_on(day):
            day = window.next_working_day(day)
    return _work_start(day, window)


def next_step(
    due_at: datetime, window: Window, after: datetime, first: int = 0
) -> tuple[int, datetime]:
    """The first step from `first` on that comes strictly after `after`: steps already past
    are skipped, and two steps that land on one moment (Friday +1 and +3 are both Monday)
    make one reminder."""
    for step in range(first, first + _MAX_STEPS):
        at = step_at(due_at, step, window)
        if at > after:
            return step, at
    raise ValueError("no reminder step ahead")  # pragma: no cover - the cadence never ends


def _stamp(at: datetime) -> int:
    """A due date as a number a reminder's payload keeps (to tell a stale reminder)."""
    return int(at.timestamp())


async def _stop(repos: Repos, invoice_id: int) -> list[int]:
    """Cancel the invoice's pending reminder and drop the messages of its reminders still
    held back (quiet hours); the ids of the earlier, fired reminders it knew of."""
    pending = await repos.reminders.pending_for_ref(KINDS, invoice_id)
    held: list[int] = []
    for reminder in pending:
        ids = reminder.payload_dict().get("held", [])
        held += [i for i in ids if isinstance(i, int)]
    cancelled = await repos.reminders.cancel_for_ref(KINDS, invoice_id)
    await repos.outbox.cancel_for_reminders(cancelled + held)
    return held


async def _arm(
    repos: Repos,
    invoice: Invoice,
    window: Window,
    now: datetime,
    *,
    after: datetime,
    first: int = 0,
    held: list[int] | None = None,
) -> datetime | None:
    """Give the invoice its one pending reminder: the next step after `after`."""
    if invoice.due_at is None or invoice.state != OPEN:
        return None
    step, at = next_step(invoice.due_at, window, after, first)
    await repos.reminders.add(
        invoice.workspace_id,
        INVOICE_KIND,
        at,
        now=now,
        client_id=invoice.client_id,
        user_id=invoice.user_id,
        ref_id=invoice.id,
        payload={
            "inv": invoice.id,
            "step": step,
            "due": _stamp(invoice.due_at),
            "held": (held or [])[:HELD_KEEP],
        },
    )
    return at


async def next_reminder(repos: Repos, invoice_id: int) -> datetime | None:
    """When the invoice's next reminder comes, if one is pending."""
    pending = await repos.reminders.pending_for_ref(KINDS, invoice_id)
    return pending[0].due_at if pending else None


# --- creating and moving ---------------------------------------------------------------------


def clean_number(number: str | None) -> str | None:
    """An invoice number as stored: without its "#" or "№", None when empty."""
    if number is None:
        return None
    cleaned = number.strip().lstrip("#№").strip()
    if len(cleaned) > MAX_NUMBER:
        raise InvoiceError("number_long")
    return cleaned or None


# The sign ¥ is written for both yuan and yen; the parser reads it as yuan (CNY), so against
# an invoice in the other one it still means that invoice's own currency.
YEN_SIGN_CURRENCIES = frozenset({"CNY", "JPY"})


def same_currency(typed: str, invoice_currency: str) -> bool:
    """Whether a typed currency names the invoice's own."""
    return typed == invoice_currency or {typed, invoice_currency} == YEN_SIGN_CURRENCIES


def _check_units(amount: Decimal, currency: str) -> None:
    """Refuse a fraction the currency has no coin for (¥0.50): it would show rounded."""
    if amount != amount.quantize(Decimal(1).scaleb(-currency_digits(currency))):
        raise InvoiceError("precision")


def _check_due(due_at: datetime, now: datetime) -> None:
    """Refuse a due date absurdly far ahead (a typo like 31.12.2099)."""
    if due_at - now > MAX_AHEAD:
        raise InvoiceError("far")


@dataclass(frozen=True)
class Created:
    """A new invoice and when its first reminder comes (None without a due date)."""

    invoice: Invoice
    next_at: datetime | None


async def number_taken(repos: Repos, workspace_id: int, number: str) -> Invoice | None:
    """The team's open invoice with this number, if there is one."""
    for invoice in await repos.invoices.by_number([workspace_id], number):
        if invoice.state == OPEN:
            return invoice
    return None


async def create_invoice(
    repos: Repos,
    client: Client,
    user: User,
    money: Money,
    *,
    team_currency: str,
    number: str | None,
    due_at: datetime | None,
    note: str,
    now: datetime,
    default_zone: str,
    draft: bool = False,
) -> Created:
    """Store an invoice to the client, sent now (or a draft, not sent yet), and arm its first
    reminder."""
    if money.amount <= 0:
        raise InvoiceError("zero")
    currency = money.currency or team_currency
    _check_units(money.amount, currency)
    number = clean_number(number)
    if number is not None and await number_taken(repos, client.workspace_id, number):
        raise InvoiceError("number_taken")
    if due_at is not None:
        _check_due(due_at, now)
    invoice = await repos.invoices.add(
        workspace_id=client.workspace_id,
        client_id=client.id,
        user_id=user.id,
        amount=money.amount,
        currency=currency,
        number=number,
        due_at=due_at.astimezone(UTC) if due_at is not None else None,
        note=note,
        now=now,
        sent=not draft,
    )
    window = manager_window(user, default_zone)
    return Created(invoice, await _arm(repos, invoice, window, now, after=now))


async def move_due(
    repos: Repos, invoice: Invoice, due_at: datetime, user: User, now: datetime, default_zone: str
) -> Created:
    """A new due date ("they will pay on the 10th"): the reminders start over from it."""
    if invoice.state != OPEN:
        raise InvoiceError("closed")
    if due_at <= now:
        raise InvoiceError("past")
    _check_due(due_at, now)
    await _stop(repos, invoice.id)
    moved = await repos.invoices.update(invoice.id, due_at=due_at.astimezone(UTC))
    manager = await repos.users.get(moved.user_id) or user
    window = manager_window(manager, default_zone)
    return Created(moved, await _arm(repos, moved, window, now, after=now))


# --- payments --------------------------------------------------------------------------------


def payment_amount(invoice: Invoice, money: Money | None) -> Decimal:
    """What a payment of `money` (None: the whole rest) against the invoice amounts to."""
    if invoice.state != OPEN:
        raise InvoiceError("closed")
    if money is None:
        return invoice.left
    if money.currency is not None and not same_currency(money.currency, invoice.currency):
        raise InvoiceError("currency")
    if money.amount <= 0:
        raise InvoiceError("zero")
    _check_units(money.amount, invoice.currency)
    return money.amount


def overpaid(invoice: Invoice, amount: Decimal) -> Decimal:
    """How much more than what is left this payment would be (0 when it is not)."""
    return max(amount - invoice.left, Decimal(0))


@dataclass(frozen=True)
class Paid:
    """A recorded payment: the invoice after it, the amount, and whether it is settled now."""

    invoice: Invoice
    amount: Decimal
    covered: bool
    over: Decimal = field(default=Decimal(0))


async def record_payment(
    repos: Repos, invoice: Invoice, amount: Decimal, user_id: int, now: datetime
) -> Paid:
    """Record money received; a payment that covers the invoice stops its reminders."""
    if invoice.state != OPEN:
        raise InvoiceError("closed")
    if amount <= 0:
        raise InvoiceError("zero")
    over = overpaid(invoice, amount)
    after = await repos.invoices.add_payment(invoice, amount, user_id, paid_at=now, now=now)
    covered = after.state == PAID
    if covered:
        await _stop(repos, invoice.id)
    return Paid(after, amount, covered, over)


# --- firing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceDue:
    """A fired invoice reminder: the invoice, its client, whom to tell, which step, and when
    the next reminder comes."""

    invoice: Invoice
    client: Client
    person: User
    step: int
    next_at: datetime | None


async def fire_invoice(
    repos: Repos, reminder: Reminder, now: datetime, default_zone: str
) -> InvoiceDue | None:
    """The invoice behind a due reminder, with its next reminder armed; None when there is
    nothing to say (paid, cancelled, or its due date moved since)."""
    payload = reminder.payload_dict()
    invoice_id, step = payload.get("inv"), payload.get("step")
    if not isinstance(invoice_id, int) or not isinstance(step, int):
        return None
    invoice = await repos.invoices.get(invoice_id)
    if invoice is None or invoice.state != OPEN or invoice.due_at is None:
        return None
    if payload.get("due") != _stamp(invoice.due_at):
        return None  # armed for a due date that has moved since
    client = await repos.clients.get(invoice.client_id)
    person = await repos.users.get(invoice.user_id)
    if client is None or person is None:
        return None
    held = payload.get("held")
    earlier = [i for i in held if isinstance(i, int)] if isinstance(held, list) else []
    window = manager_window(person, default_zone)
    # Steps that fell due while the bot was down are not sent in a burst: the next one is.
    next_at = await _arm(
        repos,
        invoice,
        window,
        now,
        after=max(now, reminder.due_at),
        first=step + 1,
        held=[reminder.id, *earlier],
    )
    return InvoiceDue(invoice, client, person, step, next_at)


# --- receivables -----------------------------------------------------------------------------


def days_overdue(invoice: Invoice, now: datetime, zone: str) -> int:
    """Whole days past the due date in this zone; 0 when not yet due, at least 1 once due."""
    if invoice.due_at is None or now <= invoice.due_at:
        return 0
    tz = ZoneInfo(zone)
    days = (now.astimezone(tz).date() - invoice.due_at.astimezone(tz).date()).days
    return max(days, 1)


def bucket_of(days: int) -> str:
    """The aging bucket of an invoice this many days overdue."""
    if days <= 0:
        return NOT_DUE
    if days <= 7:
        return DAYS_1_7
    if days <= 30:
        return DAYS_8_30
    if days <= 60:
        return DAYS_31_60
    return DAYS_60_PLUS


Totals = dict[str, Decimal]


def _add(totals: Totals, currency: str, amount: Decimal) -> None:
    """Add to a per-currency total."""
    totals[currency] = totals.get(currency, Decimal(0)) + amount


@dataclass
class ClientDebt:
    """What one client owes: their unpaid invoices, totals per currency and per bucket."""

    client_id: int
    invoices: list[Invoice] = field(default_factory=list)
    totals: Totals = field(default_factory=dict)
    buckets: dict[str, Totals] = field(default_factory=dict)
    worst_days: int = 0


@dataclass
class Debts:
    """Receivables: per client (most overdue first), per bucket and in total, per currency."""

    clients: list[ClientDebt]
    totals: Totals
    buckets: dict[str, Totals]
    count: int

    @property
    def empty(self) -> bool:
        """Nobody owes anything."""
        return not self.clients


def aging(invoices: list[Invoice], now: datetime, zone: str) -> Debts:
    """Receivables of these invoices, bucketed by days past due in the reader's zone."""
    per_client: dict[int, ClientDebt] = {}
    totals: Totals = {}
    buckets: dict[str, Totals] = defaultdict(dict)
    count = 0
    for invoice in invoices:
        left = invoice.left
        if invoice.state != OPEN or left <= 0:
            continue
        count += 1
        days = days_overdue(invoice, now, zone)
        bucket = bucket_of(days)
        debt = per_client.setdefault(invoice.client_id, ClientDebt(invoice.client_id))
        debt.invoices.append(invoice)
        _add(debt.totals, invoice.currency, left)
        _add(debt.buckets.setdefault(bucket, {}), invoice.currency, left)
        debt.worst_days = max(debt.worst_days, days)
        _add(totals, invoice.currency, left)
        _add(buckets[bucket], invoice.currency, left)
    ordered = sorted(
        per_client.values(), key=lambda d: (-d.worst_days, -len(d.invoices), d.client_id)
    )
    return Debts(ordered, totals, dict(buckets), count)


async def debts_of(repos: Repos, user: User, now: datetime, default_zone: str) -> Debts:
    """The receivables of every team the user is in, aged in their zone."""
    teams = [w.id for w, _role in await repos.workspaces.of_user(user.id)]
    invoices = await repos.invoices.open_in(teams) if teams else []
    return aging(invoices, now, user.timezone or default_zone)


# --- the team's currency ---------------------------------------------------------------------


def read_currency(text: str) -> str:
    """An ISO currency code from a code, a symbol or a word (`usd`, `$`, `руб`)."""
    word = text.strip()
    if not word or len(word) > 20:
        raise InvoiceError("bad_currency")
    if word.upper() in list_currencies():
        return word.upper()
    try:
        money, rest = read_money("1 " + word)
    except MoneyError as exc:
        raise InvoiceError("bad_currency") from exc
    if money.currency is None or rest.strip():
        raise InvoiceError("bad_currency")
    return money.currency


async def set_team_currency(repos: Repos, workspace: Workspace, text: str) -> str:
    """Set the currency the team's invoices are in when their command names none."""
    code = read_currency(text)
    await repos.workspaces.set_currency(workspace.id, code)
    return code


def currency_digits(currency: str) -> int:
    """How many decimals the currency has (2 for RUB, 0 for JPY)."""
    return int(get_currency_precision(currency))
