"""/task and /tasks: promises with an assignee and a deadline, and the buttons on them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.handlers.common import Asker, answer, ask_context, awaited, continues, group_may_show
from bot.i18n import pick_language, speaking
from bot.parsing.tasks import split_task
from bot.services.accounts import CAN_MANAGE
from bot.services.clients import name_in_text
from bot.services.followups import read_deadline
from bot.services.tasks import (
    DEADLINE_PHRASES,
    PROGRESS,
    TaskError,
    create_task,
    end_of_working_day,
    finish,
    reassign,
    report_progress,
    set_deadline,
)
from bot.settings import Settings
from bot.storage.records import Client, Task, User
from bot.storage.repositories import Repos
from bot.storage.repositories.drafts import OPEN as ASKED
from bot.telegram.outbox import Replies
from bot.views.common import esc, id_arg, question_closed
from bot.views.followups import date_problem
from bot.views.tasks import (
    TaskCb,
    deadline_keyboard,
    error_text,
    myself_keyboard,
    people_keyboard,
    percent_label,
    task_card,
    task_example,
    task_keyboard,
    task_title,
    tasks_list,
)

router = Router(name=__name__)

DRAFT_KIND = "task"
AWAIT = "tkdue"


@router.message(Command("task", ignore_case=True))
async def cmd_task(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """`/task [client] what [@assignee] [when] [!]`."""
    asker = await ask_context(message.chat.id, user, repos, replies, settings, clock, lang, message)
    if asker is None:
        return
    text = (command.args or "").strip()
    if not text:
        await replies.send(message.chat.id, _("What is the task?") + "\n" + task_example())
        return
    teams = (
        [asker.workspace.id]  # the team's chat names only that team's clients
        if message.chat.id < 0
        else [w.id for w, _role in await repos.workspaces.of_user(asker.user.id)]
    )
    named = await name_in_text(repos, teams, text)
    # The client is optional: only a name that points at one client is taken as one, so
    # "/task позвонить в банк" stays a task of its own.
    if named.unique and not named.rest.strip():
        await replies.send(
            message.chat.id,
            _("What is the task for “{name}”?").format(name=esc(named.clients[0].name))
            + "\n"
            + task_example(),
        )
    elif named.unique:
        await give_task(asker, named.clients[0], named.rest)
    else:
        await give_task(asker, None, text)


@continues("task")
async def give_task(asker: Asker, client: Client | None, rest: str) -> None:
    """/task once its client (or none) is known."""
    repos, now = asker.repos, asker.clock.now()
    parts = split_task(rest)
    found = read_deadline(parts.text, asker.user, now, asker.settings.default_timezone)
    if found.error is not None or (found.at is not None and found.at <= now):
        problem = date_problem(parts.text, found, now) if found.error else None
        await asker.replies.send(
            asker.chat_id, problem or error_text(TaskError("past")) + "\n" + task_example()
        )
        return
    what = found.rest.strip(" ,;—–-")
    if not what:
        await asker.replies.send(asker.chat_id, _("What is the task?") + "\n" + task_example())
        return
    workspace_id = client.workspace_id if client else asker.workspace.id
    assignee = asker.user
    if parts.assignee:
        person = await _member_by_username(repos, workspace_id, parts.assignee)
        if person is None:
            await _offer_invite(
                asker, client, workspace_id, parts.assignee, what, parts.urgent, found.at
            )
            return
        assignee = person
    await _create(asker, workspace_id, client, assignee, what, parts.urgent, found.at, now)


async def _member_by_username(repos: Repos, workspace_id: int, username: str) -> User | None:
    """The team member with this @username, if any."""
    members = await repos.workspaces.members(workspace_id)
    people = await repos.users.many([m.user_id for m in members])
    wanted = username.casefold()
    for person in people.values():
        if (person.username or "").casefold() == wanted:
            return person
    return None


async def _offer_invite(
    asker: Asker,
    client: Client | None,
    workspace_id: int,
    username: str,
    what: str,
    urgent: bool,
    due_at: datetime | None,
) -> None:
    """The @someone is not in the team: keep the task, offer to invite them or take it."""
    draft = await asker.repos.drafts.add(
        asker.user.id,
        DRAFT_KIND,
        {
            "ws": workspace_id,
            "client": client.id if client else None,
            "what": what,
            "urgent": urgent,
            "due": due_at.timestamp() if due_at else None,
        },
        asker.clock.now(),
    )
    await asker.replies.send(
        asker.chat_id,
        _(
            "@{user} is not in your team yet, so I can't give them “{what}”. Invite them with "
            "/invite (they open the link once), then give the task again — or do it yourself:"
        ).format(user=esc(username), what=esc(what[:200])),
        reply_markup=myself_keyboard(draft.id, draft.token),
    )


async def _create(
    asker: Asker,
    workspace_id: int,
    client: Client | None,
    assignee: User,
    what: str,
    urgent: bool,
    due_at: datetime | None,
    now: datetime,
) -> None:
    """Store the task, confirm it, tell the assignee, and ask for a deadline if none; `now`
    is the moment the deadline was read at, so "in 2 hours" is a two-hour window."""
    repos, settings = asker.repos, asker.settings
    try:
        task = await create_task(
            repos,
            workspace_id=workspace_id,
            client_id=client.id if client else None,
            author=asker.user,
            assignee=assignee,
            what=what,
            urgent=urgent,
            due_at=due_at,
            now=now,
            default_zone=settings.default_timezone,
        )
    except TaskError as exc:
        await asker.replies.send(asker.chat_id, error_text(exc))
        return
    zone = asker.user.timezone or settings.default_timezone
    text = task_card(task, client, asker.user, assignee, zone, asker.lang, now)
    if task.due_at is None:
        if asker.chat_id > 0:  # a typed answer is read in the private chat only
            await repos.users.update(asker.user.id, now, awaiting=f"{AWAIT}:{task.id}")
        await asker.replies.send(
            asker.chat_id,
            text + "\n\n" + _("By when? Pick or type a deadline, e.g. <code>Thu 15:00</code>."),
            reply_markup=deadline_keyboard(task),
        )
    else:
        await asker.replies.send(asker.chat_id, text, reply_markup=task_keyboard(task))
    await _tell(
        repos, asker.replies, settings, now, asker.user, assignee, task, client, _given_text
    )


def _given_text(task: Task, client: Client | None, by: User, card: str) -> str:
    """What the assignee is told when someone gives them a task."""
    return _("{who} gave you a task:").format(who=esc(by.display_name)) + "\n" + card


async def _tell(
    repos: Repos,
    replies: Replies,
    settings: Settings,
    now: datetime,
    by: User,
    person: User,
    task: Task,
    client: Client | None,
    intro: Callable[[Task, Client | None, User, str], str],
) -> None:
    """Send a colleague the task in their own language and zone, with its buttons."""
    if person.blocked_at is not None or person.id == by.id:
        return
    author = await repos.users.get(task.author_id)
    assignee = person if person.id == task.assignee_id else await repos.users.get(task.assignee_id)
    lang = pick_language(person, None, settings.default_language)
    with speaking(get_i18n(), lang):
        card = task_card(
            task, client, author, assignee, person.timezone or settings.default_timezone, lang, now
        )
        await replies.send(
            person.id,
            intro(task, client, by, card),
            reply_markup=task_keyboard(task),
            on_behalf_of=by.id,
        )


def _moved_text(task: Task, client: Client | None, by: User, card: str) -> str:
    """What the other side of a task is told when its deadline is set or moved."""
    return _("{who} set the deadline:").format(who=esc(by.display_name)) + "\n" + card


@router.message(Command("tasks", ignore_case=True))
async def cmd_tasks(
    message: Message,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Mine and the ones I gave, overdue first, with done / move / reassign buttons."""
    asker = await ask_context(message.chat.id, user, repos, replies, settings, clock, lang)
    if asker is None:
        return
    teams = [w.id for w, _role in await repos.workspaces.of_user(asker.user.id)]
    tasks = await repos.tasks.open_of(asker.user.id, teams)
    clients = {
        c.id: c
        for c in await repos.clients.many(sorted({t.client_id for t in tasks if t.client_id}))
    }
    people = await repos.users.many(
        sorted({t.assignee_id for t in tasks} | {t.author_id for t in tasks})
    )
    text, markup = tasks_list(
        tasks,
        clients,
        people,
        asker.user.id,
        asker.user.timezone or settings.default_timezone,
        lang,
        clock.now(),
    )
    await replies.send(message.chat.id, text, reply_markup=markup)


