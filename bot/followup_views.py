"""How follow-ups and the agenda look in messages: texts, both clocks, and their buttons."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_datetime, format_skeleton, get_day_names

from bot.agenda import Agenda
from bot.followups import CHASE, CHASE_STEPS, REPEAT
from bot.recurrence import Recurrence
from bot.storage.records import Client, FollowUp
from bot.views import LeadCb, duration, esc, grid, local_time

SNOOZES = ("15m", "1h", "tmr", "mon")
ASK_WHEN = ("1h", "tmr", "mon", "3d")


class FuCb(CallbackData, prefix="fu"):
    """A button about one follow-up (or a draft of one): what to do, and a choice."""

    action: str
    id: int
    arg: str = ""


def moment(at: datetime, zone: str, lang: str, now: datetime | None = None) -> str:
    """`пт 27.11 10:00` / `Fri 27.11 10:00` in the given zone; the year too when not now's."""
    tz = ZoneInfo(zone)
    other_year = now is not None and at.astimezone(tz).year != now.astimezone(tz).year
    pattern = "EEE dd.MM.yyyy HH:mm" if other_year else "EEE dd.MM HH:mm"
    return format_datetime(at, pattern, tzinfo=tz, locale=lang)


def both_clocks(
    at: datetime, client_zone: str, my_zone: str, lang: str, now: datetime | None = None
) -> str:
    """The moment on the manager's clock, and on the client's when their clock differs."""
    mine, theirs = at.astimezone(ZoneInfo(my_zone)), at.astimezone(ZoneInfo(client_zone))
    if mine.replace(tzinfo=None) == theirs.replace(tzinfo=None):
        return moment(at, my_zone, lang, now)
    my_part = (
        format_datetime(at, "HH:mm", tzinfo=ZoneInfo(my_zone), locale=lang)
        if mine.date() == theirs.date()
        else moment(at, my_zone, lang, now)
    )
    return _("{theirs} client's time ({mine} yours)").format(
        theirs=moment(at, client_zone, lang, now), mine=my_part
    )


def quick_label(choice: str) -> str:
    """The text of a quick time button."""
    return {
        "15m": _("+15 min"),
        "1h": _("+1 h"),
        "tmr": _("Tomorrow"),
        "mon": _("Monday"),
        "3d": _("In 3 days"),
    }[choice]


def repeat_text(rule: str, lang: str) -> str:
    """A recurring rule in words: `weekly: Mon, Thu at 10:00`."""
    rec = Recurrence.from_rule(rule)
    at = rec.at.strftime("%H:%M")
    names = get_day_names("abbreviated", locale=lang)
    days = ", ".join(names[d - 1] for d in rec.weekdays)
    n = rec.interval
    if rec.freq == "DAILY":
        if n == 1:
            return _("every day at {time}").format(time=at)
        return ngettext("every {n} day at {time}", "every {n} days at {time}", n).format(
            n=n, time=at
        )
    if rec.freq == "WEEKLY":
        if rec.weekdays == (1, 2, 3, 4, 5) and n == 1:
            return _("every weekday at {time}").format(time=at)
        if n == 1:
            if days:
                return _("weekly: {days} at {time}").format(days=days, time=at)
            return _("weekly at {time}").format(time=at)
        if days:
            return ngettext(
                "every {n} week: {days} at {time}", "every {n} weeks: {days} at {time}", n
            ).format(n=n, days=days, time=at)
        return ngettext("every {n} week at {time}", "every {n} weeks at {time}", n).format(
            n=n, time=at
        )
    if rec.freq == "MONTHLY":
        if rec.monthday == -1:
            if n == 1:
                return _("monthly on the last day at {time}").format(time=at)
            return ngettext(
                "every {n} month on the last day at {time}",
                "every {n} months on the last day at {time}",
                n,
            ).format(n=n, time=at)
        if rec.monthday:
            if n == 1:
                return _("monthly on day {day} at {time}").format(day=rec.monthday, time=at)
            return ngettext(
                "every {n} month on day {day} at {time}",
                "every {n} months on day {day} at {time}",
                n,
            ).format(n=n, day=rec.monthday, time=at)
        if n == 1:
            return _("monthly at {time}").format(time=at)
        return ngettext("every {n} month at {time}", "every {n} months at {time}", n).format(
            n=n, time=at
        )
    if rec.month and rec.monthday:
        # 2000 is a leap year, so 29 February has a name too.
        day = format_skeleton("MMMMd", date(2000, rec.month, rec.monthday), locale=lang)
        if n == 1:
            return _("yearly on {date} at {time}").format(date=day, time=at)
        return ngettext(
            "every {n} year on {date} at {time}", "every {n} years on {date} at {time}", n
        ).format(n=n, date=day, time=at)
    if n == 1:
        return _("yearly at {time}").format(time=at)
    return ngettext("every {n} year at {time}", "every {n} years at {time}", n).format(n=n, time=at)


def fu_line(
    fu: FollowUp, client: Client | None, zone: str, lang: str, now: datetime | None = None
) -> str:
    """One follow-up as a line of a list: time, client, what."""
    name = esc(client.name) if client else "—"
    text = f"{moment(fu.due_at, zone, lang, now)} · «{name}»"
    if fu.what:
        text += " — " + esc(fu.what)
    if fu.mode == CHASE:
        text += " " + _("(chase {step}/{total})").format(step=fu.step + 1, total=CHASE_STEPS)
    elif fu.mode == REPEAT:
        text += " 🔁"
    return text


