"""How follow-ups look: texts with both clocks, the /fu confirmation, lists and their buttons."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel import Locale
from babel.dates import format_datetime, format_skeleton, get_day_names

from bot.parsing.dates import IMPOSSIBLE, TOO_FAR, VAGUE, When
from bot.parsing.recurrence import Recurrence
from bot.parsing.worktime import window_text
from bot.services.align import align, is_inside
from bot.services.followups import (
    CHASE,
    CHASE_STEPS,
    MAX_AHEAD,
    REPEAT,
    FollowUpError,
    client_window,
)
from bot.services.quiet import release_at
from bot.storage.records import Client, FollowUp, User
from bot.views.common import Id, duration, esc, grid, local_time, quoted
from bot.views.limits import LINE_TEXT, LONG_TEXT, NAME, fit, shorten

SNOOZES = ("15m", "1h", "tmr", "mon")
ASK_WHEN = ("1h", "tmr", "mon", "3d")


class FuCb(CallbackData, prefix="fu"):
    """A button about one follow-up (or a draft of one): what to do, and a choice."""

    action: str
    id: Id
    arg: str = ""
    t: str = ""  # the token of the question the button answers


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
    name = esc(shorten(client.name, NAME)) if client else "—"
    text = moment(fu.due_at, zone, lang, now) + " · " + quoted(name)
    if fu.what:
        text += " — " + esc(shorten(fu.what, LINE_TEXT))
    if fu.mode == CHASE:
        text += " " + _("(chase {step}/{total})").format(step=fu.step + 1, total=CHASE_STEPS)
    elif fu.mode == REPEAT:
        text += " 🔁"
    return text


def fu_details(fu: FollowUp, client: Client, my_zone: str, lang: str, now: datetime) -> str:
    """What a follow-up is about, when, and which series it belongs to."""
    lines = [
        _("🔔 Follow up “{name}”").format(name=esc(client.name))
        + (": " + esc(shorten(fu.what, LONG_TEXT)) if fu.what else "")
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


def when_keyboard(draft_id: int, token: str) -> InlineKeyboardMarkup:
    """The "when?" question's answers: in an hour, tomorrow, on Monday, in 3 days."""
    labels = {
        "1h": _("In an hour"),
        "tmr": _("Tomorrow"),
        "mon": _("On Monday"),
        "3d": _("In 3 days"),
    }
    kb = InlineKeyboardBuilder()
    for choice in ASK_WHEN:
        kb.button(
            text=labels[choice],
            callback_data=FuCb(action="when", id=draft_id, arg=choice, t=token),
        )
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


def fu_example() -> str:
    """The right forms of /fu."""
    return _(
        "Examples:\n<code>/fu Ivan tomorrow 11:00 send the proposal</code>\n"
        "<code>/fu Ivan chase</code> — remind until the client answers\n"
        "<code>/fu Ivan every Mon 10:00 report</code>"
    )


def date_example() -> str:
    """The right forms of a date."""
    return _(
        "Type a date, e.g. <code>tomorrow at 11</code>, <code>in 2 hours</code>, "
        "<code>Fri 15:00</code>, <code>3.12 at 12</code>."
    )


def error_text(exc: FollowUpError) -> str:
    """One clear message per kind of refusal."""
    if exc.code == "past":
        return _("That moment has already passed.") + " " + date_example()
    if exc.code == "far":
        return _("That is too far ahead: more than five years.") + " " + date_example()
    if exc.code == "stale":
        return _("This button is out of date. Open the follow-up again: /followups")
    if exc.code == "chasing":
        return _("A chase for this client is already running; it stops when they answer.")
    return _("This follow-up is already closed.")


