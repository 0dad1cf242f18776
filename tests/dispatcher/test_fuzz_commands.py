"""Arbitrary text after every quick command: always one answer, and a refused command stores
nothing (hypothesis draws the text; the real dispatcher and database take it)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.storage.models import InvoiceRow, PaymentRow, TaskRow, TouchRow
from tests.conftest import Harness
from tests.dispatcher.test_followups import setup

TABLES = (TaskRow, InvoiceRow, PaymentRow, TouchRow)
# Bits of real commands, so the draws reach deep into the parsers, not only their first check.
TOKENS = st.sampled_from(
    [
        "Acme",
        "acme",
        "Ромашка",
        "@olga",
        "@x",
        "!",
        "!!",
        "#45",
        "№7",
        "#",
        "120",
        "000",
        "120 000",
        "1,5к",
        "12k",
        "тыс",
        "млн",
        "₽",
        "$",
        "€",
        "USD",
        "руб.",
        "-5",
        "0",
        "99999999999999",
        "1.2345",
        "до",
        "due",
        "5.12",
        "31.02",
        "завтра",
        "пт",
        "18:00",
        "25:61",
        "вчера",
        "через",
        "2",
        "часа",
        "next:",
        "дальше:",
        "20м",
        "1:30",
        "мин",
        "срочно",
        "отчёт",
        "<b>",
        "&amp;",
        "\u00a0",
        "\u202f",
        "\n",
        "🔥",
        "   ",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=80),
    st.lists(TOKENS, max_size=3).map(" ".join),  # short lines reach the early refusals
    st.lists(TOKENS, max_size=10).map(" ".join),
)
COMMANDS = st.sampled_from(["/task", "/task Acme", "/call Acme", "/invoice Acme", "/paid"])
# Every refusal of these commands shows the command's example; no confirmation does.
REFUSED = ("Пример:", "Example:")


async def counts(h: Harness) -> dict[str, int]:
    """Rows in the tables a quick command writes."""
    async with h.app.db.session() as s:
        return {
            t.__tablename__: await s.scalar(select(func.count()).select_from(t)) for t in TABLES
        }


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(command=COMMANDS, text=TEXTS)
@example(command="/task", text="!")  # urgent, but nothing to do
@example(command="/task", text="завтра 18:00")
@example(command="/task Acme", text="31.02 отчёт")
@example(command="/invoice Acme", text="0 ₽")
@example(command="/invoice Acme", text="100 до 31.02")
@example(command="/paid", text="#45 -5")
@example(command="/call Acme", text="next: 31.02")
async def test_any_text_gets_an_answer_and_a_refusal_stores_nothing(
    harness: Harness, command: str, text: str
) -> None:
    if not await counts(harness) or not _ready.get(id(harness)):
        await setup(harness, "Acme")
        _ready[id(harness)] = True
    await harness.send("/cancel")  # an earlier draw's open question must not take this text
    before = await counts(harness)
    sent: list[Any] = await harness.send(f"{command} {text}".strip())
    assert sent, f"no answer to {command} {text!r}"
    replies = " ".join(getattr(m, "text", "") or "" for m in sent)
    after = await counts(harness)
    if any(mark in replies for mark in REFUSED):
        assert after == before, f"{command} {text!r} was refused but stored something"
    # One command writes at most one row of each kind.
    assert all(0 <= after[k] - before[k] <= 1 for k in before), (command, text)


_ready: dict[int, bool] = {}
