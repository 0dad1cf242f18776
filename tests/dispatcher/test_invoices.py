"""Dispatcher-level tests of /invoice, /paid, /debts, /currency, invoice reminders and their
buttons: the issue's example in both languages, refusals that store nothing, questions instead
of guesses, chasers that stop on payment, and buttons checked against the presser's team."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram.methods import SendMessage
from sqlalchemy import func, select

from bot.storage.models import ClientRow, DraftRow, InvoiceRow, PaymentRow
from bot.storage.records import Invoice
from bot.storage.repositories import Repos
from bot.views.invoices import InvCb
from tests.conftest import Harness
from tests.dispatcher.test_followups import run_until, setup
from tests.dispatcher.test_leads import fire, onboard
from tests.dispatcher.test_limits import data_of
from tests.dispatcher.test_questions import alerts, sends
from tests.dispatcher.test_teams import invite_code

# START is Tue 2026-11-24 10:00 UTC = 13:00 in Moscow; 5.12.2026 is a Saturday.
EN = {"language": "en"}


def plain(text: str) -> str:
    """Non-breaking spaces inside amounts read as spaces."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def texts(sent: list[Any]) -> list[str]:
    """The plain texts of the messages sent."""
    return [plain(m.text) for m in sends(sent)]


def invoice_reminders(sent: list[Any]) -> list[SendMessage]:
    """Invoice reminders among the sent messages: those with invoice buttons (not digests)."""
    return [
        m
        for m in sends(sent)
        if m.reply_markup
        and any(
            (b.callback_data or "").startswith("iv:paid:")
            for row in m.reply_markup.inline_keyboard
            for b in row
        )
    ]


async def invoices(h: Harness) -> list[Invoice]:
    """Every invoice row, oldest first."""
    from bot.storage.records import plain as record

    async with h.app.db.session() as s:
        rows = await s.scalars(select(InvoiceRow).order_by(InvoiceRow.id))
        return [record(Invoice, r) for r in rows]


async def count(h: Harness, model: Any) -> int:
    async with h.app.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def pending_reminders(h: Harness, invoice_id: int) -> list[Any]:
    async with h.app.db.session() as s:
        return await Repos(s).reminders.pending_for_ref(("invoice",), invoice_id)


def cb(action: str, item_id: int, arg: str = "", t: str = "") -> str:
    return InvCb(action=action, id=item_id, arg=arg, t=t).pack()


async def test_the_issues_example_in_russian(harness: Harness) -> None:
    await setup(harness, "Acme")
    [ok] = await harness.send("/invoice Acme 120 000 ₽ до 5.12 #45")
    text = plain(ok.text)
    assert "Счёт #45 для «Acme»: 120 000,00 ₽, оплатить до сб 05.12." in text
    # 3 working days before Saturday 5.12 is Wednesday 2.12, at the start of the working day.
    assert "Следующее напоминание: ср 02.12 10:00." in text
    assert [b.text for b in ok.reply_markup.inline_keyboard[0]] == [
        "✅ Оплачен",
        "💸 Оплачен частично",
        "🗓 Перенесли на…",
    ]
    [inv] = await invoices(harness)
    assert (inv.number, str(inv.amount), inv.currency) == ("45", "120000.00", "RUB")
    assert inv.due_at == datetime(2026, 12, 5, 16, 0, tzinfo=UTC)  # 19:00 in Moscow
    [line] = texts(await harness.send("/debts"))
    assert "«Acme»: <b>120 000,00 ₽</b>" in line and "срок не наступил" in line


async def test_the_issues_example_in_english(harness: Harness) -> None:
    await harness.send("/start", **EN)
    await harness.send("London", **EN)
    await harness.send("/lead Acme", **EN)
    await harness.send("/client Acme status active", **EN)
    [ok] = await harness.send("/invoice Acme 120 000 ₽ due 5.12 #45", **EN)
    text = plain(ok.text)
    assert "Invoice #45 to “Acme”: ₽120,000.00, due Sat 05.12." in text
    assert "Next reminder: Wed 02.12 10:00." in text
    [part] = texts(await harness.send("/paid #45 $100", **EN))
    assert "is in RUB" in part and "“Acme”" in part
    [part] = texts(await harness.send("/paid #45 20k", **EN))
    assert part == "💸 “Acme” paid ₽20,000.00 of invoice #45: ₽100,000.00 of ₽120,000.00 left."
    [debts] = texts(await harness.send("/debts", **EN))
    assert "Total: ₽100,000.00" in debts and "not yet due" in debts


