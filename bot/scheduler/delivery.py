"""The outbox worker: sends pending notifications, paced, retried, never blocked by one bad row."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.i18n import make_i18n, pick_language, speaking
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.send import Sender
from bot.services.chats import REPLY_KINDS
from bot.services.leads import LEAD_KINDS
from bot.storage.db import Database
from bot.storage.records import Notification
from bot.storage.repositories import Repos
from bot.storage.repositories.outbox import (
    ABOUT_CLIENT,
    ANSWER_KINDS,
    BLOCKED,
    FAILED,
    ON_BEHALF_OF,
)
from bot.telegram.outbox import Replies
from bot.views.common import esc
from bot.views.leads import LeadCb

log = logging.getLogger("nudge.delivery")

MAX_BACKOFF = 300.0
# A lead ping cannot wait minutes for Telegram to recover: it keeps probing every few seconds.
URGENT_MAX_BACKOFF = 3.0
BATCH = 500
# Chats sending at once: at least this many, and as many as the overall rate fills in half a
# second (a booked slot is then never more than half a second away), up to a maximum that
# leaves room in the HTTP session's pool (aiogram's default: 100 connections) for getUpdates
# and the handlers' own calls.
CONCURRENCY = 16
MAX_CONCURRENCY = 64
# A pass stops pacing after this many seconds, so that rows queued meanwhile (an answer to a
# command above all) are looked at again instead of waiting behind a long queue.
PASS_SLICE = 3.0
LEAD_CARD_KIND = "lead_new"  # a website lead's card (see notify.announce_lead)
SUMMARY_KIND = "lead_summary"
UNDELIVERED_KIND = "undelivered"
REPLY_SUMMARY_KIND = "reply_summary"
# Kinds of news that a burst of folds into one message per chat: lead news, and reply pings.
SUMMARISED = {
    SUMMARY_KIND: frozenset({LEAD_CARD_KIND, *LEAD_KINDS}),
    REPLY_SUMMARY_KIND: frozenset(REPLY_KINDS),
}
URGENT_KINDS = frozenset({*LEAD_KINDS, SUMMARY_KIND})
# More lead cards and pings than this waiting for one chat go out as one message.
SUMMARISE_OVER = 5
# Room for the names in a summary: Telegram's limit is 4,096 characters, the rest is framing.
SUMMARY_NAMES_CHARS = 3500
# 400s saying the message to edit is gone (deleted, too old): not a message the bot built wrong.
GONE = ("message to edit not found", "message can't be edited", "MESSAGE_ID_INVALID")
SERVER_TROUBLE = (
    TelegramServerError,
    TelegramNetworkError,
    # A wrong token or API URL: every row would fail alike, so wait and retry.
    TelegramNotFound,
    TelegramUnauthorizedError,
    # An answer that is not Telegram's JSON (a proxy's error page): the server's trouble too.
    ClientDecodeError,
    TimeoutError,
    OSError,
)


def backoff(failures: int, *, urgent: bool = False) -> float:
    """Seconds before the next try after `failures` consecutive server or network errors."""
    return min(URGENT_MAX_BACKOFF if urgent else MAX_BACKOFF, 0.5 * 2.0 ** min(failures, 10))


def summary_text(count: int, names: list[str]) -> str:
    """“7 new leads: Anna, Boris, … and 5 more” in the current language, within 4,096 chars."""
    head = ngettext("{n} new lead: {names}", "{n} new leads: {names}", count).format(
        n=count, names=_names(count, names)
    )
    return head + "\n" + _("Every one of them is in /today.")


def reply_summary_text(count: int, names: list[str]) -> str:
    """“7 clients are waiting for your reply: Anna, Boris, …” within 4,096 chars."""
    head = ngettext(
        "{n} client is waiting for a reply: {names}",
        "{n} clients are waiting for a reply: {names}",
        count,
    ).format(n=count, names=_names(count, names))
    return head + "\n" + _("Every one of them is in /today.")


def _names(count: int, names: list[str]) -> str:
    """Names, escaped and cut to fit a message, with how many more there are."""
    shown: list[str] = []
    used = 0
    for name in names:
        piece = esc(name)
        if used + len(piece) > SUMMARY_NAMES_CHARS:
            break
        shown.append(piece)
        used += len(piece) + 2
    listed = ", ".join(shown)
    if count > len(shown):
        more = _("… and {k} more").format(k=count - len(shown))
        listed = f"{listed}, {more}" if shown else more
    return listed


SUMMARY_TEXTS = {SUMMARY_KIND: summary_text, REPLY_SUMMARY_KIND: reply_summary_text}


def undelivered_text(client: str, colleague: str) -> str:
    """What the sender of a passed lead hears when its recipient has blocked the bot."""
    return _("Could not pass “{client}” to {name}: they have blocked the bot.").format(
        client=esc(client), name=esc(colleague)
    )


def _payload(row: Notification) -> dict[str, Any]:
    """The row's payload, or {} if it cannot be read (the send then fails on its own)."""
    try:
        payload = row.payload_dict()
    except (ValueError, TypeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def is_answer(row: Notification) -> bool:
    """An answer to the chat's own command or button (not something sent on another's behalf)."""
    return row.kind in ANSWER_KINDS and ON_BEHALF_OF not in _payload(row)


def client_of(row: Notification) -> int | None:
    """The client a lead notification is about: stored in its payload, or on its buttons."""
    payload = _payload(row)
    if isinstance(payload.get(ABOUT_CLIENT), int):
        return int(payload[ABOUT_CLIENT])
    markup = payload.get("reply_markup") or {}
    rows = (markup.get("data") or {}).get("inline_keyboard") or []
    for button in (b for line in rows for b in line):
        data = button.get("callback_data") if isinstance(button, dict) else None
        if isinstance(data, str) and data.startswith(LeadCb.__prefix__ + ":"):
            with contextlib.suppress(ValueError, TypeError):
                return LeadCb.unpack(data).client_id
    return None


@dataclass
class _ChatPass:
    """One chat's rows in this pass, in the order they go out."""

    chat_id: int
    rows: list[Notification]
    urgent: bool


class Delivery:
    """Drains the outbox into Telegram; woken by `poke()` after every commit that queues mail."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        clock: Clock,
        limiter: RateLimiter,
        *,
        batch: int = BATCH,
        concurrency: int | None = None,
        pass_slice: float = PASS_SLICE,
        timer: Callable[[], float] = time.monotonic,
        i18n: I18n | None = None,
        default_language: str = "ru",
    ) -> None:
        self.db = db
        self.bot = bot
        self.clock = clock
        self.limiter = limiter
        self.batch = batch
        self.concurrency = concurrency or max(
            CONCURRENCY, min(MAX_CONCURRENCY, int(limiter.global_rate / 2))
        )
        self.send = Sender(bot)
        self.pass_slice = pass_slice
        # The slice is the worker's own running time (a fake clock in tests does not pass it).
        self.timer = timer
        self.i18n = i18n or make_i18n(default_language)
        self.default_language = default_language
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._deadline = 0.0
        # Accepted by Telegram, not yet written down as sent (a commit is in progress).
        self._unmarked: dict[int, int | None] = {}
        self._mark_lock = asyncio.Lock()
        # Consecutive server/network errors per chat, and chats waiting out the backoff
        # (until when, and which of their rows were due): any success ends both.
        self._server_errors: dict[int, int] = {}
        self._held: dict[int, tuple[datetime, list[int]]] = {}
        self._ready_at: datetime | None = None
        self.sent = 0

    def poke(self) -> None:
        """Something was queued: look at the outbox now."""
        self._wake.set()

    def start(self) -> None:
        """Run the worker in the background."""
        self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self, drain_seconds: float = 0.0) -> None:
        """Send what is due for up to `drain_seconds`, then stop; the rest waits in the database.

        The worker loop itself drains (a second sender would pick the same rows twice) and is
        cancelled only if it overruns, e.g. stuck on an unreachable Telegram.
        """
        self._deadline = time.monotonic() + drain_seconds
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), drain_seconds + 5.0)
        except (TimeoutError, asyncio.CancelledError):
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # A cancelled commit leaves accepted messages unrecorded: record them now.
        try:
            await self._record_marks()
        except Exception:
            log.exception("could not record %d delivered message(s)", len(self._unmarked))

    async def _run(self) -> None:
        """Main loop: send what is due, then sleep until the next row or a poke."""
        while True:
            self._wake.clear()
            try:
                tried = await self.run_once()
                if self._stopping and (not tried or time.monotonic() > self._deadline):
                    return
                if tried:
                    continue
                nxt = self._ready_at
                if nxt is None:
                    async with self.db.reader() as session:
                        nxt = await Repos(session).outbox.next_time()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed; retrying in 5 s")
                if self._stopping:
                    return
                nxt = self.clock.now() + timedelta(seconds=5)
            timeout = 60.0
            if nxt is not None:
                timeout = min(timeout, max(0.0, (nxt - self.clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def run_once(self) -> int:
        """Send what is due, pacing for at most one pass slice; return how many rows were tried."""
        await self._record_marks()
        self._ready_at = None
        async with self.db.reader() as session:
            due = await Repos(session).outbox.due(self.clock.now(), self.batch)
        per_chat: dict[int, list[Notification]] = defaultdict(list)
        for row in due:
            if row.id not in self._unmarked:
                per_chat[row.chat_id].append(row)
        if not per_chat:
            return 0
        chats = await self._arrange(per_chat)
        started = self.timer()
        tried = 0
        failures: list[Exception] = []
        # The chats in due order, each taken by the next free worker: a few workers instead
        # of a task per chat queueing on a semaphore.
        waiting = iter(chats)

        async def one_chat(chat: _ChatPass) -> None:
            nonlocal tried
            for n, row in enumerate(chat.rows):
                if not await self._slot(chat.chat_id, started, first=n == 0):
                    return
                tried += 1
                if not await self._deliver(row, chat):
                    return  # keep the chat's order: the rest waits with it

        async def worker() -> None:
            for chat in waiting:
                try:
                    await one_chat(chat)
                except Exception as exc:  # the other chats go on; reported after the pass
                    failures.append(exc)

        # Every chat finishes before the pass ends (a chat still sending in the background
        # would be picked up twice by the next pass); then the first failure is reported.
        workers = min(self.concurrency, len(chats))
        results = await asyncio.gather(*(worker() for _ in range(workers)), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):  # cancelled from inside, not by our caller
                raise RuntimeError("a chat's delivery was cancelled") from result
        if failures:
            raise failures[0]
        return tried

    async def _arrange(self, per_chat: dict[int, list[Notification]]) -> list[_ChatPass]:
        """Per chat: answers, then notifications in due order (a burst of lead news as one)."""
        bursts: dict[tuple[int, str], list[Notification]] = {}
        for chat_id, rows in per_chat.items():
            for family, kinds in SUMMARISED.items():
                burst = [
                    r
                    for r in rows
                    if r.kind in kinds
                    and r.method == "sendMessage"
                    and ON_BEHALF_OF not in _payload(r)
                ]
                if len(burst) > SUMMARISE_OVER:
                    bursts[(chat_id, family)] = burst
        summaries: dict[tuple[int, str], Notification] = {}
        if bursts:
            try:
                summaries = await self._summarise(bursts)
            except Exception:
                log.exception("could not summarise news to %d chat(s)", len(bursts))
        chats = []
        for chat_id, rows in per_chat.items():
            answers = [r for r in rows if is_answer(r)]
            notes = [r for r in rows if not is_answer(r)]
            for (summary_chat, family), summary in summaries.items():
                if summary_chat != chat_id:
                    continue
                # Rows of the burst no longer pending were cancelled or sent meanwhile: drop them.
                folded = {r.id for r in bursts[(summary_chat, family)]}
                notes = [r for r in notes if r.id not in folded] + [summary]
            notes.sort(key=lambda r: (r.due_at, r.id))
            urgent = any(r.kind in URGENT_KINDS for r in notes)
            chats.append(_ChatPass(chat_id, answers + notes, urgent))
        return chats

    async def _summarise(
        self, bursts: dict[tuple[int, str], list[Notification]]
    ) -> dict[tuple[int, str], Notification]:
        """Replace each chat's burst by one “N new leads: …” (or “N clients are waiting for a
        reply: …”) message in the chat's language."""
        # One transaction for every chat: the write lock is in demand during a burst.
        summaries: dict[tuple[int, str], Notification] = {}
        async with self.db.session() as session:
            repos = Repos(session)
            live = await repos.outbox.still_pending([r.id for b in bursts.values() for r in b])
            still = {key: [r for r in burst if r.id in live] for key, burst in bursts.items()}
            clients: dict[tuple[int, str], list[int | str]] = {}  # one entry per client, in order
            for key, rows in still.items():
                keys: list[int | str] = []
                for row in rows:
                    client: int | str = client_of(row) or f"row{row.id}"
                    if client not in keys:
                        keys.append(client)
                clients[key] = keys
            wanted = {k for keys in clients.values() for k in keys if isinstance(k, int)}
            names = {c.id: c.name for c in await repos.clients.many(sorted(wanted))}
            people = await repos.users.many(sorted({chat for chat, _f in bursts if chat > 0}))
            for (chat_id, family), rows in still.items():
                if len(rows) <= SUMMARISE_OVER:
                    continue
                keys = clients[(chat_id, family)]
                listed = [names[k] for k in keys if isinstance(k, int) and k in names]
                language = pick_language(people.get(chat_id), None, self.default_language)
                with speaking(self.i18n, language):
                    text = SUMMARY_TEXTS[family](len(keys), listed)
                summaries[(chat_id, family)] = await repos.outbox.supersede(
                    [r.id for r in rows],
                    chat_id,
                    {"text": text, "parse_mode": "HTML"},
                    kind=family,
                    due_at=min(r.due_at for r in rows),
                    now=self.clock.now(),
                )
        for chat_id, family in summaries:
            log.info(
                "summarised %d %s messages to chat=%s",
                len(still[(chat_id, family)]),
                family,
                chat_id,
            )
        return summaries

    async def _slot(self, chat_id: int, started: float, *, first: bool) -> bool:
        """Wait for the limiter's slot to this chat; False if that would outlast the pass."""
        # A chat's first row waits for its slot however long, so that every chat moves on.
        waited = False
        while True:
            now = self.clock.now()
            elapsed = self.timer() - started
            if elapsed >= self.pass_slice and not waited:
                self._note_ready(now)
                return False
            wait = self.limiter.chat_wait(chat_id)
            if wait <= 0:
                break
            if not first and elapsed + wait > self.pass_slice:
                self._note_ready(now + timedelta(seconds=wait))
                return False
            await self.clock.sleep(wait)
            waited = True
        ahead = self.limiter.overall_wait()
        if not first and elapsed + ahead > self.pass_slice:
            self._note_ready(now + timedelta(seconds=ahead))
            return False
        # Overall slots are booked in the order chats ask (chats start in due order), and a
        # booked slot is kept: nobody re-competes for it after waiting.
        wait = self.limiter.book(chat_id)
        if wait > 0:
            await self.clock.sleep(wait)
        return True

    def _note_ready(self, at: datetime) -> None:
        """Remember the earliest moment a chat left for the next pass may send."""
        if self._ready_at is None or at < self._ready_at:
            self._ready_at = at

    async def _deliver(self, row: Notification, chat: _ChatPass) -> bool:
        """Try one row; False when the chat must wait (its later rows wait too)."""
        attempt = row.attempts + 1
        try:
            message_id = await self.send(row.chat_id, row.method, row.payload_dict())
        except TelegramRetryAfter as exc:
            self._server_errors.pop(row.chat_id, None)  # Telegram answered: not a server error
            self.limiter.refused(row.chat_id, exc.retry_after)
            await self._postpone(row, attempt, float(exc.retry_after), f"429: {exc.message}")
            return False
        except TelegramForbiddenError as exc:
            self._server_errors.pop(row.chat_id, None)
            await self._blocked(row, attempt, exc.message)
            return False  # every other row to this chat was given up with it
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                await self._done(row, attempt, None)
                return True
            await self._refused(row, attempt, f"400: {exc.message}")
            return True
        except SERVER_TROUBLE as exc:
            await self._server_error(row, chat, attempt, f"{type(exc).__name__}: {exc}")
            return False
        except TelegramAPIError as exc:  # 409, 413, a group moved to a supergroup, ...
            await self._refused(row, attempt, f"{type(exc).__name__}: {exc.message}")
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bad row must not stop the others
            # The exception's text may quote the message; the frames say where the bug is.
            log.error(
                "could not send notification=%s chat=%s kind=%s: %s\n%s",
                row.id,
                row.chat_id,
                row.kind,
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            await self._fail(row, attempt, type(exc).__name__)
            return True
        await self._done(row, attempt, message_id)
        return True

    async def _done(self, row: Notification, attempt: int, message_id: int | None) -> None:
        """Telegram accepted the row: write it down before this chat's next message goes."""
        self._unmarked[row.id] = message_id
        try:
            await self._record_marks(row.id)
        except Exception:
            # Kept in memory and out of later passes until a commit succeeds.
            log.exception("could not record notification %s as sent; will retry", row.id)
        self.sent += 1
        log.info(
            "delivered chat=%s kind=%s attempt=%d lateness=%.3fs",
            row.chat_id,
            row.kind,
            attempt,
            (self.clock.now() - row.due_at).total_seconds(),
        )
        if self._server_errors or self._held:
            await self._recovered()

    async def _record_marks(self, nid: int | None = None) -> None:
        """Record accepted messages as sent; marks made during one commit share the next one."""
        # Each chat waits for its mark before its next send: a crash repeats at most the one
        # message per chat that was in flight.
        async with self._mark_lock:
            if not self._unmarked or (nid is not None and nid not in self._unmarked):
                return  # the commit we waited for took this mark along
            marks = dict(self._unmarked)
            async with self.db.session() as session:
                await Repos(session).outbox.mark_sent(list(marks.items()), self.clock.now())
            for done in marks:
                self._unmarked.pop(done, None)

    async def _recovered(self) -> None:
        """A send succeeded: Telegram works, so backoffs start over and held chats go now."""
        self._server_errors.clear()
        held, self._held = self._held, {}
        if not held:
            return
        now = self.clock.now()
        async with self.db.session() as session:
            outbox = Repos(session).outbox
            for until, ids in held.values():
                await outbox.release(ids, until, now)
        log.info("Telegram answers again: %d chat(s) retry now", len(held))
        self._wake.set()

    async def _server_error(
        self, row: Notification, chat: _ChatPass, attempt: int, error: str
    ) -> None:
        """Back off this chat, longer with every consecutive server error (briefly if urgent)."""
        failures = self._server_errors.get(row.chat_id, 0) + 1
        self._server_errors[row.chat_id] = failures
        until = await self._postpone(row, attempt, backoff(failures, urgent=chat.urgent), error)
        self._held[row.chat_id] = (until, [r.id for r in chat.rows])

    async def _postpone(
        self, row: Notification, attempt: int, seconds: float, error: str
    ) -> datetime:
        """Hold the row and the rest of its chat for `seconds`; return until when."""
        until = self.clock.now() + timedelta(seconds=seconds)
        async with self.db.session() as session:
            repos = Repos(session)
            await repos.outbox.retry_later(row.id, until, attempt, error)
            await repos.outbox.postpone_chat(row.chat_id, until)
        log.warning(
            "delivery deferred chat=%s kind=%s attempt=%d retry_in=%.1fs error=%s",
            row.chat_id,
            row.kind,
            attempt,
            seconds,
            error,
        )
        return until

    async def _blocked(self, row: Notification, attempt: int, error: str) -> None:
        """The chat blocked the bot: give up all its rows; tell who passed a lead there."""
        now = self.clock.now()
        told = 0
        async with self.db.session() as session:
            repos = Repos(session)
            lost = [row] + [
                r for r in await repos.outbox.pending_in_chat(row.chat_id) if r.id != row.id
            ]
            await repos.outbox.give_up(row.id, BLOCKED, attempt, error)
            dropped = await repos.outbox.block_chat(row.chat_id, error)
            if row.chat_id > 0:
                await repos.users.mark_blocked(row.chat_id, now)
            for gone in lost:
                try:
                    async with session.begin_nested():
                        told += await self._tell_sender(repos, gone)
                except Exception:
                    log.exception("could not tell the sender of notification %s", gone.id)
        log.warning(
            "given up chat=%s kind=%s attempt=%d lateness=%.3fs reason=blocked (+%d more)",
            row.chat_id,
            row.kind,
            attempt,
            (now - row.due_at).total_seconds(),
            dropped,
        )
        if told:
            self._wake.set()

    async def _tell_sender(self, repos: Repos, row: Notification) -> int:
        """Queue “could not pass” to the person on whose behalf `row` was sent; 1 if queued."""
        payload = _payload(row)
        sender_id = payload.get(ON_BEHALF_OF)
        if not isinstance(sender_id, int) or sender_id == row.chat_id:
            return 0
        sender = await repos.users.get(sender_id)
        if sender is None or sender.blocked_at is not None:
            return 0
        colleague = await repos.users.get(row.chat_id)
        client_id = client_of(row)
        client = await repos.clients.get(client_id) if client_id is not None else None
        with speaking(self.i18n, pick_language(sender, None, self.default_language)):
            text = undelivered_text(
                client.name if client else "—", colleague.display_name if colleague else "—"
            )
        await Replies(repos, self.clock).send(sender_id, text, kind=UNDELIVERED_KIND)
        return 1

    async def _refused(self, row: Notification, attempt: int, error: str) -> None:
        """Telegram refused the message as built: a bug in the bot (or an edit of a lost one)."""
        gone = row.method != "sendMessage" and any(g in error for g in GONE)
        log.log(
            logging.WARNING if gone else logging.ERROR,
            "Telegram refused notification=%s chat=%s kind=%s method=%s attempt=%d: %s",
            row.id,
            row.chat_id,
            row.kind,
            row.method,
            attempt,
            error,
        )
        async with self.db.session() as session:
            await Repos(session).outbox.give_up(row.id, FAILED, attempt, error)

    async def _fail(self, row: Notification, attempt: int, error: str) -> None:
        """Give the row up for good."""
        async with self.db.session() as session:
            await Repos(session).outbox.give_up(row.id, FAILED, attempt, error)
        log.error(
            "given up chat=%s kind=%s attempt=%d lateness=%.3fs reason=%s",
            row.chat_id,
            row.kind,
            attempt,
            (self.clock.now() - row.due_at).total_seconds(),
            error,
        )
