"""How invoices look: money in the reader's locale, statuses, reminders, /debts and buttons."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date
from babel.numbers import format_currency

from bot.parsing.dates import IMPOSSIBLE, TOO_FAR, VAGUE, When
from bot.parsing.money import BAD_CURRENCY, PRECISION, TOO_BIG, ZERO, MoneyError
from bot.services.invoices import (
    BUCKETS,
    DAYS_1_7,
    DAYS_8_30,
    DAYS_31_60,
    DAYS_60_PLUS,
    FIRST_CHASER,
    NOT_DUE,
    OVERDUE,
    PAID,
    PARTLY_PAID,
    Created,
    Debts,
    InvoiceDue,
    InvoiceError,
    Paid,
    Totals,
    days_overdue,
    status,
)
from bot.storage.records import Client, Invoice, Payment
from bot.views.common import Id, esc, grid, local_time, quoted
from bot.views.followups import date_example, moment
from bot.views.limits import LONG_TEXT, MAX_BUTTONS, MAX_CHOICES, NAME, fit, shorten

# Symbols Babel's English data lacks (it writes "RUB120,000.00"): CLDR's narrow ones.
NARROW_SYMBOLS = {
    "RUB": "₽",
    "KZT": "₸",
    "UAH": "₴",
    "BYN": "Br",
    "GEL": "₾",
    "AMD": "֏",
    "AZN": "₼",
    "TRY": "₺",
    "ILS": "₪",
    "KRW": "₩",
    "THB": "฿",
    "VND": "₫",
    "NGN": "₦",
    "PHP": "₱",
    "INR": "₹",
}
# Buttons under /debts: one per client shown, a phone screen's worth.
DEBTS_BUTTONS = 30
# Invoices of one client with their three buttons each.
CLIENT_INVOICES = MAX_CHOICES


class InvCb(CallbackData, prefix="iv"):
    """A button about one invoice (or a client, or a question): what to do, and a choice."""

    action: str
    id: Id
    arg: str = ""
    t: str = ""  # the token of the question the button answers


def money(amount: Decimal, currency: str, lang: str) -> str:
    """`120 000,00 ₽` in Russian, `₽120,000.00` in English: the reader's locale, with the
    narrow sign where the locale has only the code."""
    text = format_currency(amount, currency, locale=lang)
    narrow = NARROW_SYMBOLS.get(currency)
    return text.replace(currency, narrow) if narrow else text


def totals_text(totals: Totals, lang: str) -> str:
    """Amounts in several currencies: `120 000,00 ₽ · 1 000,00 $`."""
    return " · ".join(money(totals[c], c, lang) for c in sorted(totals)) or "—"


def day_text(at: datetime, zone: str, lang: str, now: datetime | None = None) -> str:
    """`пт 05.12` / `Fri 05.12` in the zone; with the year when not now's."""
    tz = ZoneInfo(zone)
    other_year = now is not None and at.astimezone(tz).year != now.astimezone(tz).year
    pattern = "EEE dd.MM.yyyy" if other_year else "EEE dd.MM"
    return format_date(at.astimezone(tz), pattern, locale=lang)


def label(invoice: Invoice, zone: str) -> str:
    """`#45`, or `of 24.11` for an invoice without a number."""
    if invoice.number:
        return "#" + esc(invoice.number)
    created = invoice.created_at.astimezone(ZoneInfo(zone)).strftime("%d.%m")
    return _("of {date}").format(date=created)


def short_label(invoice: Invoice, zone: str) -> str:
    """A label for a button: `#45` or `24.11`."""
    if invoice.number:
        return "#" + shorten(invoice.number, 20)
    return invoice.created_at.astimezone(ZoneInfo(zone)).strftime("%d.%m")