def confirmation(
    fu: FollowUp, client: Client, user: User, default_zone: str, lang: str, now: datetime
) -> tuple[str, Any]:
    """ "Follow-up set" with both clocks, and the offer to move it into the client's day."""
    my_zone = user.timezone or default_zone
    client_zone = client.timezone or my_zone
    text = _("🔔 Follow-up “{name}”: {when}").format(
        name=esc(client.name), when=both_clocks(fu.due_at, client_zone, my_zone, lang, now)
    )
    if fu.what:
        text += "\n" + esc(shorten(fu.what, LONG_TEXT))
    text += quiet_note(user, fu.due_at, default_zone, lang, now)
    window = client_window(client, user, default_zone)
    mine = fu.due_at.astimezone(ZoneInfo(my_zone))
    # The manager's own end of day ("до конца дня", eod) is their deadline, not a call at an
    # odd hour for the client: no offer to move it.
    own_eod = mine.hour * 60 + mine.minute == user.work_end_min
    if own_eod or is_inside(fu.due_at, window):
        return text, None
    proposed = align(fu.due_at, window)
    text += "\n\n" + _(
        "⚠️ That is outside “{name}”'s working day ({hours}; days off and public holidays: "
        "{country}). Move it to {when}?"
    ).format(
        name=esc(client.name),
        hours=window_text(window.start_min, window.end_min),
        country=Locale.parse(lang).territories.get(window.country, window.country),
        when=both_clocks(proposed, client_zone, my_zone, lang, now),
    )
    return text, align_keyboard(fu.id, proposed, moment(proposed, client_zone, lang, now))


def next_step_keyboard(draft_id: int, token: str) -> InlineKeyboardMarkup:
    """“Через 3 дня” · “Пока ничего” under "what's next?"."""
    return grid(
        [
            InlineKeyboardButton(
                text=quick_label("3d"),
                callback_data=FuCb(action="next", id=draft_id, arg="3d", t=token).pack(),
            ),
            InlineKeyboardButton(
                text=_("Nothing for now"),
                callback_data=FuCb(action="next", id=draft_id, arg="no", t=token).pack(),
            ),
        ],
        2,
    )


def followups_list(
    items: list[FollowUp],
    clients: dict[int, Client],
    total: int,
    zone: str,
    lang: str,
    now: datetime,
) -> tuple[str, InlineKeyboardMarkup]:
    """/followups: one line and one button per open follow-up."""
    text, shown = fit(
        [_("<b>Follow-ups</b>: {n}").format(n=total)],
        [fu_line(f, clients.get(f.client_id), zone, lang, now) for f in items],
        lambda n: _("…and {n} more.").format(n=n + total - len(items)),
    )
    if shown == len(items) and total > len(items):
        text += "\n" + _("…and {n} more.").format(n=total - len(items))
    buttons = [
        InlineKeyboardButton(
            text="{at} {name}".format(
                at=local_time(f.due_at, zone, now),
                name=clients[f.client_id].name if f.client_id in clients else "—",
            )[:60],
            callback_data=FuCb(action="open", id=f.id).pack(),
        )
        for f in items[:shown]
    ]
    return text, grid(buttons, 2)


def quiet_note(user: User, at: datetime, default_zone: str, lang: str, now: datetime) -> str:
    """When a reminder due in the person's quiet hours (or on a day off they keep free) will
    really arrive, as a line to add to its confirmation; "" if it arrives on time."""
    arrives = release_at(user, at, urgent=False, default_zone=default_zone)
    if arrives <= at:
        return ""
    zone = user.timezone or default_zone
    return "\n" + _("🌙 That is in your quiet hours: it will come at {when}.").format(
        when=moment(arrives, zone, lang, now)
    )


def date_problem(text: str, found: When, now: datetime) -> str | None:
    """Why a typed date cannot be used (impossible, vague, none found, past, too far), or
    None."""
    at = found.at
    if found.error == IMPOSSIBLE:
        return (
            _("“{bad}” is not a real date or time.").format(
                bad=esc(shorten(found.bad or text, NAME))
            )
            + " "
            + date_example()
        )
    if found.error == VAGUE:
        return (
            _("“{bad}” is too vague: say the hour, e.g. <code>tonight at 23</code>.").format(
                bad=esc(shorten(found.bad or text, NAME))
            )
            + " "
            + date_example()
        )
    if found.error == TOO_FAR:
        return error_text(FollowUpError("far"))
    if at is None:
        return (
            _("I did not find a date in “{text}”.").format(text=esc(shorten(text, NAME)))
            + " "
            + date_example()
        )
    if at <= now:
        return error_text(FollowUpError("past"))
    if at - now > MAX_AHEAD:
        return error_text(FollowUpError("far"))
    return None
