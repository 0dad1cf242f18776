"""The /task line after the client's name: assignee, urgency, and the words left for the date."""

from __future__ import annotations

import pytest

from bot.parsing.tasks import TaskText, split_task


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "отчёт по рекламе @olga до пт 18:00 !",
            TaskText("отчёт по рекламе до пт 18:00", "olga", True),
        ),
        ("отчёт по рекламе до пт 18:00", TaskText("отчёт по рекламе до пт 18:00", None, False)),
        ("@olga_k отчёт", TaskText("отчёт", "olga_k", False)),
        ("отчёт @Olga_K", TaskText("отчёт", "Olga_K", False)),
        ("@olga_k, сделай отчёт", TaskText("сделай отчёт", "olga_k", False)),
        ("@olga_k: отчёт", TaskText("отчёт", "olga_k", False)),
        ("сделай, @olga_k, отчёт", TaskText("сделай, отчёт", "olga_k", False)),
        ("отчёт для @olga_k.", TaskText("отчёт для.", "olga_k", False)),
        ("@ivan_p и @olga_k обсудить", TaskText("и @olga_k обсудить", "ivan_p", False)),
        ("send the deck @john_smith by fri", TaskText("send the deck by fri", "john_smith", False)),
        ("@" + "a" * 32 + " отчёт", TaskText("отчёт", "a" * 32, False)),
        # Not mentions: too short or long, a digit or underscore first, Cyrillic, inside a word.
        ("@abc отчёт", TaskText("@abc отчёт", None, False)),
        ("@" + "a" * 33 + " отчёт", TaskText("@" + "a" * 33 + " отчёт", None, False)),
        ("@1olga отчёт", TaskText("@1olga отчёт", None, False)),
        ("@_olga отчёт", TaskText("@_olga отчёт", None, False)),
        ("@оля отчёт", TaskText("@оля отчёт", None, False)),
        ("пишите на olga@mail.ru", TaskText("пишите на olga@mail.ru", None, False)),
        ("a@b.com", TaskText("a@b.com", None, False)),
        ("t.me/@olga_k", TaskText("t.me/@olga_k", None, False)),
        # Urgency.
        ("отчёт !", TaskText("отчёт", None, True)),
        ("отчёт !!", TaskText("отчёт", None, True)),
        ("отчёт !!!", TaskText("отчёт", None, True)),
        ("! отчёт", TaskText("отчёт", None, True)),
        ("отчёт ! завтра", TaskText("отчёт завтра", None, True)),
        ("отчёт ❗", TaskText("отчёт", None, True)),
        ("отчёт ‼️", TaskText("отчёт", None, True)),
        ("срочно отчёт", TaskText("отчёт", None, True)),
        ("Срочно: отчёт", TaskText("отчёт", None, True)),
        ("СРОЧНО! отчёт", TaskText("отчёт", None, True)),
        ("отчёт, срочно", TaskText("отчёт", None, True)),
        ("отчёт — срочно", TaskText("отчёт", None, True)),
        ("сделать отчёт срочно.", TaskText("сделать отчёт", None, True)),
        ("report urgent", TaskText("report", None, True)),
        ("Urgent: report", TaskText("report", None, True)),
        ("report ASAP!", TaskText("report", None, True)),
        ("asap report @john_smith", TaskText("report", "john_smith", True)),
        # Not urgent: a glued "!", a word that only contains the marker.
        ("Привет!", TaskText("Привет!", None, False)),
        ("позвонить клиенту!", TaskText("позвонить клиенту!", None, False)),
        ("несрочно", TaskText("несрочно", None, False)),
        ("отчёт ?!", TaskText("отчёт ?!", None, False)),
        ("@asap_team отчёт", TaskText("отчёт", "asap_team", False)),
        # Whitespace and emptiness.
        ("  отчёт   по \n рекламе  ", TaskText("отчёт по рекламе", None, False)),
        ("", TaskText("", None, False)),
        ("   ", TaskText("", None, False)),
        ("!", TaskText("", None, True)),
        ("@olga_k", TaskText("", "olga_k", False)),
        ("@olga_k срочно !!!", TaskText("", "olga_k", True)),
    ],
)
def test_split_task(text: str, expected: TaskText) -> None:
    assert split_task(text) == expected