def status_text(invoice: Invoice, zone: str, lang: str, now: datetime) -> str:
    """`sent`, `partly paid, 50 000,00 ₽ left`, `overdue by 3 days, … left`, `paid`."""
    state = status(invoice, now)
    left = money(invoice.left, invoice.currency, lang)
    if state == PAID:
        return _("paid in full")
    if state == OVERDUE:
        days = days_overdue(invoice, now, zone)
        return _("overdue by {days}, {left} left").format(
            days=ngettext("{n} day", "{n} days", days).format(n=days), left=left
        )
    if state == PARTLY_PAID:
        return _("partly paid, {left} left").format(left=left)
    if state == "draft":
        return _("not sent yet")
    if state == "cancelled":
        return _("invoice cancelled")
    return _("sent, not paid yet")


def invoice_line(
    invoice: Invoice, client_name: str | None, zone: str, lang: str, now: datetime
) -> str:
    """One invoice in a line (the client card's timeline, lists):
    `🧾 #45 120 000,00 ₽ · due Fri 05.12 · partly paid, 50 000,00 ₽ left`; the client's name
    after the label when given."""
    parts = ["🧾 " + label(invoice, zone)]
    if client_name:
        parts.append(quoted(esc(shorten(client_name, NAME))))
    head = " ".join(parts) + " " + money(invoice.amount, invoice.currency, lang)
    due = (
        _("due {day}").format(day=day_text(invoice.due_at, zone, lang, now))
        if invoice.due_at is not None
        else _("no due date")
    )
    return " · ".join([head, due, status_text(invoice, zone, lang, now)])


def dated_invoice_line(invoice: Invoice, zone: str, lang: str, now: datetime) -> str:
    """An invoice on the client card's timeline, dated when it was issued."""
    return "🧾 {at} {kind}: {line}".format(
        at=local_time(invoice.created_at, zone, now),
        kind=_("invoice"),
        line=invoice_line(invoice, None, zone, lang, now).removeprefix("🧾 "),
    )


def payment_line(payment: Payment, invoice: Invoice, zone: str, lang: str, now: datetime) -> str:
    """A payment on the client card's timeline."""
    return "💰 {at} ← {what}".format(
        at=local_time(payment.paid_at, zone, now),
        what=_("payment {amount} for {invoice}").format(
            amount=money(payment.amount, invoice.currency, lang), invoice=label(invoice, zone)
        ),
    )


def invoice_keyboard(invoice: Invoice, *, single: bool = False) -> InlineKeyboardMarkup:
    """✅ Paid · 💸 Partly paid · 🗓 Moved to… (`single`: the message is about this invoice
    alone, so its buttons go once it is paid)."""
    arg = "1" if single else ""
    sent = (
        []
        if invoice.sent_at is not None
        else [
            InlineKeyboardButton(
                text=_("📤 Sent"), callback_data=InvCb(action="sent", id=invoice.id, arg=arg).pack()
            )
        ]
    )
    return grid(
        [
            *sent,
            InlineKeyboardButton(
                text=_("✅ Paid"),
                callback_data=InvCb(action="paid", id=invoice.id, arg=arg).pack(),
            ),
            InlineKeyboardButton(
                text=_("💸 Partly paid"),
                callback_data=InvCb(action="part", id=invoice.id, arg=arg).pack(),
            ),
            InlineKeyboardButton(
                text=_("🗓 Moved to…") if invoice.due_at else _("🗓 Due date…"),
                callback_data=InvCb(action="move", id=invoice.id, arg=arg).pack(),
            ),
        ],
        3,
    )


# --- examples and refusals -------------------------------------------------------------------


def invoice_example() -> str:
    """The right form of /invoice."""
    return _(
        "Example: <code>/invoice Acme 120 000 ₽ due 5.12 #45</code> (currency, due date and "
        "number are optional)."
    )


def paid_example() -> str:
    """The right forms of /paid."""
    return _(
        "Examples: <code>/paid #45</code> (paid in full), <code>/paid Acme 50 000</code> "
        "(a part of it)."
    )