async def test_bad_inputs_get_one_message_with_an_example_and_store_nothing(
    harness: Harness,
) -> None:
    await setup(harness, "Acme")
    clients, drafts = await count(harness, ClientRow), await count(harness, DraftRow)
    for command, why in (
        ("/invoice", "Кому счёт"),
        ("/invoice Acme", "не нашёл сумму"),
        ("/invoice Acme сто рублей", "не нашёл сумму"),
        ("/invoice Acme 0 ₽", "больше нуля"),
        ("/invoice Acme 5 000 000 000 000", "Слишком большая"),
        ("/invoice Acme 1,5555", "двух знаков"),
        ("/invoice Acme $120 руб", "две разные"),
        ("/invoice Acme 100 до 31.02", "не бывает"),
        ("/invoice Acme 100 до 31.12.2099", "слишком далеко"),
        ("/invoice Acme 100 #" + "x" * 40, "32 символов"),
        ("/invoice Новый Клиент 0", "больше нуля"),  # unknown client: no offer to create one
        ("/paid", "Какой счёт"),
        ("/paid Никто", "нет"),
        ("/paid Acme 0", "больше нуля"),
    ):
        sent = sends(await harness.send(command))
        assert len(sent) == 1, (command, [m.text for m in sent])
        assert why.lower() in sent[0].text.lower(), (command, sent[0].text)
        assert "<code>/invoice" in sent[0].text or "<code>/paid" in sent[0].text, command
    assert await invoices(harness) == []
    assert await count(harness, ClientRow) == clients
    assert await count(harness, DraftRow) == drafts


async def test_partial_payment_then_debts_shows_the_rest(harness: Harness) -> None:
    await setup(harness, "Acme", "Ромашка")
    await harness.send("/invoice Acme 120к до 5.12 #45")
    await harness.send("/invoice Ромашка 1 000 USD")
    [part] = texts(await harness.send("/paid Acme 50 000"))
    assert part == (
        "💸 «Acme» оплатил 50 000,00 ₽ по счёту #45: осталось 70 000,00 ₽ из 120 000,00 ₽."
    )
    [debts] = sends(await harness.send("/debts"))
    text = plain(debts.text)
    assert "Всего: 70 000,00 ₽ · 1 000,00 $" in text
    assert "«Acme»: <b>70 000,00 ₽</b>" in text and "«Ромашка»: <b>1 000,00 $</b>" in text
    assert [b.text for row in debts.reply_markup.inline_keyboard for b in row] == [
        "Acme",
        "Ромашка",
    ]
    [listing] = sends(await harness.press(data_of(debts, "Acme")))
    assert "Неоплаченные счета «Acme»" in listing.text
    assert "оплачен частично, осталось 70 000,00 ₽" in plain(listing.text)
    [full] = texts(await harness.press(data_of(listing, "✅ #45")))
    assert "«Acme» оплатил счёт #45 полностью (120 000,00 ₽)" in full
    assert "Acme" not in plain((sends(await harness.send("/debts"))[0]).text)


async def test_ambiguous_paid_asks_which_and_acts_once(harness: Harness) -> None:
    await setup(harness, "Acme")
    await harness.send("/invoice Acme 10 000 #1")
    await harness.send("/invoice Acme 20 000 #2")
    [question] = sends(await harness.send("/paid Acme 5 000"))
    assert "У «Acme» несколько неоплаченных счетов" in question.text
    labels = [b.text for row in question.reply_markup.inline_keyboard for b in row]
    assert len(labels) == 2 and plain(labels[1]).startswith("#2 · 20 000,00 ₽")
    assert await count(harness, PaymentRow) == 0  # asked, not guessed
    button = question.reply_markup.inline_keyboard[1][0].callback_data
    [done] = texts(await harness.press(button))
    assert "оплатил 5 000,00 ₽ по счёту #2" in done
    assert sends(await harness.press(button)) == []  # the old button again: nothing more
    assert "уже ответили" in alerts(harness)[-1]
    assert await count(harness, PaymentRow) == 1


