"""Teams and roles: several teams per person, /team, who may change team settings, removal."""

from __future__ import annotations

from typing import Any

from bot.storage.repositories import Repos
from tests.conftest import Harness
from tests.dispatcher.test_leads import buttons, fire, onboard
from tests.dispatcher.test_limits import data_of

ANNA, BORIS, VERA = 1, 2, 3


def to(sent: list[Any], chat: int) -> list[Any]:
    """The messages sent to one chat."""
    return [m for m in sent if m.chat_id == chat]


async def invite_code(h: Harness, owner: int) -> str:
    """The join code from the owner's /invite."""
    [reply] = await h.send("/invite", user_id=owner)
    return reply.text.split("start=")[1].split()[0]


async def two_teams(h: Harness) -> None:
    """Anna owns a team with client Jane; Boris joins it and has his own client Ольга."""
    await onboard(h, ANNA)
    await onboard(h, BORIS)
    await h.send("/lead Jane Doe, jane@example.com", user_id=ANNA)
    await h.send("/lead Ольга Смирнова, +7 999 123-45-67", user_id=BORIS)
    await h.send(f"/start {await invite_code(h, ANNA)}", user_id=BORIS)


async def test_joining_a_team_keeps_your_own_clients(harness: Harness) -> None:
    """Lookups search every team of the person; new leads go to the current one."""
    await two_teams(harness)
    [card] = await harness.send("/client Ольга", user_id=BORIS)
    assert "Ольга Смирнова" in card.text
    [card] = await harness.send("/client Jane", user_id=BORIS)
    assert "Jane Doe" in card.text
    await harness.send("/lead Пётр, +7 999 000-00-00", user_id=BORIS)
    [peter] = await harness.send("/client Пётр", user_id=ANNA)  # it went to Anna's team
    assert "Пётр" in peter.text


async def test_the_owner_is_told_who_joined(harness: Harness) -> None:
    await onboard(harness, ANNA)
    await onboard(harness, BORIS)
    sent = await harness.send(f"/start {await invite_code(harness, ANNA)}", user_id=BORIS)
    [told] = to(sent, ANNA)
    assert "Ivan" in told.text and "/team" in told.text


async def test_team_lists_teams_members_and_switches(harness: Harness) -> None:
    await two_teams(harness)
    [team] = await harness.send("/team", user_id=BORIS)
    assert "владелец — Ivan" in team.text and "менеджер" in team.text
    switch = [b for b in buttons(team) if b.startswith("Перейти в")]
    assert len(switch) == 1
    [edited] = await harness.press(data_of(team, switch[0]), user_id=BORIS)
    assert "▶️ без названия, владелец — Ivan · ваша роль: владелец" in edited.text
    await harness.send("/lead Гость Гостев, +7 999 111-11-11", user_id=BORIS)
    [search] = await harness.send("/clients Гостев", user_id=ANNA)
    assert "Гостев" not in str(search.reply_markup)  # the lead went to Boris's own team


async def test_only_the_owner_and_admins_change_team_settings(harness: Harness) -> None:
    """A manager can read the SLA but not change it, rotate the intake secret or invite."""
    await two_teams(harness)
    for command in ("/sla 5", "/silent 3", "/invite", "/team name Хакеры"):
        [reply] = await harness.send(command, user_id=BORIS)
        assert "владелец" in reply.text, command
    [sla] = await harness.send("/sla", user_id=BORIS)
    assert "15 минут" in sla.text
    # The owner appoints Boris an admin: now he may.
    [team] = await harness.send("/team", user_id=ANNA)
    await harness.press(data_of(team, "Ivan: сделать администратором"), user_id=ANNA)
    [changed] = await harness.send("/sla 10 минут", user_id=BORIS)
    assert "10 минут" in changed.text


async def test_renaming_a_team_names_it_everywhere(harness: Harness) -> None:
    await onboard(harness, ANNA)
    [renamed, team] = await harness.send("/team name Digital Agency", user_id=ANNA)
    assert "Digital Agency" in renamed.text and "Digital Agency" in team.text
    [invite] = await harness.send("/invite", user_id=ANNA)
    assert "«Digital Agency»" in invite.text