def money_problem(exc: MoneyError) -> str:
    """Why a typed amount cannot be used, in one sentence."""
    if exc.code == ZERO:
        return _("The amount must be more than zero.")
    if exc.code == TOO_BIG:
        return _("That amount is too big.")
    if exc.code == BAD_CURRENCY:
        return _("One amount, one currency: I see two different ones.")
    if exc.code == PRECISION:
        return _("At most two digits after the decimal point.")
    return _("I did not find an amount.")


def due_problem(text: str, found: When) -> str:
    """Why a typed due date cannot be used (impossible, vague, too far, none found)."""
    bad = esc(shorten(found.bad or text, NAME))
    if found.error == IMPOSSIBLE:
        return _("“{bad}” is not a real date or time.").format(bad=bad)
    if found.error == VAGUE:
        return _("“{bad}” is too vague: say the hour, e.g. <code>tonight at 23</code>.").format(
            bad=bad
        )
    if found.error == TOO_FAR:
        return _("That is too far ahead: more than five years.")
    return _("I did not find a date in “{text}”.").format(text=esc(shorten(text, NAME)))


def error_text(
    exc: InvoiceError, invoice: Invoice | None = None, name: str = "", zone: str = "UTC"
) -> str:
    """One clear message per kind of refusal."""
    if exc.code == "number_taken" and invoice is not None:
        return _(
            "Invoice #{number} is already open in this team (“{name}”). Use another number, or "
            "record its payment with <code>/paid #{number}</code>."
        ).format(number=esc(invoice.number or ""), name=esc(name))
    if exc.code == "number_long":
        return _("An invoice number is at most 32 characters.")
    if exc.code == "far":
        return _("That is too far ahead: more than five years.") + " " + date_example()
    if exc.code == "past":
        return _("That moment has already passed.") + " " + date_example()
    if exc.code == "currency" and invoice is not None:
        return _("Invoice {invoice} of “{name}” is in {currency}: type the amount in it.").format(
            invoice=label(invoice, zone), name=esc(name), currency=invoice.currency
        )
    if exc.code == "zero":
        return _("The amount must be more than zero.")
    if exc.code == "precision":
        return _("{currency} has no such small units.").format(
            currency=invoice.currency if invoice is not None else name or "—"
        )
    if exc.code == "bad_currency":
        return _(
            "I don't know that currency. Use a code like <code>USD</code> or a sign like ₽, $, €."
        )
    if exc.code == "stale":
        return _("This button is out of date: its question is closed.")
    return _("This invoice is already paid.")


# --- what the commands answer ----------------------------------------------------------------


def created_text(created: Created, client: Client, zone: str, lang: str, now: datetime) -> str:
    """The confirmation of /invoice: to whom, how much, when due, and the first reminder."""
    invoice = created.invoice
    amount = money(invoice.amount, invoice.currency, lang)
    head = {"invoice": label(invoice, zone), "name": esc(client.name), "amount": amount}
    if invoice.due_at is None:
        lines = [
            _("🧾 Invoice {invoice} to “{name}”: {amount}, no due date.").format(**head),
            _("Without a due date I don't remind you about it: 🗓 sets one."),
        ]
    else:
        lines = [
            _("🧾 Invoice {invoice} to “{name}”: {amount}, due {day}.").format(
                day=day_text(invoice.due_at, zone, lang, now), **head
            )
        ]
        if status(invoice, now) == OVERDUE:
            lines.append(_("⚠️ That date has passed: the invoice is overdue already."))
        lines.append(
            _(
                "I will remind you 3 working days before the due date, on it, and after it "
                "until it is paid."
            )
        )
        if created.next_at is not None:
            lines.append(
                _("Next reminder: {when}.").format(when=moment(created.next_at, zone, lang, now))
            )
    if invoice.sent_at is None:
        lines.append(_("📝 A draft: not sent to the client yet. 📤 marks it sent."))
    if invoice.note:
        lines.append(esc(shorten(invoice.note, LONG_TEXT)))
    return "\n".join(lines)