async def test_unknown_number_asks_which_or_explains(harness: Harness) -> None:
    await setup(harness, "Acme")
    [none] = sends(await harness.send("/paid #99"))
    assert "Счёта #99 в ваших командах нет" in none.text and none.reply_markup is None
    await harness.send("/invoice Acme 10 000 #45")
    [question] = sends(await harness.send("/paid #99"))
    assert "Неоплаченного счёта #99" in question.text
    [[choice]] = question.reply_markup.inline_keyboard
    assert "#45" in choice.text and "Acme" not in choice.text  # one client: no names needed
    assert await count(harness, PaymentRow) == 0
    [paid] = texts(await harness.press(choice.callback_data))
    assert "«Acme» оплатил счёт #45 полностью" in paid


async def test_overpayment_asks_and_records_once(harness: Harness) -> None:
    await setup(harness, "Acme")
    await harness.send("/invoice Acme 100 000 #7")
    [question] = sends(await harness.send("/paid #7 150 000"))
    text = plain(question.text)
    assert "150 000,00 ₽ — больше, чем осталось по счёту #7 для «Acme»" in text
    assert await count(harness, PaymentRow) == 0
    everything = data_of(question, "Все 150\xa0000,00\xa0₽ (переплата 50\xa0000,00\xa0₽)")
    [ok] = texts(await harness.press(everything))
    assert "полностью" in ok and "Переплата: 50 000,00 ₽." in ok
    assert sends(await harness.press(everything)) == []
    [inv] = await invoices(harness)
    assert str(inv.paid) == "150000.00" and inv.state == "paid"
    # Answering "nothing" records nothing.
    await harness.send("/invoice Acme 100 #8")
    [question] = sends(await harness.send("/paid #8 200"))
    [nothing] = texts(await harness.press(data_of(question, "❌ Ничего")))
    assert nothing == "Хорошо, ничего не записал."
    assert await count(harness, PaymentRow) == 1


async def test_chaser_fires_the_day_after_due_and_stops_after_paid(harness: Harness) -> None:
    await setup(harness, "Acme")
    await harness.send("/invoice Acme 50 000 до пт #3")  # Friday 27.11, 19:00 Moscow
    # Friday 10:00 Moscow (07:00 UTC): the due-day reminder.
    [due_day] = invoice_reminders(await fire(harness, 69 * 60))
    assert "Сегодня срок оплаты счёта #3 для «Acme»" in due_day.text
    assert "Следующее напоминание: пн 30.11 10:00." in due_day.text
    # Saturday is a day off: +1 comes on Monday 10:00.
    [chaser] = invoice_reminders(await fire(harness, 72 * 60))
    assert "⚠️ Счёт #3 для «Acme» просрочен на 3 дня (срок был пт 27.11)" in plain(chaser.text)
    assert [b.text for b in chaser.reply_markup.inline_keyboard[0]] == [
        "✅ Оплачен",
        "💸 Оплачен частично",
        "🗓 Перенесли на…",
    ]
    await harness.send("/paid Acme")
    [inv] = await invoices(harness)
    assert await pending_reminders(harness, inv.id) == []
    later = await run_until(harness, datetime(2027, 2, 1, 12, 0, tzinfo=UTC))
    assert invoice_reminders(later) == []


async def test_reminder_buttons_partly_moved_and_paid(harness: Harness) -> None:
    await setup(harness, "Acme")
    await harness.send("/invoice Acme 100 000 до пт #5")
    [reminder] = invoice_reminders(await fire(harness, 69 * 60))
    [ask] = sends(await harness.press(data_of(reminder, "💸 Оплачен частично")))
    assert "Сколько «Acme» оплатил по счёту #5?" in plain(ask.text)
    [wrong] = sends(await harness.send("ноль"))
    assert "не нашёл сумму" in wrong.text  # the question stays open
    [part] = texts(await harness.send("30к"))
    assert "осталось 70 000,00 ₽ из 100 000,00 ₽" in part
    [ask] = sends(await harness.press(data_of(reminder, "🗓 Перенесли на…")))
    assert "До какого числа «Acme» оплатит счёт #5?" in ask.text
    [past] = sends(await harness.send("вчера"))
    assert "уже прошло" in past.text
    [moved] = texts(await harness.send("15.12"))
    # Due Tuesday 15.12: the next reminder 3 working days before, Thursday 10.12.
    assert "теперь нужно оплатить до вт 15.12" in moved
    assert "Следующее напоминание: чт 10.12 10:00." in moved
    [inv] = await invoices(harness)
    [pending] = await pending_reminders(harness, inv.id)
    assert pending.due_at == datetime(2026, 12, 10, 7, 0, tzinfo=UTC)
    sent = await harness.press(data_of(reminder, "✅ Оплачен"))
    assert "«Acme» оплатил счёт #5 полностью (100 000,00 ₽)" in texts(sent)[0]
    assert await pending_reminders(harness, inv.id) == []
    # The same button again: nothing is recorded twice.
    assert sends(await harness.press(data_of(reminder, "✅ Оплачен"))) == []
    assert "уже оплачен" in alerts(harness)[-1]
    assert await count(harness, PaymentRow) == 2


