"""/invoice, /paid, /debts and /currency, the buttons on invoices and their reminders, and the
typed answers to "how much?" and "by when?"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.handlers.common import (
    Asker,
    answer,
    ask_context,
    awaited,
    continues,
    managed_workspace,
    named_client,
    pressed_client,
    team_name,
    workspace_of,
)
from bot.parsing.invoices import read_invoice, read_paid
from bot.parsing.money import NO_AMOUNT, Money, MoneyError, find_money
from bot.services.clients import name_in_text, new_client_name
from bot.services.followups import read_deadline
from bot.services.invoices import (
    MAX_NUMBER,
    InvoiceError,
    clean_number,
    create_invoice,
    debts_of,
    move_due,
    number_taken,
    overpaid,
    payment_amount,
    record_payment,
    set_team_currency,
)
from bot.settings import Settings
from bot.storage.records import Client, Invoice, User
from bot.storage.repositories import Repos
from bot.storage.repositories.drafts import OPEN as ASKED
from bot.storage.repositories.invoices import OPEN
from bot.telegram.outbox import Replies
from bot.views.common import id_arg, question_closed
from bot.views.followups import date_example
from bot.views.invoices import (
    InvCb,
    already_paid,
    ask_move,
    ask_part,
    client_invoices,
    created_text,
    currency_set,
    currency_text,
    debts_text,
    due_problem,
    error_text,
    invoice_example,
    invoice_keyboard,
    money_problem,
    moved_text,
    no_client,
    no_open_invoices,
    not_in_team,
    not_recorded,
    over_keyboard,
    over_question,
    paid_example,
    paid_text,
    pick_client_question,
    pick_keyboard,
    pick_number_question,
    unknown_number,
)

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")

PICK_KIND = "invpick"
OVER_KIND = "invover"
ASK_PART = "invpart"
ASK_MOVE = "invmove"
_LONG_NUMBER = re.compile(rf"(?<!\w)[#№]\s?[^\W_]\S{{{MAX_NUMBER},}}")


def _zone(asker: Asker) -> str:
    """The asker's zone: dates are shown and read in it."""
    return asker.user.timezone or asker.settings.default_timezone


async def _team_ids(asker: Asker) -> list[int]:
    """Every team the asker is in: names and numbers are looked up in all of them."""
    return [w.id for w, _role in await asker.repos.workspaces.of_user(asker.user.id)]


# --- /invoice --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _InvoiceInput:
    """What an /invoice line says after the client's name, checked."""

    money: Money
    number: str | None
    due_at: datetime | None
    note: str
    draft: bool = False


# A word in the line that says the invoice is made but not sent to the client yet.
_DRAFT = re.compile(r"(?<!\w)(?:черновик|draft)(?!\w)", re.IGNORECASE)


def _read_invoice_input(asker: Asker, text: str) -> _InvoiceInput | str:
    """The amount, number, due date and note of an /invoice line, or what is wrong with it."""
    try:
        parsed = read_invoice(text)
        number = clean_number(parsed.number)
    except MoneyError as exc:
        return money_problem(exc) + "\n" + invoice_example()
    except InvoiceError as exc:
        return error_text(exc) + "\n" + invoice_example()
    if number is None and _LONG_NUMBER.search(text):
        # "#" and more than 32 characters: a number too long to keep, not a comment.
        return error_text(InvoiceError("number_long")) + "\n" + invoice_example()
    due_at, note = None, parsed.rest
    if parsed.due_text:
        found = read_deadline(
            parsed.due_text, asker.user, asker.clock.now(), asker.settings.default_timezone
        )
        if found.error is not None or found.at is None:
            return due_problem(parsed.due_text, found) + "\n" + invoice_example()
        due_at = found.at
        note = " ".join(filter(None, [found.rest, note]))
    draft = bool(_DRAFT.search(note))
    note = " ".join(_DRAFT.sub(" ", note).split())
    return _InvoiceInput(parsed.money, number, due_at, note, draft)