def paid_text(paid: Paid, client: Client, zone: str, lang: str) -> str:
    """What a recorded payment did: settled, or how much is left."""
    invoice = paid.invoice
    fields = {
        "name": esc(client.name),
        "invoice": label(invoice, zone),
        "amount": money(paid.amount, invoice.currency, lang),
        "total": money(invoice.amount, invoice.currency, lang),
        "left": money(invoice.left, invoice.currency, lang),
    }
    if not paid.covered:
        return _("💸 “{name}” paid {amount} of invoice {invoice}: {left} of {total} left.").format(
            **fields
        )
    text = _("✅ “{name}” paid invoice {invoice} in full ({total}). Reminders about it are off.")
    text = text.format(**fields)
    if paid.over > 0:
        text += "\n" + _("Overpaid by {over}.").format(
            over=money(paid.over, invoice.currency, lang)
        )
    return text


def moved_text(created: Created, client: Client, zone: str, lang: str, now: datetime) -> str:
    """A new due date, and when the next reminder comes."""
    invoice = created.invoice
    assert invoice.due_at is not None
    text = _("🗓 Invoice {invoice} of “{name}” is now due {day}.").format(
        invoice=label(invoice, zone),
        name=esc(client.name),
        day=day_text(invoice.due_at, zone, lang, now),
    )
    if created.next_at is not None:
        text += " " + _("Next reminder: {when}.").format(
            when=moment(created.next_at, zone, lang, now)
        )
    return text


def already_paid(invoice: Invoice, client: Client, zone: str) -> str:
    """The invoice a command or a button names is settled already."""
    return _("Invoice {invoice} of “{name}” is already paid.").format(
        invoice=label(invoice, zone), name=esc(client.name)
    )


def ask_part(invoice: Invoice, client: Client, zone: str, lang: str) -> str:
    """How much did the client pay?"""
    return _(
        "💸 How much did “{name}” pay on invoice {invoice}? {left} is left. Type the amount, "
        "e.g. <code>50 000</code>."
    ).format(
        name=esc(client.name),
        invoice=label(invoice, zone),
        left=money(invoice.left, invoice.currency, lang),
    )


def ask_move(invoice: Invoice, client: Client, zone: str) -> str:
    """By when will the client pay?"""
    return (
        _("🗓 By when will “{name}” pay invoice {invoice}?").format(
            name=esc(client.name), invoice=label(invoice, zone)
        )
        + " "
        + date_example()
    )


def over_question(invoice: Invoice, client: Client, amount: Decimal, zone: str, lang: str) -> str:
    """More money than is owed: ask what to record."""
    return _(
        "💰 {amount} is more than is left on invoice {invoice} of “{name}”: {left} of {total}. "
        "What should I record?"
    ).format(
        amount=money(amount, invoice.currency, lang),
        invoice=label(invoice, zone),
        name=esc(client.name),
        left=money(invoice.left, invoice.currency, lang),
        total=money(invoice.amount, invoice.currency, lang),
    )


def over_keyboard(
    draft_id: int, token: str, invoice: Invoice, amount: Decimal, lang: str
) -> InlineKeyboardMarkup:
    """Record all of it (overpaid), only what is left, or nothing."""
    over = amount - invoice.left
    choices = [
        (
            "all",
            _("All {amount} (overpaid by {over})").format(
                amount=money(amount, invoice.currency, lang),
                over=money(over, invoice.currency, lang),
            ),
        ),
        (
            "left",
            _("Only {left}: paid in full").format(left=money(invoice.left, invoice.currency, lang)),
        ),
        ("no", _("❌ Nothing")),
    ]
    return grid(
        [
            InlineKeyboardButton(
                text=text,
                callback_data=InvCb(action="over", id=draft_id, arg=arg, t=token).pack(),
            )
            for arg, text in choices
        ],
        1,
    )


