"""Nothing a manager typed becomes unreachable: every message stays within Telegram's limits
(the mocked session refuses what Telegram would), and long texts are readable whole."""

from __future__ import annotations

from typing import Any

from tests.conftest import Harness
from tests.dispatcher.test_followups import setup
from tests.dispatcher.test_leads import buttons, lead_ids


def data_of(method: Any, text: str) -> str:
    """The callback data of the button with this text."""
    for row in method.reply_markup.inline_keyboard:
        for button in row:
            if button.text == text:
                return button.callback_data
    raise AssertionError(f"no button {text!r} in {buttons(method)}")


async def read_all(h: Harness, card: Any, button: str) -> str:
    """Press 📜/📝 on the card, then "Раньше ›" until the end; everything shown, joined."""
    pages = await h.press(data_of(card, button))
    texts = [m.text for m in pages]
    for _ in range(100):
        last = pages[-1]
        if not last.reply_markup:
            return "\n".join(texts)
        pages = await h.press(data_of(last, "Раньше ›"))
        texts += [m.text for m in pages]
    raise AssertionError("the log never ends")


async def test_a_long_note_keeps_the_card_and_is_readable_whole(harness: Harness) -> None:
    await setup(harness, "Ольга Смирнова")
    long_note = " ".join(f"пункт{i}" for i in range(600))[:3990]
    await harness.send(f"/client Ольга note {long_note}")
    await harness.send("/client Ольга note второе замечание")
    [card] = await harness.send("/client Ольга")
    assert "второе замечание" in card.text  # the latest note on the card
    assert "пункт599" not in card.text
    whole = await read_all(harness, card, "📝 Заметки")
    assert "второе замечание" in whole
    assert long_note.split()[-1] in whole and long_note.split()[0] in whole


async def test_notes_add_up_and_keep_the_forwarded_brief(harness: Harness) -> None:
    """`/client X note …` adds a dated note; the request the lead came with stays."""
    await setup(harness)
    await harness.send("/lead Ольга, +7 999 123-45-67, нужен сайт под ключ")
    await harness.send("/client Ольга note созвонились, ждёт КП")
    [card] = await harness.send("/client Ольга")
    assert "нужен сайт под ключ" in card.text and "созвонились, ждёт КП" in card.text


async def test_a_long_website_brief_reaches_the_manager(harness: Harness) -> None:
    """A lead whose request is longer than a message: the card is shortened, 📝 shows it."""
    await setup(harness)
    brief = "Бриф: " + "очень подробное описание задачи. " * 200
    [card] = await harness.send(f"/lead Пётр, +7 999 000-11-22, {brief[:3900]}")
    assert len(card.text) < 4096
    [client_id] = await lead_ids(harness)
    sent = await harness.press(f"ld:notes:{client_id}:")
    assert "".join(m.text for m in sent).count("очень подробное описание задачи") >= 100


async def test_lists_with_long_follow_ups_stay_within_limits(harness: Harness) -> None:
    """30 follow-ups of 1,000 characters each: /followups, /week and /today still answer."""
    await setup(harness, "Ромашка")
    what = "подготовить " + "очень длинный текст напоминания " * 30
    for day in range(1, 31):
        [ok] = await harness.send(f"/fu Ромашка через {day} дней {what[:1000]}")
        assert "Ромашка" in ok.text
    for command in ("/followups", "/week", "/today"):
        sent = await harness.send(command)
        assert sent and all(len(m.text) <= 4096 for m in sent), command
    [listing] = await harness.send("/followups")
    assert "ещё" in listing.text


async def test_many_history_entries_keep_the_card(harness: Harness) -> None:
    """60 calls with long summaries: the card shows the latest, 📜 pages through the rest."""
    await setup(harness, "Ромашка")
    for i in range(60):
        await harness.send(f"/call Ромашка разговор номер {i} " + "подробности " * 60)
    [card] = await harness.send("/client Ромашка")
    assert "разговор номер 59" in card.text
    whole = await read_all(harness, card, "📜 История")
    assert whole.index("разговор номер 59 ") < whole.index("разговор номер 0 ")
    assert all(f"разговор номер {i} " in whole for i in range(60))


async def test_a_long_request_and_a_note_are_both_readable(harness: Harness) -> None:
    """A request filling a whole message comes alone; the notes follow on the next page."""
    await setup(harness)
    brief = ("Бриф: " + "очень подробное описание задачи. " * 200)[:3900]
    await harness.send(f"/lead Пётр, +7 999 000-11-22, {brief}")
    [card] = await harness.send("/client Пётр note перезвонить в среду")
    whole = await read_all(harness, card, "📝 Заметки")
    assert "перезвонить в среду" in whole and whole.count("очень подробное описание") >= 100
