"""Edge cases of tasks and invoices: removed members, held reminders, yen, crafted buttons.

START is Tue 2026-11-24 10:00 UTC = 13:00 in Moscow."""

from __future__ import annotations

from datetime import datetime

from bot.storage.repositories import Repos
from tests.conftest import Harness
from tests.dispatcher.test_followups import run_until, setup
from tests.dispatcher.test_invoices import invoices, texts
from tests.dispatcher.test_leads import buttons
from tests.dispatcher.test_limits import data_of
from tests.dispatcher.test_tasks import ANNA, MSK, OLGA, tasks, team_with_olga, to, with_name


async def test_a_yen_fraction_is_refused_as_a_yen_fraction(harness: Harness) -> None:
    """/invoice Acme 100.50 JPY: the refusal reads «Этот счёт уже оплачен», not about yen."""
    await setup(harness, "Acme")
    [reply] = texts(await harness.send("/invoice Acme 100.50 JPY"))
    assert await invoices(harness) == []
    assert "уже оплачен" not in reply, reply
    assert "JPY" in reply or "¥" in reply, reply


async def test_the_yen_sign_pays_a_yen_invoice(harness: Harness) -> None:
    """The bot writes a JPY invoice as «1 200 ¥», but «/paid #7 500 ¥» reads ¥ as CNY."""
    await setup(harness, "Acme")
    [created] = texts(await harness.send("/invoice Acme 1200 JPY #7 до пт"))
    assert "1 200 ¥" in created
    [reply] = texts(await harness.send("/paid #7 500 ¥"))
    assert "осталось 700 ¥" in reply, reply


async def test_a_crafted_progress_arg_is_refused_quietly(harness: Harness) -> None:
    """`'²'.isdigit()` is true and `int('²')` raises: tk:pg:<id>:² escapes the handler."""
    await setup(harness, "Acme")
    await harness.send("/task Acme отчёт завтра 18:00")
    [task] = await tasks(harness)
    await harness.press(f"tk:pg:{task.id}:²:")
    [task] = await tasks(harness)
    assert task.state == "open" and task.progress is None


async def test_tasks_list_buttons_only_for_tasks_it_shows(
    harness: Harness,
) -> None:
    """Ten long tasks: the text fits a few and says «…и ещё N», yet buttons ✅ 1 … ✅ 10."""
    await setup(harness, "Acme")
    for i in range(10):
        await harness.send(f"/task Acme {'длинная задача ' * 60}{i} завтра 18:00")
    [listing] = await harness.send("/tasks")
    numbers = [b.split()[1] for b in buttons(listing) if b.startswith("✅")]
    assert all(f"\n{n}. " in listing.text for n in numbers), (listing.text[-200:], numbers)


async def test_end_of_day_pressed_on_friday_evening_means_monday_evening(harness: Harness) -> None:
    """«Сегодня до конца дня» after hours is meant as the end of the next working day (the
    handler's comment); on a Friday evening it gives Saturday 19:00, a day off."""
    await setup(harness, "Acme")
    harness.clock.set(datetime(2026, 11, 27, 20, 0, tzinfo=MSK))  # Friday 20:00
    [ask] = await harness.send("/task Acme договор")
    await harness.press(data_of(ask, "Сегодня до конца дня"))
    [task] = await tasks(harness)
    assert task.due_at is not None
    assert task.due_at.astimezone(MSK).isoweekday() <= 5, task.due_at.astimezone(MSK)


async def test_a_reminder_held_for_quiet_hours_is_dropped_once_done(
    harness: Harness,
) -> None:
    """A deadline at 23:00 fires into quiet hours and is held until 08:00; the task is done
    at 23:30, yet «Срок вышел» arrives in the morning: retire() only drops messages of
    reminders still pending, never of fired ones held back."""
    await setup(harness, "Acme")
    async with harness.app.db.session() as s:
        await Repos(s).users.update(
            ANNA, harness.clock.now(), quiet_start_min=22 * 60, quiet_end_min=8 * 60
        )
    await harness.send("/task Acme отчёт сегодня в 23:00")
    for hour, minute in ((18, 0), (20, 30), (23, 0)):
        await run_until(harness, datetime(2026, 11, 24, hour, minute, 1, tzinfo=MSK))
    harness.clock.set(datetime(2026, 11, 24, 23, 30, tzinfo=MSK))
    [listing] = await harness.send("/tasks")
    await harness.press(data_of(listing, "✅ 1"))
    [task] = await tasks(harness)
    assert task.state == "done"
    morning = await run_until(harness, datetime(2026, 11, 25, 8, 0, 1, tzinfo=MSK))
    assert not [m for m in morning if "Срок вышел" in m.text], [m.text for m in morning]


async def test_a_removed_author_gets_no_more_of_the_teams_reminders(harness: Harness) -> None:
    """Olga gives Anna a task for Acme, then Anna removes Olga from the team: the 75%
    reminder and the deadline still go to Olga (the author), naming the client."""
    await team_with_olga(harness)
    await harness.send("/tasks", **with_name(harness, ANNA, "anna_k"))
    sent = await harness.send(
        "/task Acme смета @anna_k сегодня в 18:00", user_id=OLGA, **with_name(harness, OLGA, "olga")
    )
    [task] = await tasks(harness)
    assert task.author_id == OLGA and task.assignee_id == ANNA, [m.text for m in sent]
    [team] = await harness.send("/team", user_id=ANNA)
    remove = next(b for b in buttons(team) if "убрать" in b)
    [confirm] = await harness.press(data_of(team, remove), user_id=ANNA)
    await harness.press(data_of(confirm, "Да, убрать"), user_id=ANNA)
    later = await run_until(harness, datetime(2026, 11, 24, 16, 45, 1, tzinfo=MSK))
    later += await run_until(harness, datetime(2026, 11, 24, 18, 0, 1, tzinfo=MSK))
    leaked = [m.text for m in to(later, OLGA) if "Acme" in m.text]
    assert leaked == [], leaked


async def test_the_assignee_is_told_when_the_author_sets_or_moves_the_deadline(
    harness: Harness,
) -> None:
    """Anna gives Olga an undated task, then picks «Завтра»: only Anna sees the deadline;
    Olga's copy still says «без срока» and nothing tells her (same for 📅 Move)."""
    await team_with_olga(harness)
    sent = await harness.send("/task Acme бриф @olga")
    [ask] = to(sent, ANNA)
    [given] = to(sent, OLGA)
    assert "без срока" in given.text
    moved = await harness.press(data_of(ask, "Завтра"))
    assert to(moved, OLGA), [m.text for m in to(moved, ANNA)]


async def test_a_long_task_is_kept_whole_and_shown_within_limits(harness: Harness) -> None:
    from tests.dispatcher.test_followups import setup
    from tests.dispatcher.test_tasks import tasks

    await setup(harness, "Acme")
    what = "<b>смета</b> & " * 280
    [card] = await harness.send(f"/task Acme {what} завтра")
    [task] = await tasks(harness)
    assert task.what == what.strip()
    [listing] = await harness.send("/tasks")
    assert card.text and listing.text  # the fake session refuses anything over the limits