def pick_keyboard(
    draft_id: int,
    token: str,
    invoices: list[Invoice],
    clients: dict[int, Client],
    zone: str,
    lang: str,
    *,
    with_names: bool,
) -> InlineKeyboardMarkup:
    """One button per candidate invoice (at most MAX_CHOICES): label, what is left, due day."""
    buttons = []
    for invoice in invoices[:MAX_CHOICES]:
        parts = [short_label(invoice, zone)]
        if with_names and invoice.client_id in clients:
            parts.append(shorten(clients[invoice.client_id].name, 24))
        parts.append(money(invoice.left, invoice.currency, lang))
        if invoice.due_at is not None:
            parts.append(day_text(invoice.due_at, zone, lang))
        buttons.append(
            InlineKeyboardButton(
                text=shorten(" · ".join(parts), NAME),
                callback_data=InvCb(
                    action="pick", id=draft_id, arg=str(invoice.id), t=token
                ).pack(),
            )
        )
    return grid(buttons, 1)


def pick_client_question(client: Client) -> str:
    """Several unpaid invoices of one client."""
    return _("“{name}” has several unpaid invoices. Which one was paid?").format(
        name=esc(client.name)
    )


def pick_number_question(number: str) -> str:
    """One number, open in several teams."""
    return _("Several unpaid invoices #{number} in your teams. Which one was paid?").format(
        number=esc(number)
    )


def unknown_number(number: str, any_open: bool) -> str:
    """No invoice with this number."""
    if any_open:
        return _("No unpaid invoice #{number} in your teams. Which one was paid?").format(
            number=esc(number)
        )
    return (
        _("No invoice #{number} in your teams, and none is waiting for payment.").format(
            number=esc(number)
        )
        + " "
        + invoice_example()
    )


def no_open_invoices(client: Client) -> str:
    """The client owes nothing."""
    return _("“{name}” has no unpaid invoices. /debts lists who owes what.").format(
        name=esc(client.name)
    )


def no_client(name: str) -> str:
    """/paid names nobody known."""
    return (
        _("No client “{name}” in your teams.").format(name=esc(shorten(name, NAME)))
        + " "
        + paid_example()
    )


def not_recorded() -> str:
    """The over-payment question answered with "nothing"."""
    return _("OK, nothing recorded.")


# --- reminders -------------------------------------------------------------------------------


def reminder_text(due: InvoiceDue, zone: str, lang: str, now: datetime) -> str:
    """A reminder before, on or after the due date, naming the client and what is unpaid."""
    invoice, client = due.invoice, due.client
    assert invoice.due_at is not None
    fields = {
        "invoice": label(invoice, zone),
        "name": esc(client.name),
        "left": money(invoice.left, invoice.currency, lang),
        "day": day_text(invoice.due_at, zone, lang, now),
    }
    tz = ZoneInfo(zone)
    if due.step < FIRST_CHASER and now <= invoice.due_at:
        if now.astimezone(tz).date() == invoice.due_at.astimezone(tz).date():
            text = _("🧾 Invoice {invoice} to “{name}” is due today: {left}.").format(**fields)
        else:
            text = _("🧾 Invoice {invoice} to “{name}” is due {day}: {left}.").format(**fields)
    else:
        days = days_overdue(invoice, now, zone)
        text = _("⚠️ Invoice {invoice} to “{name}” is overdue by {days} (due {day}): {left}.")
        text = text.format(days=ngettext("{n} day", "{n} days", days).format(n=days), **fields)
    if invoice.paid > 0:
        text += "\n" + _("Paid {paid} of {total}.").format(
            paid=money(invoice.paid, invoice.currency, lang),
            total=money(invoice.amount, invoice.currency, lang),
        )
    if due.next_at is not None:
        text += "\n" + _("Next reminder: {when}.").format(when=moment(due.next_at, zone, lang, now))
    return text


# --- /debts ----------------------------------------------------------------------------------


