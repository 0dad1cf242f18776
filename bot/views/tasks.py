"""How tasks look: the confirmation, /tasks, check-ins, deadline reminders and their buttons."""

from __future__ import annotations

from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.services.tasks import CHECK_50, CHECK_75, PROGRESS, TaskError, is_overdue
from bot.storage.records import Client, Task, User
from bot.views.common import Id, duration, esc, grid, local_time
from bot.views.followups import moment
from bot.views.limits import LINE_TEXT, LONG_TEXT, MAX_BUTTONS, NAME, fit, shorten

# How many tasks /tasks gives buttons to (three each, within Telegram's 100).
BUTTONED = 10
DEADLINES = ("eod", "tmr", "fri")
CARD_WHAT = 3000


class TaskCb(CallbackData, prefix="tk"):
    """A button about one task: what to do, and a choice (a deadline, a percent, a person)."""

    action: str
    id: Id
    arg: str = ""
    t: str = ""  # the token of the question the button answers, for draft-based ones


def task_example() -> str:
    """The right form of /task, for a message about a wrong one."""
    return _(
        "Example: <code>/task Acme ad report @olga by Fri 18:00 !</code> — client and "
        "@assignee are optional, <code>!</code> marks it urgent."
    )


def error_text(exc: TaskError) -> str:
    """Why a task cannot be set, in the user's language."""
    if exc.code == "past":
        return _(
            "That deadline has already passed. Give one in the future, e.g. "
            "<code>tomorrow 18:00</code>."
        )
    if exc.code == "far":
        return _("That deadline is more than five years away. Check the date.")
    return _("This button no longer works.")


def who(person: User | None) -> str:
    """A person as colleagues know them."""
    return esc(person.display_name) if person else "—"


def task_title(task: Task, client: Client | None, limit: int = LONG_TEXT) -> str:
    """`🔥 «отчёт» — Acme`: what, how urgent, for which client."""
    text = ("🔥 " if task.urgent else "") + _("“{what}”").format(
        what=esc(shorten(task.what, limit))
    )
    if client is not None:
        text += " — " + esc(shorten(client.name, NAME))
    return text


def deadline_text(task: Task, zone: str, lang: str, now: datetime) -> str:
    """`до пт 04.12 18:00`, `просрочено на 2 ч`, or `без срока`."""
    if task.due_at is None:
        return _("no deadline")
    if is_overdue(task, now):
        return _("overdue by {time} (was due {when})").format(
            time=duration(now - task.due_at), when=moment(task.due_at, zone, lang, now)
        )
    return _("due {when}").format(when=moment(task.due_at, zone, lang, now))


def progress_text(task: Task) -> str:
    """How far along the assignee said it is, or nothing."""
    if task.progress is None:
        return ""
    return " · " + _("progress {percent}").format(percent=percent_label(task.progress))


def percent_label(percent: int) -> str:
    """`≤30%`, `~50%`, `~70%`, `done`."""
    return {30: "≤30%", 50: "~50%", 70: "~70%"}.get(percent, _("done"))


def task_card(
    task: Task,
    client: Client | None,
    author: User | None,
    assignee: User | None,
    zone: str,
    lang: str,
    now: datetime,
) -> str:
    """A task in full: what, client, who does it, who gave it, deadline, progress."""
    # The card is where a long task is read whole (lists shorten it), within one message.
    lines = ["📌 " + task_title(task, client, CARD_WHAT)]
    lines.append(_("Assignee: {who}").format(who=who(assignee)))
    if author is not None and task.author_id != task.assignee_id:
        lines.append(_("From: {who}").format(who=who(author)))
    when = (
        moment(task.due_at, zone, lang, now)
        if task.due_at is not None and not is_overdue(task, now)
        else deadline_text(task, zone, lang, now)
    )
    lines.append(_("Deadline: {when}").format(when=when))
    if task.progress is not None and task.state == "open":
        lines.append(_("Progress: {percent}").format(percent=percent_label(task.progress)))
    if task.state == "done":
        lines.append(_("✅ Done."))
    return "\n".join(lines)


def task_keyboard(task: Task) -> InlineKeyboardMarkup | None:
    """Done, move the deadline, reassign — for an open task."""
    if task.state != "open":
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("✅ Done"), callback_data=TaskCb(action="done", id=task.id).pack()
                ),
                InlineKeyboardButton(
                    text=_("📅 Move"), callback_data=TaskCb(action="move", id=task.id).pack()
                ),
                InlineKeyboardButton(
                    text=_("👤 Reassign"), callback_data=TaskCb(action="who", id=task.id).pack()
                ),
            ]
        ]
    )


