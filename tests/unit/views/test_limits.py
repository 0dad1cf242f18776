"""Views stay inside Telegram's limits: shortening, fitting lists, splitting long texts."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from bot.views.limits import MAX_TEXT, chunks, fit, shorten, size


def test_size_counts_utf16_units() -> None:
    """An emoji outside the BMP counts twice, as Telegram counts it."""
    assert size("abc") == 3
    assert size("😀") == 2


def test_shorten_cuts_with_an_ellipsis() -> None:
    assert shorten("короткий", 20) == "короткий"
    cut = shorten("слово " * 100, 50)
    assert len(cut) <= 50 and cut.endswith("…")


def test_fit_shows_what_fits_and_counts_the_rest() -> None:
    items = [f"{i}. " + "x" * 300 for i in range(100)]
    text, shown = fit(["<b>Title</b>"], items, lambda n: f"…and {n} more")
    assert size(text) <= MAX_TEXT
    assert 0 < shown < 100
    assert text.endswith(f"…and {100 - shown} more")


def test_fit_shows_everything_when_it_fits() -> None:
    text, shown = fit(["T"], ["a", "b"], lambda n: "more")
    assert (text, shown) == ("T\na\nb", 2)


@given(st.text(min_size=0, max_size=20_000))
def test_chunks_keep_every_character_within_the_limit(text: str) -> None:
    """Splitting loses nothing but surrounding whitespace and never exceeds the limit."""

    def measure(s: str) -> int:
        return size(html.escape(s))

    parts = chunks(text, 3800, measure)
    assert all(measure(p) <= 3800 for p in parts)
    assert "".join("".join(p.split()) for p in parts) == "".join(text.split())