def fu_details(fu: FollowUp, client: Client, my_zone: str, lang: str, now: datetime) -> str:
    """What a follow-up is about, when, and which series it belongs to."""
    lines = [
        _("🔔 Follow up «{name}»").format(name=esc(client.name))
        + (": " + esc(fu.what) if fu.what else "")
    ]
    lines.append(
        _("When: {when}").format(
            when=both_clocks(fu.due_at, client.timezone or my_zone, my_zone, lang, now)
        )
    )
    if fu.mode == CHASE and fu.started_at is not None:
        lines.append(
            _("Chase step {step} of {total}: proposal sent {ago} ago, no reply yet.").format(
                step=fu.step + 1, total=CHASE_STEPS, ago=duration(now - fu.started_at)
            )
        )
    elif fu.mode == REPEAT and fu.rule:
        lines.append(_("Repeats {rule}.").format(rule=repeat_text(fu.rule, lang)))
    return "\n".join(lines)


def fu_keyboard(fu: FollowUp) -> InlineKeyboardMarkup:
    """Done, client replied (chase), snoozes, another time, stop (series)."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Done"), callback_data=FuCb(action="done", id=fu.id))
    if fu.mode == CHASE:
        kb.button(text=_("💬 Client replied"), callback_data=FuCb(action="replied", id=fu.id))
    for choice in SNOOZES:
        kb.button(text=quick_label(choice), callback_data=FuCb(action="snz", id=fu.id, arg=choice))
    kb.button(text=_("🗓 Another time"), callback_data=FuCb(action="at", id=fu.id))
    if fu.mode in (CHASE, REPEAT):
        kb.button(text=_("⏹ Stop"), callback_data=FuCb(action="stop", id=fu.id))
    top = 2 if fu.mode == CHASE else 1
    kb.adjust(top, 4, 2 if fu.mode in (CHASE, REPEAT) else 1)
    return kb.as_markup()


def when_keyboard(draft_id: int) -> InlineKeyboardMarkup:
    """The "when?" question's answers: in an hour, tomorrow, on Monday, in 3 days."""
    labels = {
        "1h": _("In an hour"),
        "tmr": _("Tomorrow"),
        "mon": _("On Monday"),
        "3d": _("In 3 days"),
    }
    kb = InlineKeyboardBuilder()
    for choice in ASK_WHEN:
        kb.button(text=labels[choice], callback_data=FuCb(action="when", id=draft_id, arg=choice))
    kb.adjust(4)
    return kb.as_markup()


def align_keyboard(fu_id: int, proposed: datetime, label: str) -> InlineKeyboardMarkup:
    """Accept the proposed moment inside the client's day, or keep the typed one."""
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Move to {when}").format(when=label),
        callback_data=FuCb(action="align", id=fu_id, arg=str(int(proposed.timestamp()))),
    )
    kb.button(text=_("Keep"), callback_data=FuCb(action="keep", id=fu_id))
    kb.adjust(1)
    return kb.as_markup()


def agenda_text(agenda: Agenda, title: str, zone: str, lang: str) -> str:
    """The agenda as sections: overdue, due, leads waiting, silent clients."""
    lines = [title]
    if agenda.overdue:
        lines += ["", _("<b>Overdue</b>")]
        lines += [
            "❗ " + fu_line(fu, agenda.clients.get(fu.client_id), zone, lang, agenda.now)
            for fu in agenda.overdue
        ]
    if agenda.upcoming:
        lines += ["", _("<b>Follow-ups</b>")]
        lines += [
            "🔔 " + fu_line(fu, agenda.clients.get(fu.client_id), zone, lang, agenda.now)
            for fu in agenda.upcoming
        ]
    if agenda.more:
        lines.append(_("…and {n} more: /followups").format(n=agenda.more))
    if agenda.leads:
        lines += ["", _("<b>Leads waiting for an answer</b>")]
        for lead in agenda.leads:
            waited = agenda.now - (lead.received_at or lead.created_at)
            lines.append(
                _("⏰ «{name}» — waiting {waited}").format(
                    name=esc(lead.name), waited=duration(waited)
                )
            )
    if agenda.silent:
        lines += ["", _("<b>Silent clients</b> (no touch for too long)")]
        for silent in agenda.silent:
            lines.append(
                _("🤐 «{name}» — last touch {ago} ago").format(
                    name=esc(silent.name), ago=duration(agenda.now - silent.last_touch)
                )
            )
        if agenda.silent_total > len(agenda.silent):
            lines.append(
                _("…and {n} more silent clients.").format(
                    n=agenda.silent_total - len(agenda.silent)
                )
            )
    return "\n".join(lines)


def agenda_keyboard(agenda: Agenda, zone: str) -> InlineKeyboardMarkup | None:
    """A button per item, labelled with its time and client: open the follow-up or the card."""
    buttons = []
    for fu in agenda.overdue + agenda.upcoming:
        client = agenda.clients.get(fu.client_id)
        icon = "❗" if fu.due_at <= agenda.now else "🔔"
        label = f"{icon} {local_time(fu.due_at, zone, agenda.now)} {client.name if client else '—'}"
        buttons.append(
            InlineKeyboardButton(
                text=label[:60], callback_data=FuCb(action="open", id=fu.id).pack()
            )
        )
    for lead in agenda.leads:
        buttons.append(
            InlineKeyboardButton(
                text=f"⏰ {lead.name}"[:60],
                callback_data=LeadCb(action="open", client_id=lead.id).pack(),
            )
        )
    for silent in agenda.silent:
        buttons.append(
            InlineKeyboardButton(
                text=f"🤐 {silent.name}"[:60],
                callback_data=LeadCb(action="open", client_id=silent.client_id).pack(),
            )
        )
    return grid(buttons, 2) if buttons else None
