"""Latin spellings of Cyrillic names."""

from __future__ import annotations

from bot.parsing.translit import latin_spellings, to_latin


def test_common_spellings() -> None:
    assert to_latin("Петров") == "Petrov"
    assert to_latin("Щукин") == "Shchukin"
    assert to_latin("Юлия Хабарова") == "Yuliya Khabarova"


def test_second_spellings_and_latin_text() -> None:
    assert "iuliia habarova" in latin_spellings("Юлия Хабарова")
    assert latin_spellings("Acme Corp") == []