async def test_another_teams_invoice_is_refused(harness: Harness) -> None:
    await setup(harness, "Acme")
    await harness.send("/invoice Acme 100 000 до пт #9")
    [question] = sends(await harness.send("/paid #9 200 000"))  # an over-payment question
    await onboard(harness, user_id=2002)
    [inv] = await invoices(harness)
    over = data_of(question, "❌ Ничего")
    for data in (
        cb("paid", inv.id),
        cb("part", inv.id),
        cb("move", inv.id),
        cb("cl", inv.client_id),
        over,
        cb("pick", 1, str(inv.id), "abcdef"),
    ):
        assert sends(await harness.press(data, user_id=2002)) == [], data
        assert alerts(harness)[-1], data
    assert "не из вашей команды" in alerts(harness)[0]
    [stranger_debts] = sends(await harness.send("/debts", user_id=2002))
    assert "«Acme»" not in stranger_debts.text
    [nothing] = sends(await harness.send("/paid #9", user_id=2002))
    assert "Счёта #9 в ваших командах нет" in nothing.text
    assert await count(harness, PaymentRow) == 0
    [still] = await invoices(harness)
    assert still == inv


async def test_a_taken_number_and_the_team_currency(harness: Harness) -> None:
    await setup(harness, "Acme", "Ромашка")
    await harness.send("/invoice Acme 100 #45")
    [taken] = sends(await harness.send("/invoice Ромашка 200 #45"))
    assert "Счёт #45 в этой команде уже открыт («Acme»)" in taken.text
    assert len(await invoices(harness)) == 1
    [shown] = sends(await harness.send("/currency"))
    assert "в RUB" in shown.text
    [bad] = sends(await harness.send("/currency тугрики"))
    assert "Не знаю такой валюты" in bad.text
    [ok] = sends(await harness.send("/currency $"))
    assert "в USD" in ok.text
    [created] = texts(await harness.send("/invoice Ромашка 200"))
    assert "200,00 $" in created
    # A manager who joined the team works with its invoices but does not change its currency.
    await onboard(harness, user_id=2002)
    await harness.send(f"/start {await invite_code(harness, 1001)}", user_id=2002)
    [refused] = sends(await harness.send("/currency EUR", user_id=2002))
    assert "владелец" in refused.text
    [paid] = texts(await harness.send("/paid #45", user_id=2002))
    assert "«Acme» оплатил счёт #45 полностью" in paid


async def test_two_commands_about_one_new_client_make_one_client(harness: Harness) -> None:
    """Two /invoice lines for an unknown client, each answered ➕ New client: one client."""
    from tests.dispatcher.test_limits import data_of

    await onboard(harness)
    [first] = await harness.send("/invoice Globex 1500 $ #7")
    [second] = await harness.send("/invoice Globex 1200")
    await harness.press(data_of(first, "➕ Новый клиент «Globex»"))
    await harness.press(data_of(second, "➕ Новый клиент «Globex»"))
    async with harness.app.db.session() as s:
        clients = [c for c in await Repos(s).clients.in_workspace(1) if c.name == "Globex"]
    assert len(clients) == 1


async def test_a_draft_invoice_is_not_sent_until_marked(harness: Harness) -> None:
    from bot.services.invoices import status
    from tests.dispatcher.test_limits import data_of

    await onboard(harness)
    await harness.send("/lead Acme")
    [made] = await harness.send("/invoice Acme 5000 черновик до 20.12 за дизайн")
    assert "Черновик" in made.text and "за дизайн" in made.text
    async with harness.app.db.session() as s:
        [invoice] = await Repos(s).invoices.open_in([1])
    assert status(invoice, harness.clock.now()) == "draft" and invoice.note == "за дизайн"
    await harness.press(data_of(made, "📤 Отправлен"))
    async with harness.app.db.session() as s:
        [invoice] = await Repos(s).invoices.open_in([1])
    assert status(invoice, harness.clock.now()) == "sent"