async def _pressed_task(
    query: CallbackQuery, task_id: int, user: User | None, repos: Repos
) -> tuple[Task, Client | None, Message, User] | None:
    """The task a button is about, if the presser may act on it: its author, its assignee,
    or an owner or admin of its team (checked on every press)."""
    task = await repos.tasks.get(task_id)
    msg = query.message
    member = (
        await repos.workspaces.membership(task.workspace_id, user.id)
        if task is not None and user is not None
        else None
    )
    allowed = (
        member is not None
        and task is not None
        and (member.role in CAN_MANAGE or user.id in (task.author_id, task.assignee_id))  # type: ignore[union-attr]
    )
    if not allowed or task is None or user is None or not isinstance(msg, Message):
        await answer(query, _("This task is not yours."), show_alert=True)
        return None
    if not await group_may_show(repos, msg, task.workspace_id):
        await answer(query, _("This button works in our private chat."), show_alert=True)
        return None
    client = await repos.clients.get(task.client_id) if task.client_id else None
    return task, client, msg, user


@router.callback_query(
    TaskCb.filter(F.action.in_({"done", "pg", "due", "move", "who", "to", "open"})), F.message
)
async def on_task_button(
    query: CallbackQuery,
    callback_data: TaskCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Done, progress, a deadline, move it, reassign it."""
    pressed = await _pressed_task(query, callback_data.id, user, repos)
    if pressed is None:
        return
    task, client, msg, user = pressed
    action, arg = callback_data.action, callback_data.arg
    press = _Press(query, msg, task, client, user, repos, replies, settings, clock.now(), lang)
    if action != "open" and task.state != "open":
        await replies.edit_markup(msg.chat.id, msg.message_id, None)
        await answer(query, _("This task is already closed."))
        return
    if action == "pg" and arg == "100":
        action = "done"
    await _ON_PRESS[action](press, arg)


@dataclass(frozen=True)
class _Press:
    """A press on a task's button, checked: the task, its client, who pressed, the tools."""

    query: CallbackQuery
    msg: Message
    task: Task
    client: Client | None
    user: User
    repos: Repos
    replies: Replies
    settings: Settings
    now: datetime
    lang: str

    @property
    def zone(self) -> str:
        """The presser's zone."""
        return self.user.timezone or self.settings.default_timezone

    @property
    def title(self) -> str:
        """The task as its messages name it."""
        return task_title(self.task, self.client)

    async def close_question(self) -> None:
        """The pressed message's buttons have done their work."""
        await self.replies.edit_markup(self.msg.chat.id, self.msg.message_id, None)


async def _open(p: _Press, _arg: str) -> None:
    """The task's card with its buttons."""
    author = await p.repos.users.get(p.task.author_id)
    assignee = await p.repos.users.get(p.task.assignee_id)
    await p.replies.send(
        p.msg.chat.id,
        task_card(p.task, p.client, author, assignee, p.zone, p.lang, p.now),
        reply_markup=task_keyboard(p.task),
    )
    await answer(p.query)


async def _done(p: _Press, _arg: str) -> None:
    """✅: done, its reminders off, the author told."""
    task = await finish(p.repos, p.task, p.user.id, p.now)
    await p.close_question()
    await p.replies.send(p.msg.chat.id, _("✅ Done: {task}.").format(task=p.title))
    await _tell_author(p.repos, p.replies, p.settings, task, p.client, p.user, "done")
    await answer(p.query, _("Done"))


async def _progress(p: _Press, arg: str) -> None:
    """≤30% / ~50% / ~70%: noted, the author told."""
    percent = id_arg(arg)
    if percent not in PROGRESS:
        await answer(p.query, _("This button no longer works."), show_alert=True)
        return
    assert percent is not None
    task = await report_progress(p.repos, p.task, percent, p.user.id, p.now)
    await p.close_question()
    await p.replies.send(
        p.msg.chat.id,
        _("Noted: {task} — {percent}.").format(task=p.title, percent=percent_label(percent)),
    )
    await _tell_author(p.repos, p.replies, p.settings, task, p.client, p.user, "progress")
    await answer(p.query)


async def _deadline(p: _Press, arg: str) -> None:
    """A quick deadline: today by the end of the day, tomorrow, Friday, or none."""
    if arg == "none":
        if p.user.awaiting == f"{AWAIT}:{p.task.id}":
            await p.repos.users.update(p.user.id, p.now, awaiting=None)
        await p.close_question()
        await answer(p.query, _("OK, no deadline."))
        return
    if arg not in DEADLINE_PHRASES:
        await answer(p.query, _("This button no longer works."), show_alert=True)
        return
    if arg == "eod":
        # After hours or on a day off: the end of the next working day, not of a Saturday.
        at = end_of_working_day(p.user, p.now, p.settings.default_timezone)
    else:
        found = read_deadline(DEADLINE_PHRASES[arg], p.user, p.now, p.settings.default_timezone)
        assert found.at is not None, arg
        at = found.at
    await _move(
        p.query,
        p.msg,
        p.task,
        p.client,
        p.user,
        at,
        p.repos,
        p.replies,
        p.settings,
        p.now,
        p.lang,
        p.zone,
    )


async def _ask_deadline(p: _Press, _arg: str) -> None:
    """📅: ask for the new deadline (buttons, or typed)."""
    await p.repos.users.update(p.user.id, p.now, awaiting=f"{AWAIT}:{p.task.id}")
    await p.replies.send(
        p.msg.chat.id,
        _("New deadline for {task}? Pick or type one, e.g. <code>Thu 15:00</code>.").format(
            task=p.title
        ),
        reply_markup=deadline_keyboard(p.task, with_none=False),
    )
    await answer(p.query)


async def _ask_whom(p: _Press, _arg: str) -> None:
    """👤: the team's other members to give the task to."""
    members = await p.repos.workspaces.members(p.task.workspace_id)
    people = await p.repos.users.many(
        [m.user_id for m in members if m.user_id != p.task.assignee_id]
    )
    if not people:
        await answer(
            p.query,
            _("Nobody else is in your team yet. Invite a colleague with /invite."),
            show_alert=True,
        )
        return
    await p.replies.send(
        p.msg.chat.id,
        _("Whom to give {task}?").format(task=p.title),
        reply_markup=people_keyboard(p.task, sorted(people.values(), key=lambda x: x.display_name)),
    )
    await answer(p.query)


async def _give_to(p: _Press, arg: str) -> None:
    """A member picked: the task is theirs now, and they are told."""
    new_id = id_arg(arg)
    member = await p.repos.workspaces.membership(p.task.workspace_id, new_id) if new_id else None
    person = await p.repos.users.get(new_id) if member is not None and new_id else None
    if person is None:
        await answer(p.query, _("That person is not in your team any more."), show_alert=True)
        return
    if p.task.assignee_id == person.id:
        await answer(p.query, _("Already theirs."))
        return
    task = await reassign(p.repos, p.task, person, p.now, p.settings.default_timezone)
    await p.close_question()
    await p.replies.send(
        p.msg.chat.id,
        _("👤 {task} is now {who}'s.").format(task=p.title, who=esc(person.display_name)),
    )
    await _tell(p.repos, p.replies, p.settings, p.now, p.user, person, task, p.client, _given_text)
    await answer(p.query)


_ON_PRESS: dict[str, Callable[[_Press, str], Awaitable[None]]] = {
    "open": _open,
    "done": _done,
    "pg": _progress,
    "due": _deadline,
    "move": _ask_deadline,
    "who": _ask_whom,
    "to": _give_to,
}


async def _move(
    query: CallbackQuery | None,
    msg: Message | None,
    task: Task,
    client: Client | None,
    user: User,
    at: datetime,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    now: datetime,
    lang: str,
    zone: str,
) -> bool:
    """Give the task this deadline and show it; False if the deadline cannot be."""
    try:
        task = await set_deadline(repos, task, at, now, settings.default_timezone)
    except TaskError as exc:
        if query is not None:
            await answer(query, error_text(exc).split("<code>")[0], show_alert=True)
        else:
            await replies.send(user.id, error_text(exc))
        return False
    if user.awaiting == f"{AWAIT}:{task.id}":
        await repos.users.update(user.id, now, awaiting=None)
    chat_id = msg.chat.id if msg is not None else user.id
    if msg is not None:
        await replies.edit_markup(msg.chat.id, msg.message_id, None)
    author = await repos.users.get(task.author_id)
    assignee = await repos.users.get(task.assignee_id)
    await replies.send(
        chat_id,
        task_card(task, client, author, assignee, zone, lang, now),
        reply_markup=task_keyboard(task),
    )
    # The other side of the task (assignee or author) sees the new deadline too.
    for other in (assignee, author):
        if other is not None and other.id != user.id:
            await _tell(repos, replies, settings, now, user, other, task, client, _moved_text)
            break
    if query is not None:
        await answer(query)
    return True


async def _tell_author(
    repos: Repos,
    replies: Replies,
    settings: Settings,
    task: Task,
    client: Client | None,
    by: User,
    what: str,
) -> None:
    """The person who gave the task hears of its progress or completion."""
    if task.author_id == by.id:
        return
    author = await repos.users.get(task.author_id)
    if author is None or author.blocked_at is not None:
        return
    lang = pick_language(author, None, settings.default_language)
    with speaking(get_i18n(), lang):
        title = task_title(task, client)
        text = (
            _("✅ {who} finished {task}.").format(who=esc(by.display_name), task=title)
            if what == "done"
            else _("{who}: {task} — {percent}.").format(
                who=esc(by.display_name), task=title, percent=percent_label(task.progress or 0)
            )
        )
        await replies.send(author.id, text, on_behalf_of=by.id)


@router.callback_query(TaskCb.filter(F.action == "self"), F.message)
async def on_take_myself(
    query: CallbackQuery,
    callback_data: TaskCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """✋ I'll do it myself: the task that named an outsider becomes the author's own."""
    msg = query.message
    if user is None or not isinstance(msg, Message):
        await answer(query)
        return
    now = clock.now()
    taken = await repos.drafts.take(callback_data.id, user.id, DRAFT_KIND, now, callback_data.t)
    if taken.state != ASKED:
        await answer(query, question_closed(taken.state), show_alert=True)
        return
    draft = taken.payload
    workspace_id = draft.get("ws")
    member = (
        await repos.workspaces.membership(workspace_id, user.id)
        if isinstance(workspace_id, int)
        else None
    )
    if member is None or not await group_may_show(repos, msg, workspace_id):
        await answer(query, _("You are not in this team."), show_alert=True)
        return
    client = await repos.clients.get(draft["client"]) if draft.get("client") else None
    due = (
        datetime.fromtimestamp(draft["due"], tz=UTC)
        if isinstance(draft.get("due"), (int, float))
        else None
    )
    asker = await ask_context(msg.chat.id, user, repos, replies, settings, clock, lang)
    if asker is None:
        await answer(query)
        return
    await replies.edit_markup(msg.chat.id, msg.message_id, None)
    await _create(
        asker,
        workspace_id,
        client,
        user,
        str(draft.get("what", "")),
        bool(draft.get("urgent")),
        due,
        now,
    )
    await answer(query)


@router.message(awaited(AWAIT))
async def on_deadline_text(
    message: Message,
    ref: int,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """A typed deadline for a task that has none, or a new one for a task being moved."""
    assert message.text is not None
    now, text = clock.now(), message.text.strip()
    task = await repos.tasks.get(ref)
    member = await repos.workspaces.membership(task.workspace_id, user.id) if task else None
    if task is None or member is None or task.state != "open":
        await repos.users.update(user.id, now, awaiting=None)
        await replies.send(message.chat.id, _("This task is already closed."))
        return
    found = read_deadline(text, user, now, settings.default_timezone)
    problem = date_problem(text, found, now)
    if problem is not None:
        await replies.send(message.chat.id, problem)  # the question stays open for another try
        return
    assert found.at is not None
    client = await repos.clients.get(task.client_id) if task.client_id else None
    zone = user.timezone or settings.default_timezone
    await _move(None, None, task, client, user, found.at, repos, replies, settings, now, lang, zone)