@router.message(Command("invoice", ignore_case=True))
async def cmd_invoice(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """`/invoice <client> <amount> [currency] [due <when>] [#number]`."""
    asker = await ask_context(message.chat.id, user, repos, replies, settings, clock, lang, message)
    if asker is None:
        return
    text = (command.args or "").strip()
    if not text:
        await replies.send(
            message.chat.id,
            _("Whom is the invoice to, and for how much?") + "\n" + invoice_example(),
        )
        return
    # A wrong amount or date is refused before a client is asked about or created: a command
    # that fails leaves nothing behind, not even a question.
    named = await name_in_text(repos, await _team_ids(asker), text)
    rest = named.rest if named.clients else text[len(new_client_name(text)) :].strip()
    checked = _read_invoice_input(asker, rest)
    if isinstance(checked, str):
        await replies.send(message.chat.id, checked)
        return
    if not named.clients and checked.number is not None:
        # A new client would join the current team: its numbers must be free there.
        taken = await number_taken(repos, asker.workspace.id, checked.number)
        if taken is not None:
            await _number_taken(asker, taken)
            return
    found = await named_client(asker, text, command="invoice")
    if found is not None:
        await invoice_for(asker, *found)


async def _number_taken(asker: Asker, taken: Invoice) -> None:
    """Say which open invoice already has this number."""
    owner = await asker.repos.clients.get(taken.client_id)
    await asker.replies.send(
        asker.chat_id,
        error_text(InvoiceError("number_taken"), taken, owner.name if owner else "—"),
    )


@continues("invoice")
async def invoice_for(asker: Asker, client: Client, rest: str) -> None:
    """/invoice once its client is known: store it, arm its reminders, confirm."""
    checked = _read_invoice_input(asker, rest)
    if isinstance(checked, str):
        await asker.replies.send(asker.chat_id, checked)
        return
    repos = asker.repos
    team = await repos.workspaces.get(client.workspace_id)
    try:
        created = await create_invoice(
            repos,
            client,
            asker.user,
            checked.money,
            team_currency=team.currency if team is not None else "RUB",
            number=checked.number,
            due_at=checked.due_at,
            note=checked.note,
            now=asker.clock.now(),
            default_zone=asker.settings.default_timezone,
            draft=checked.draft,
        )
    except InvoiceError as exc:
        if exc.code == "number_taken" and checked.number is not None:
            taken = await number_taken(repos, client.workspace_id, checked.number)
            if taken is not None:
                await _number_taken(asker, taken)
                return
        # "precision" names the currency the amount is in: the typed one or the team's.
        currency = checked.money.currency or (team.currency if team is not None else "RUB")
        await asker.replies.send(
            asker.chat_id, error_text(exc, name=currency) + "\n" + invoice_example()
        )
        return
    await asker.replies.send(
        asker.chat_id,
        created_text(created, client, _zone(asker), asker.lang, asker.clock.now()),
        reply_markup=invoice_keyboard(created.invoice, single=True),
    )


# --- /paid -----------------------------------------------------------------------------------


def _amount_in(text: str) -> Money | None:
    """The amount a /paid line names after its client or number (None: all that is owed);
    MoneyError for a wrong one."""
    if not text.strip():
        return None
    found, _rest = find_money(text)
    return found


@router.message(Command("paid", ignore_case=True))
async def cmd_paid(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """`/paid #45`, `/paid #45 50 000`, `/paid Acme`, `/paid Acme 50к`."""
    asker = await ask_context(message.chat.id, user, repos, replies, settings, clock, lang, message)
    if asker is None:
        return
    text = (command.args or "").strip()
    if not text:
        await replies.send(message.chat.id, _("Which invoice was paid?") + "\n" + paid_example())
        return
    paid = read_paid(text)
    if paid.number is not None:
        try:
            money = paid.money or _amount_in(paid.rest)
        except MoneyError as exc:
            await replies.send(message.chat.id, money_problem(exc) + "\n" + paid_example())
            return
        await _paid_by_number(asker, paid.number, money)
        return
    named = await name_in_text(repos, await _team_ids(asker), text)
    if not named.clients:
        # Offering to create a client here would be a guess: a new client owes nothing.
        await replies.send(message.chat.id, no_client(new_client_name(text)))
        return
    try:
        _amount_in(named.rest)
    except MoneyError as exc:
        await replies.send(message.chat.id, money_problem(exc) + "\n" + paid_example())
        return
    found = await named_client(asker, text, command="paid")
    if found is not None:
        await paid_for(asker, *found)


@continues("paid")
async def paid_for(asker: Asker, client: Client, rest: str) -> None:
    """/paid once its client is known: their one unpaid invoice, or which one?"""
    try:
        money = _amount_in(rest)
    except MoneyError as exc:
        await asker.replies.send(asker.chat_id, money_problem(exc) + "\n" + paid_example())
        return
    unpaid = await asker.repos.invoices.open_for_client(client.id)
    if not unpaid:
        await asker.replies.send(asker.chat_id, no_open_invoices(client))
        return
    if len(unpaid) > 1:
        await _ask_which(asker, unpaid, {client.id: client}, money, pick_client_question(client))
        return
    await settle(asker, unpaid[0], client, money)


async def _paid_by_number(asker: Asker, number: str, money: Money | None) -> None:
    """/paid #45: that invoice; the same number open in two teams, or none, asks which."""
    repos = asker.repos
    teams = await _team_ids(asker)
    cleaned = number.lstrip("#№").strip()
    found = await repos.invoices.by_number(teams, cleaned)
    unpaid = [i for i in found if i.state == OPEN]
    if len(unpaid) == 1:
        client = await repos.clients.get(unpaid[0].client_id)
        if client is not None:
            await settle(asker, unpaid[0], client, money)
        return
    if unpaid:
        clients = {c.id: c for c in await repos.clients.many([i.client_id for i in unpaid])}
        await _ask_which(asker, unpaid, clients, money, pick_number_question(cleaned))
        return
    if found:
        client = await repos.clients.get(found[0].client_id)
        if client is not None:
            await asker.replies.send(asker.chat_id, already_paid(found[0], client, _zone(asker)))
        return
    candidates = await repos.invoices.open_in(teams)
    if not candidates:
        await asker.replies.send(asker.chat_id, unknown_number(cleaned, any_open=False))
        return
    clients = {c.id: c for c in await repos.clients.many([i.client_id for i in candidates])}
    await _ask_which(asker, candidates, clients, money, unknown_number(cleaned, any_open=True))


async def _ask_which(
    asker: Asker,
    candidates: list[Invoice],
    clients: dict[int, Client],
    money: Money | None,
    question: str,
) -> None:
    """Several invoices could be meant: ask, with one button each, instead of guessing."""
    shown = candidates[:10]
    draft = await asker.repos.drafts.add(
        asker.user.id,
        PICK_KIND,
        {
            "ids": [i.id for i in shown],
            "amount": str(money.amount) if money else None,
            "cur": money.currency if money else None,
        },
        asker.clock.now(),
    )
    await asker.replies.send(
        asker.chat_id,
        question,
        reply_markup=pick_keyboard(
            draft.id,
            draft.token,
            shown,
            clients,
            _zone(asker),
            asker.lang,
            with_names=len({i.client_id for i in shown}) > 1,
        ),
    )


async def settle(asker: Asker, invoice: Invoice, client: Client, money: Money | None) -> None:
    """Record a payment against the invoice; more than is owed asks first."""
    zone, now = _zone(asker), asker.clock.now()
    if invoice.state != OPEN:
        await asker.replies.send(asker.chat_id, already_paid(invoice, client, zone))
        return
    try:
        amount = payment_amount(invoice, money)
    except InvoiceError as exc:
        await asker.replies.send(asker.chat_id, error_text(exc, invoice, client.name, zone))
        return
    if overpaid(invoice, amount) > 0:
        draft = await asker.repos.drafts.add(
            asker.user.id, OVER_KIND, {"inv": invoice.id, "amount": str(amount)}, now
        )
        await asker.replies.send(
            asker.chat_id,
            over_question(invoice, client, amount, zone, asker.lang),
            reply_markup=over_keyboard(draft.id, draft.token, invoice, amount, asker.lang),
        )
        return
    await _record(asker, invoice, client, amount)


async def _record(asker: Asker, invoice: Invoice, client: Client, amount: Decimal) -> None:
    """Store the payment and say what it did."""
    paid = await record_payment(asker.repos, invoice, amount, asker.user.id, asker.clock.now())
    await asker.replies.send(asker.chat_id, paid_text(paid, client, _zone(asker), asker.lang))


# --- /debts and /currency --------------------------------------------------------------------


@router.message(Command("debts", ignore_case=True))
async def cmd_debts(
    message: Message,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Receivables of every team the user is in: by client, with aging buckets and totals."""
    asking = await workspace_of(repos, user, replies, message.chat.id)
    if asking is None:
        return
    debts = await debts_of(repos, asking[0], clock.now(), settings.default_timezone)
    clients = await repos.clients.many([d.client_id for d in debts.clients])
    text, markup = debts_text(debts, {c.id: c for c in clients}, lang)
    await replies.send(message.chat.id, text, reply_markup=markup)


@router.message(Command("currency", ignore_case=True))
async def cmd_currency(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
) -> None:
    """`/currency` shows the team's default currency; `/currency USD` (owner or admin) sets it."""
    text = (command.args or "").strip()
    if not text:
        asking = await workspace_of(repos, user, replies, message.chat.id)
        if asking is not None:
            workspace = asking[1]
            name = await team_name(repos, workspace)
            await replies.send(message.chat.id, currency_text(name, workspace.currency))
        return
    workspace = await managed_workspace(repos, user, replies, message.chat.id)
    if workspace is None:
        return
    try:
        code = await set_team_currency(repos, workspace, text)
    except InvoiceError as exc:
        await replies.send(message.chat.id, error_text(exc))
        return
    await replies.send(message.chat.id, currency_set(await team_name(repos, workspace), code))


# --- buttons ---------------------------------------------------------------------------------


async def _pressed_invoice(
    query: CallbackQuery, invoice_id: int, user: User | None, repos: Repos
) -> tuple[Invoice, Client, Message, User] | None:
    """The invoice a button is about, if the presser is in its team (checked every press)."""
    invoice = await repos.invoices.get(invoice_id)
    member = (
        await repos.workspaces.membership(invoice.workspace_id, user.id)
        if invoice is not None and user is not None
        else None
    )
    client = await repos.clients.get(invoice.client_id) if invoice and member else None
    msg = query.message
    if invoice is None or client is None or user is None or not isinstance(msg, Message):
        await answer(query, not_in_team(), show_alert=True)
        return None
    if msg.chat.type != "private":
        await answer(query, not_in_team(), show_alert=True)
        return None  # amounts never reach a group, whatever data a button carries
    return invoice, client, msg, user


async def _asker_of(
    query: CallbackQuery,
    msg: Message,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> Asker | None:
    """The presser as an Asker, answering in the button's chat."""
    asker = await ask_context(msg.chat.id, user, repos, replies, settings, clock, lang)
    if asker is None:
        await answer(query)
    return asker


@router.callback_query(InvCb.filter(F.action.in_({"paid", "part", "move", "sent"})), F.message)
async def on_invoice_button(
    query: CallbackQuery,
    callback_data: InvCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """✅ Paid (all that is left), 💸 Partly paid (how much?), 🗓 Moved to… (by when?)."""
    pressed = await _pressed_invoice(query, callback_data.id, user, repos)
    if pressed is None:
        return
    invoice, client, msg, user = pressed
    asker = await _asker_of(query, msg, user, repos, replies, settings, clock, lang)
    if asker is None:
        return
    zone = _zone(asker)
    if invoice.state != OPEN:
        if callback_data.arg == "1":
            await replies.edit_markup(msg.chat.id, msg.message_id, None)
        await answer(query, already_paid(invoice, client, zone), show_alert=True)
        return
    if callback_data.action == "sent":
        if invoice.sent_at is None:
            invoice = await repos.invoices.update(invoice.id, sent_at=clock.now())
        await replies.edit_markup(
            msg.chat.id, msg.message_id, invoice_keyboard(invoice, single=callback_data.arg == "1")
        )
        await answer(query, _("Marked as sent"))
        return
    if callback_data.action == "paid":
        await _record(asker, invoice, client, invoice.left)
        if callback_data.arg == "1":
            await replies.edit_markup(msg.chat.id, msg.message_id, None)
        await answer(query, _("Payment recorded"))
        return
    if callback_data.action == "part":
        await repos.users.update(user.id, clock.now(), awaiting=f"{ASK_PART}:{invoice.id}")
        await replies.send(msg.chat.id, ask_part(invoice, client, zone, lang))
    else:
        await repos.users.update(user.id, clock.now(), awaiting=f"{ASK_MOVE}:{invoice.id}")
        await replies.send(msg.chat.id, ask_move(invoice, client, zone))
    await answer(query)


@router.callback_query(InvCb.filter(F.action == "cl"), F.message)
async def on_client_button(
    query: CallbackQuery,
    callback_data: InvCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """A client under /debts: their unpaid invoices, each with its buttons."""
    pressed = await pressed_client(query, callback_data.id, user, repos)
    if pressed is None:
        return
    client, msg, user = pressed
    unpaid = await repos.invoices.open_for_client(client.id)
    zone = user.timezone or settings.default_timezone
    text, markup = client_invoices(client, unpaid, zone, lang, clock.now())
    await replies.send(msg.chat.id, text, reply_markup=markup)
    await answer(query)


@router.callback_query(InvCb.filter(F.action == "pick"), F.message)
async def on_pick_button(
    query: CallbackQuery,
    callback_data: InvCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """The answer to "which invoice was paid?": that one, once."""
    msg = query.message
    picked = id_arg(callback_data.arg)
    if user is None or not isinstance(msg, Message) or picked is None:
        await answer(query, question_closed("gone"), show_alert=True)
        return
    taken = await repos.drafts.take(
        callback_data.id, user.id, PICK_KIND, clock.now(), callback_data.t
    )
    if taken.state != ASKED or picked not in taken.payload.get("ids", []):
        await answer(query, question_closed(taken.state), show_alert=True)
        return
    pressed = await _pressed_invoice(query, picked, user, repos)
    if pressed is None:
        return
    invoice, client, msg, user = pressed
    asker = await _asker_of(query, msg, user, repos, replies, settings, clock, lang)
    if asker is None:
        return
    await replies.edit_markup(msg.chat.id, msg.message_id, None)
    await settle(asker, invoice, client, _payload_money(taken.payload))
    await answer(query)


def _payload_money(payload: dict[str, Any]) -> Money | None:
    """The amount a question kept (None: all that is owed)."""
    amount = payload.get("amount")
    if not isinstance(amount, str):
        return None
    try:
        value = Decimal(amount)
    except InvalidOperation:
        return None
    currency = payload.get("cur")
    return Money(value, currency if isinstance(currency, str) else None)


@router.callback_query(InvCb.filter(F.action == "over"), F.message)
async def on_over_button(
    query: CallbackQuery,
    callback_data: InvCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """The answer to "more than is owed: what to record?": all, only the rest, or nothing."""
    msg = query.message
    if (
        user is None
        or not isinstance(msg, Message)
        or callback_data.arg not in ("all", "left", "no")
    ):
        await answer(query, question_closed("gone"), show_alert=True)
        return
    taken = await repos.drafts.take(
        callback_data.id, user.id, OVER_KIND, clock.now(), callback_data.t
    )
    invoice_id = taken.payload.get("inv")
    if taken.state != ASKED or not isinstance(invoice_id, int):
        await answer(query, question_closed(taken.state), show_alert=True)
        return
    pressed = await _pressed_invoice(query, invoice_id, user, repos)
    if pressed is None:
        return
    invoice, client, msg, user = pressed
    asker = await _asker_of(query, msg, user, repos, replies, settings, clock, lang)
    if asker is None:
        return
    await replies.edit_markup(msg.chat.id, msg.message_id, None)
    if callback_data.arg == "no":
        await replies.send(msg.chat.id, not_recorded())
    elif invoice.state != OPEN:
        await replies.send(msg.chat.id, already_paid(invoice, client, _zone(asker)))
    else:
        money = _payload_money(taken.payload)
        amount = money.amount if money and callback_data.arg == "all" else invoice.left
        await _record(asker, invoice, client, amount)
    await answer(query)


# --- typed answers ---------------------------------------------------------------------------


@router.message(awaited(ASK_PART, ASK_MOVE))
async def on_awaited_text(
    message: Message,
    asked: str,
    ref: int,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """A typed amount for 💸 Partly paid, or a typed date for 🗓 Moved to…"""
    assert message.text is not None
    text, now, chat_id = message.text.strip(), clock.now(), message.chat.id
    invoice = await repos.invoices.get(ref)
    member = await repos.workspaces.membership(invoice.workspace_id, user.id) if invoice else None
    client = await repos.clients.get(invoice.client_id) if invoice and member else None
    asker = await ask_context(chat_id, user, repos, replies, settings, clock, lang)
    if invoice is None or client is None or asker is None:
        await repos.users.update(user.id, now, awaiting=None)
        await replies.send(chat_id, not_in_team())
        return
    if invoice.state != OPEN:
        await repos.users.update(user.id, now, awaiting=None)
        await replies.send(chat_id, already_paid(invoice, client, _zone(asker)))
        return
    if asked == ASK_PART:
        try:
            found, _rest = find_money(text)
            if found is None:
                raise MoneyError(NO_AMOUNT)
        except MoneyError as exc:
            # The question stays open for another try.
            await replies.send(
                chat_id, money_problem(exc) + " " + ask_part(invoice, client, _zone(asker), lang)
            )
            return
        await repos.users.update(user.id, now, awaiting=None)
        await settle(asker, invoice, client, found)
        return
    when = read_deadline(text, user, now, settings.default_timezone)
    if when.error is not None or when.at is None:
        await replies.send(chat_id, due_problem(text, when) + " " + date_example())
        return
    try:
        moved = await move_due(repos, invoice, when.at, user, now, settings.default_timezone)
    except InvoiceError as exc:
        await replies.send(chat_id, error_text(exc, invoice, client.name, _zone(asker)))
        return
    await repos.users.update(user.id, now, awaiting=None)
    await replies.send(
        chat_id,
        moved_text(moved, client, _zone(asker), lang, now),
        reply_markup=invoice_keyboard(moved.invoice, single=True),
    )