def bucket_name(bucket: str) -> str:
    """An aging bucket in words."""
    return {
        NOT_DUE: _("not yet due"),
        DAYS_1_7: _("1–7 days overdue"),
        DAYS_8_30: _("8–30 days overdue"),
        DAYS_31_60: _("31–60 days overdue"),
        DAYS_60_PLUS: _("over 60 days overdue"),
    }[bucket]


def debts_text(
    debts: Debts, clients: dict[int, Client], lang: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/debts: totals per currency and per aging bucket, then each client, most overdue first,
    with a button per client shown."""
    if debts.empty:
        return _("Nobody owes you anything: no unpaid invoices.") + "\n" + invoice_example(), None
    head = [
        _("💰 <b>Receivables</b> · unpaid invoices: {invoices} · clients: {clients}").format(
            invoices=debts.count, clients=len(debts.clients)
        ),
        _("Total: {amount}").format(amount=totals_text(debts.totals, lang)),
    ]
    head += [
        "• " + bucket_name(b) + ": " + totals_text(debts.buckets[b], lang)
        for b in BUCKETS
        if b in debts.buckets
    ]
    head.append("")
    lines = []
    for debt in debts.clients:
        client = clients.get(debt.client_id)
        name = quoted(esc(shorten(client.name, NAME))) if client else "—"
        parts = [
            bucket_name(b) + " " + totals_text(debt.buckets[b], lang)
            for b in reversed(BUCKETS)
            if b in debt.buckets
        ]
        lines.append(
            "{name}: <b>{total}</b> — {parts}".format(
                name=name, total=totals_text(debt.totals, lang), parts="; ".join(parts)
            )
        )
    text, shown = fit(head, lines, lambda n: _("…and {n} more.").format(n=n))
    buttons = []
    for debt in debts.clients[: min(shown, DEBTS_BUTTONS, MAX_BUTTONS)]:
        client = clients.get(debt.client_id)
        if client is None:
            continue
        buttons.append(
            InlineKeyboardButton(
                text=shorten(client.name, 40),
                callback_data=InvCb(action="cl", id=client.id).pack(),
            )
        )
    return text, grid(buttons, 2) if buttons else None


def client_invoices(
    client: Client, invoices: list[Invoice], zone: str, lang: str, now: datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A client's unpaid invoices, each with ✅ / 💸 / 🗓 buttons."""
    if not invoices:
        return no_open_invoices(client), None
    head = [_("🧾 Unpaid invoices of “{name}”:").format(name=esc(client.name))]
    lines = [invoice_line(i, None, zone, lang, now) for i in invoices[:CLIENT_INVOICES]]
    text, shown = fit(head, lines, lambda n: _("…and {n} more.").format(n=n))
    if len(invoices) > CLIENT_INVOICES and shown == len(lines):
        text += "\n" + _("…and {n} more.").format(n=len(invoices) - CLIENT_INVOICES)
    buttons = []
    for invoice in invoices[:shown]:
        tag = short_label(invoice, zone)
        for action, icon in (("paid", "✅"), ("part", "💸"), ("move", "🗓")):
            buttons.append(
                InlineKeyboardButton(
                    text=f"{icon} {tag}", callback_data=InvCb(action=action, id=invoice.id).pack()
                )
            )
    return text, grid(buttons, 3)


# --- the team's currency ---------------------------------------------------------------------


def currency_text(team: str, code: str) -> str:
    """The team's default currency and how to change it."""
    return _(
        "Invoices of “{team}” are in {code} unless the command names another currency. To "
        "change it: <code>/currency USD</code>."
    ).format(team=esc(team), code=code)


def currency_set(team: str, code: str) -> str:
    """The team's default currency changed."""
    return _("✅ Invoices of “{team}” are now in {code} unless the command names another.").format(
        team=esc(team), code=code
    )


def not_in_team() -> str:
    """A button about an invoice of a team the presser is not in."""
    return _("This invoice is not in your team.")