async def test_a_removed_member_loses_access_at_once(harness: Harness) -> None:
    """Removal takes two taps; afterwards the member's old buttons and lookups fail, and
    their clients in that team go to the owner."""
    await two_teams(harness)
    [card] = await harness.send("/client Jane", user_id=BORIS)
    [team] = await harness.send("/team", user_id=ANNA)
    [confirm] = await harness.press(data_of(team, "Ivan: убрать"), user_id=ANNA)
    assert "Да, убрать" in buttons(confirm)
    sent = await harness.press(data_of(confirm, "Да, убрать"), user_id=ANNA)
    assert any("больше не в команде" in m.text for m in to(sent, BORIS))
    [gone] = await harness.send("/client Jane", user_id=BORIS)
    assert "Не нашёл клиента" in gone.text
    answered = await harness.press(data_of(card, "Статус"), user_id=BORIS)
    assert not [m for m in answered if "Jane" in (getattr(m, "text", "") or "")]
    [own] = await harness.send("/client Ольга", user_id=BORIS)  # his own team stays
    assert "Ольга Смирнова" in own.text


async def test_hostile_numbers_in_team_settings_are_refused(harness: Harness) -> None:
    await onboard(harness, ANNA)
    for command in ("/sla ²", "/silent ¹⁴", "/sla 99999999999999999999999", "/silent 0"):
        [reply] = await harness.send(command, user_id=ANNA)
        assert "<code>" in reply.text, command
    [sla] = await harness.send("/sla 1.5 h", user_id=ANNA)
    assert "1 час 30 минут" in sla.text
    [help_] = await harness.send("/help", user_id=ANNA)
    assert "1 час 30 минут" in help_.text and "15 минут" not in help_.text


async def test_a_removed_member_cannot_come_back_by_the_old_link(harness: Harness) -> None:
    """Removal issues a new invite link, drops their open questions and their held reminders
    about the team's clients."""
    await two_teams(harness)
    code = await invite_code(harness, ANNA)
    [menu] = await harness.send("/settings", user_id=BORIS)
    await harness.press(data_of(menu, "🌙 Тихие часы"), user_id=BORIS)
    await harness.send("0-23", user_id=BORIS)  # quiet nearly all day: the reminder is held
    await harness.send("/fu Jane через 5 минут отправить КП", user_id=BORIS)
    await fire(harness, 6)
    [team] = await harness.send("/team", user_id=ANNA)
    [confirm] = await harness.press(data_of(team, "Ivan: убрать"), user_id=ANNA)
    await harness.press(data_of(confirm, "Да, убрать"), user_id=ANNA)
    [refused, _greeting] = await harness.send(f"/start {code}", user_id=BORIS)
    assert "больше не действует" in refused.text
    later = await fire(harness, 60 * 24)
    assert not [m for m in later if getattr(m, "chat_id", None) == BORIS and "Jane" in m.text]


async def test_switching_teams_by_name(harness: Harness) -> None:
    await two_teams(harness)
    await harness.send("/team name Агентство", user_id=ANNA)
    [switched] = await harness.send("/team switch владелец — Ivan", user_id=BORIS)
    assert "▶️" in switched.text
    [unclear] = await harness.send("/team switch zzz", user_id=BORIS)
    assert "/team switch" in unclear.text


async def test_an_intake_button_acts_on_the_team_it_showed(harness: Harness) -> None:
    """Boris, an admin in Anna's team, presses 🔄 on her team's /intake after switching to his
    own: Anna's secret is rotated, not his."""
    await two_teams(harness)
    [team] = await harness.send("/team", user_id=ANNA)
    await harness.press(data_of(team, "Ivan: сделать администратором"), user_id=ANNA)
    async with harness.app.db.session() as s:
        before = {w.id: w.intake_secret for w, _r in await Repos(s).workspaces.of_user(BORIS)}
    await harness.send("/team name Агентство", user_id=ANNA)
    await harness.send("/intake", user_id=BORIS)
    data = f"in:rotate:{min(before)}"
    [switched] = await harness.send("/team switch владелец — Ivan", user_id=BORIS)
    assert "▶️ без названия" in switched.text
    await harness.press(data, user_id=BORIS)
    async with harness.app.db.session() as s:
        after = {w.id: w.intake_secret for w, _r in await Repos(s).workspaces.of_user(BORIS)}
    anna_ws = min(before)
    assert after[anna_ws] != before[anna_ws]
    assert all(after[w] == before[w] for w in before if w != anna_ws)