def myself_keyboard(draft_id: int, token: str) -> InlineKeyboardMarkup:
    """The one way on when the named assignee is not in the team: do it yourself."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("✋ I'll do it myself"),
                    callback_data=TaskCb(action="self", id=draft_id, t=token).pack(),
                )
            ]
        ]
    )


def deadline_label(choice: str) -> str:
    """The text of a quick deadline button."""
    return {
        "eod": _("Today, end of day"),
        "tmr": _("Tomorrow"),
        "fri": _("Friday"),
        "none": _("No deadline"),
    }[choice]


def deadline_keyboard(task: Task, with_none: bool = True) -> InlineKeyboardMarkup:
    """Quick deadlines: today by the end of the day, tomorrow, Friday (and none)."""
    choices = (*DEADLINES, "none") if with_none else DEADLINES
    return grid(
        [
            InlineKeyboardButton(
                text=deadline_label(c), callback_data=TaskCb(action="due", id=task.id, arg=c).pack()
            )
            for c in choices
        ],
        3,
    )


def progress_keyboard(task: Task) -> InlineKeyboardMarkup:
    """≤30%, ~50%, ~70%, done."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text="✅ " + _("Done") if p == 100 else percent_label(p),
                    callback_data=TaskCb(action="pg", id=task.id, arg=str(p)).pack(),
                )
                for p in PROGRESS
            ],
            [
                InlineKeyboardButton(
                    text=_("📅 Move"), callback_data=TaskCb(action="move", id=task.id).pack()
                )
            ],
        ]
    )


def people_keyboard(task: Task, people: list[User]) -> InlineKeyboardMarkup:
    """Whom to give the task to: the team's members."""
    return grid(
        [
            InlineKeyboardButton(
                text=shorten(p.display_name, 40),
                callback_data=TaskCb(action="to", id=task.id, arg=str(p.id)).pack(),
            )
            for p in people[: MAX_BUTTONS - 1]
        ],
        2,
    )


def task_line(
    task: Task,
    client: Client | None,
    people: dict[int, User],
    me: int,
    zone: str,
    lang: str,
    now: datetime,
) -> str:
    """One task in a list: what, client, deadline, and who (when it is not me)."""
    line = task_title(task, client) + " · " + deadline_text(task, zone, lang, now)
    if task.assignee_id != me:
        line += " · " + _("does {who}").format(who=who(people.get(task.assignee_id)))
    elif task.author_id != me:
        line += " · " + _("from {who}").format(who=who(people.get(task.author_id)))
    return ("❗ " if is_overdue(task, now) else "") + line + progress_text(task)


def tasks_list(
    tasks: list[Task],
    clients: dict[int, Client],
    people: dict[int, User],
    me: int,
    zone: str,
    lang: str,
    now: datetime,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/tasks: mine and the ones I gave, overdue first, numbered, with buttons for the first."""
    if not tasks:
        return _("No open tasks.") + "\n" + task_example(), None
    mine = [t for t in tasks if t.assignee_id == me]
    given = [t for t in tasks if t.assignee_id != me]
    ordered = mine + given
    number = {t.id: n for n, t in enumerate(ordered, 1)}
    lines: list[str] = []
    line_of: dict[int, int] = {}  # task id -> its line's index, to button only what is shown

    def section(title: str, items: list[Task]) -> None:
        if items:
            lines.extend(["", title])
            for t in items:
                client = clients.get(t.client_id) if t.client_id else None
                line_of[t.id] = len(lines)
                lines.append(f"{number[t.id]}. {task_line(t, client, people, me, zone, lang, now)}")

    section(_("<b>My tasks</b>"), mine)
    section(_("<b>Given by me</b>"), given)
    text, shown = fit(
        [_("📌 Open tasks: {n}").format(n=len(ordered))],
        lines,
        lambda n: _("…and {n} more.").format(n=n),
    )
    rows = []
    for t in [t for t in ordered if line_of[t.id] < shown][:BUTTONED]:
        n = number[t.id]
        rows.append(
            [
                InlineKeyboardButton(
                    text=f"✅ {n}", callback_data=TaskCb(action="done", id=t.id).pack()
                ),
                InlineKeyboardButton(
                    text=f"📅 {n}", callback_data=TaskCb(action="move", id=t.id).pack()
                ),
                InlineKeyboardButton(
                    text=f"👤 {n}", callback_data=TaskCb(action="who", id=t.id).pack()
                ),
            ]
        )
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def checkin_text(
    kind: str,
    task: Task,
    client: Client | None,
    assignee: User | None,
    zone: str,
    lang: str,
    now: datetime,
) -> str:
    """The 50% question, the 75% reminder, or the deadline, for one task."""
    title = task_title(task, client)
    due = moment(task.due_at, zone, lang, now) if task.due_at else "—"
    if kind == CHECK_50:
        return _(
            "⏳ Half the time to the deadline has passed: {task}, due {when}. How far along?"
        ).format(task=title, when=due)
    if kind == CHECK_75:
        return _(
            "⏰ Three quarters of the time has passed: {task}, due {when}. Assignee: {who}."
        ).format(task=title, when=due, who=who(assignee)) + progress_text(task)
    return _("🚨 Deadline passed: {task}, was due {when}. Assignee: {who}.").format(
        task=title, when=due, who=who(assignee)
    ) + progress_text(task)


def line_for_card(task: Task, zone: str, lang: str, now: datetime) -> str:
    """A task on the client card's timeline, dated when it was given."""
    mark = "✅" if task.state == "done" else ("❗" if is_overdue(task, now) else "📌")
    return "{mark} {at} {kind}: {what} · {due}".format(
        mark=mark,
        at=local_time(task.created_at, zone, now),
        kind=_("task"),
        what=esc(shorten(task.what, LINE_TEXT)),
        due=_("done") if task.state == "done" else deadline_text(task, zone, lang, now),
    )
