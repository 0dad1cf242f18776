"""Closing pleasantries: thanks, acknowledgements and goodbyes that must not start a reply clock."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing.pleasantries import MAX_LENGTH, is_pleasantry

POSITIVE = [
    "спасибо",
    "Спасибо!",
    "спс",
    "благодарю",
    "ок",
    "ОК",
    "окей",
    "ок, спасибо",
    "хорошо",
    "понял",
    "поняла",
    "Принято.",
    "договорились!",
    "Отлично",
    "супер!!!",
    "до свидания",
    "Хорошего дня!",
    "👍",
    "🙏",
    "👌",
    "❤️",
    "😊",
    "👍🏻👍🏻",
    "спасибооо",
    "ок👍",
    "Большое спасибо!",
    "спасибо большое",
    "ок, до связи",
    "Спасибо, всё понятно)",
    "Спасибо огромное, хорошего вечера! 🙏",
    "Ещё раз спасибо!",
    "принято, спасибо 🤝",
    "thanks",
    "Thanks!",
    "thank you",
    "Thank you very much!",
    "thx",
    "ty",
    "OK",
    "okay",
    "Great",
    "got it",
    "Noted.",
    "cheers",
    "Perfect!",
    "sounds good",
    "bye",
    "Have a nice day!",
    "thanksss",
    "Thanks a lot!",
    "Ok, thanks 👍",
    "That's great, thank you!",
    "Got it, thanks so much :)",
    "okkk",
    "  спасибо  \n",
]

NEGATIVE = [
    None,
    "",
    "   ",
    "спасибо, а когда счёт?",
    "thanks, can you send the invoice?",
    "ок, но нужно поменять логотип",
    "спасибо?",
    "ok?",
    "ок？",
    "Спасибо, пришлите, пожалуйста, акт",
    "когда будет готово",
    "thanks, when is the call",
    "please send the report",
    "ок, жду макет до пятницы",
    "спасибо, созвонимся в 15:00",
    "ok 2",
    "👍 📎",
    "ок 😡",
    "спасибо " * 10,
    "большое",
    "very much",
    "вам",
    "ну",
    "привет",
    "hello",
    "да",
    "yes",
    "спасибо, Ольга",
    "ок, давайте завтра",
    "great, let's do it next week",
    "noted, but the budget changed",
    "thanks for the report, a few comments below",
    "Спасибо! Ещё вопрос по договору",
    "ок @ivan",
    "thanks https://example.com",
]


@pytest.mark.parametrize("text", POSITIVE)
def test_a_pleasantry_is_recognised(text: str) -> None:
    assert is_pleasantry(text)


@pytest.mark.parametrize("text", NEGATIVE)
def test_anything_else_is_not(text: str | None) -> None:
    assert not is_pleasantry(text)


def test_long_message_is_never_a_pleasantry() -> None:
    # Each word on its own is a pleasantry; the length alone refuses them.
    text = ", ".join(["спасибо"] * 20)
    assert len(text) > MAX_LENGTH
    assert not is_pleasantry(text)


_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)
_PIECES = [*POSITIVE, "?", "?!", ",", " ", "когда", "send", "\x00", "\u200d", "🏽", "ё", "́"]
_TEXT = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(_PIECES) | st.text(max_size=3), max_size=12).map(" ".join),
)
_REQUESTS = ["когда", "пришлите", "when", "send", "please", "Когда", "PLEASE"]
_SEPARATORS = [" ", ", ", "! ", " — ", "\n"]


@_SETTINGS
@given(_TEXT)
def test_never_raises(text: str) -> None:
    assert isinstance(is_pleasantry(text), bool)


@_SETTINGS
@given(_TEXT, st.integers(min_value=0, max_value=200))
def test_a_question_mark_is_never_a_pleasantry(text: str, at: int) -> None:
    at = min(at, len(text))
    assert not is_pleasantry(text[:at] + "?" + text[at:])


@_SETTINGS
@given(
    st.sampled_from(POSITIVE),
    st.sampled_from(_REQUESTS),
    st.sampled_from(_SEPARATORS),
    st.booleans(),
)
def test_a_request_word_spoils_a_pleasantry(
    pleasantry: str, request: str, separator: str, before: bool
) -> None:
    text = f"{request}{separator}{pleasantry}" if before else f"{pleasantry}{separator}{request}"
    assert not is_pleasantry(text)


@_SETTINGS
@given(
    st.lists(st.sampled_from(POSITIVE), min_size=1, max_size=3),
    st.sampled_from(_SEPARATORS),
)
def test_pleasantries_combine(parts: list[str], separator: str) -> None:
    text = separator.join(parts)
    # Only the length can refuse a chain of pleasantries.
    assert is_pleasantry(text) == (len(text.strip()) <= MAX_LENGTH)
