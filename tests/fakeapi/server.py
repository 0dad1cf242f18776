"""A fake Telegram Bot API server for end-to-end tests and benchmarks."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp import web

TEXT_KEYS = frozenset(
    {
        "text",
        "caption",
        "description",
        "short_description",
        "name",
        "title",
        "query",
        "data",
        "url",
        "emoji",
        "question",
        "explanation",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "business_connection_id",
        "parse_mode",
        "custom_title",
        "message_text",
        # Webhook secrets are free text: "0012" must not arrive as the number 12.
        "secret_token",
    }
)
NUM_RE = re.compile(r"-?\d+(\.\d+)?")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a content and reply markup of the current message"
)
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
SEND_MEDIA = {
    "sendphoto": "photo",
    "senddocument": "document",
    "sendvideo": "video",
    "sendaudio": "audio",
    "sendvoice": "voice",
    "sendsticker": "sticker",
}
# getChatMember statuses the fake can be told to answer (set_member), and the rights an
# administrator has (all of them, as the group's creator would grant).
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
)
RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Update kinds whose chat is `<kind>.chat.id`: Telegram posts one chat's updates one at a time.
CHAT_UPDATE_KINDS = (
    "message",
    "edited_message",
    "business_message",
    "edited_business_message",
    "my_chat_member",
    "deleted_business_messages",
)


@dataclass
class Call:
    """One request the bot made: method, decoded params, arrival time and the answer sent."""

    method: str
    params: dict[str, Any]
    at: float
    response: dict[str, Any]
    status: int = 200


@dataclass
class _Fault:
    """A queued error answer for a method (optionally for one chat)."""

    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None = None


@dataclass
class Webhook:
    """The webhook set by setWebhook."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None


def update_chat(update: dict[str, Any]) -> tuple[str, int]:
    """The queue an update is delivered in: its chat, or (for chat-less updates) its own."""
    for kind in CHAT_UPDATE_KINDS:
        chat = (update.get(kind) or {}).get("chat") or {}
        if "id" in chat:
            return ("chat", chat["id"])
    query = update.get("callback_query")
    if query is not None:
        chat = (query.get("message") or {}).get("chat") or {}
        if "id" in chat:
            return ("chat", chat["id"])
        if "id" in (query.get("from") or {}):
            return ("chat", query["from"]["id"])
    return ("update", update["update_id"])


class ApiError(Exception):
    """Raised by method handlers to answer with a Telegram error."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        """Keep the error code, description and optional retry_after."""
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


def error_body(status: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    """Telegram's error JSON."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


def decode_value(key: str, value: Any) -> Any:
    """Decode one form field: JSON objects/lists, booleans and numbers (free text stays str)."""
    if isinstance(value, web.FileField):
        return value.filename or "<file>"
    if not isinstance(value, str):
        return value
    if key in TEXT_KEYS:
        return value
    if value and value[0] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if NUM_RE.fullmatch(value):
        return float(value) if "." in value else int(value)
    return value


class FakeTelegram:
    """In-process fake of the Telegram Bot API (aiohttp) with recording and fault injection."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_id: int = 123456,
        username: str = "nudge_test_bot",
        port: int = 0,
        first_update_id: int = 1,
    ) -> None:
        """Configure the fake; call start() (or use `async with`) to serve."""
        self.token, self.bot_id, self.username, self.port = token, bot_id, username, port
        self.url = ""
        self.calls: list[Call] = []
        self.blocked: set[int] = set()
        self.rate_limit_per_second = None
        self.get_updates_fail = 0
        # Every Nth send* call is refused with 429 (retry_after 1): a steady share of refusals.
        self.refuse_every: int | None = None
        self._sends = 0
        self.confirmed_offset = 0
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.bot_settings: dict[str, Any] = {}
        # (chat_id, user_id) -> getChatMember status; unset: the bot is an administrator,
        # everyone else a member.
        self.members: dict[tuple[int, int], str] = {}
        # Telegram Business connections by id, as getBusinessConnection returns them.
        self.business_connections: dict[str, dict[str, Any]] = {}
        self._update_ids = itertools.count(first_update_id)
        self._callback_ids = itertools.count(1)
        self._history: dict[int, dict[str, Any]] = {}
        self._queue: dict[int, dict[str, Any]] = {}
        self._fresh: set[int] = set()
        self._msg_seq: dict[int, int] = {}
        self._faults: list[_Fault] = []
        # Methods whose calls wait unanswered until their event is set (see hold()), and the
        # calls that arrived at a hold.
        self._holds: dict[str, asyncio.Event] = {}
        self.held: list[tuple[str, dict[str, Any]]] = []
        self._poll_gen = 0
        self._closing = False
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        # Webhook delivery (setWebhook). webhook_backends emulates a load balancer: POSTs go
        # round-robin to these base URLs, keeping the webhook URL's path and query.
        self.webhook: Webhook | None = None
        self.webhook_backends: list[str] | None = None
        self.webhook_timeout = 30.0
        self.webhook_retry_min = 0.1
        self.webhook_retry_max = 2.0
        # Every POST attempt: (update_id, HTTP status or exception class name, monotonic time
        # of the answer).
        self.webhook_posts: list[tuple[int, int | str, float]] = []
        self._webhook_error: tuple[int, str] | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        # update_id -> (monotonic time before which it is not posted again, last back-off).
        self._retry: dict[int, tuple[float, float]] = {}
        self._backend_turn = itertools.count()
        self._delivery: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Bind 127.0.0.1:port and start serving."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        for name in (
            "update",
            "press",
            "block",
            "fail",
            "redeliver",
            "rate",
            "member",
            "business_connection",
            "business_message",
            "webhook",
        ):
            app.router.add_post(f"/_control/{name}", self._control)
        app.router.add_get("/_control/calls", self._control_calls)
        self._closing = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{self.port}"
        if self.webhook is not None:  # restarted after stop(): the webhook is still set
            self._start_delivery()

    async def stop(self) -> None:
        """Release pending long-polls and shut the server down."""
        self._closing = True
        self._bump()
        await self._stop_delivery()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        """Start and return self."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop."""
        await self.stop()

    @property
    def rate_limit_per_second(self) -> float | None:
        """Global send* rate limit (token bucket, burst = max(1, rate)); None disables it."""
        return self._rate

    @rate_limit_per_second.setter
    def rate_limit_per_second(self, value: float | None) -> None:
        """Set the limit and start with a full bucket."""
        self._rate, self._tokens, self._tokens_at = value, max(1.0, value or 0), time.monotonic()

    def _bump(self) -> None:
        """Wake everything waiting for a change (calls, updates, polls)."""
        self._changed.set()
        self._changed = asyncio.Event()

    # ----------------------------------------------------------------- webhook delivery
    async def wait_webhook_idle(self, timeout: float) -> None:
        """Wait until every queued update was confirmed and no webhook POST is in flight."""
        try:
            async with asyncio.timeout(timeout):
                while self._queue or self._in_flight:
                    await self._changed.wait()
        except TimeoutError:
            posts = "\n".join(f"  {p}" for p in self.webhook_posts[-20:])
            raise AssertionError(
                f"webhook not idle after {timeout}s: queued {sorted(self._queue)}, "
                f"in flight {sorted(self._in_flight)}, webhook {self.webhook}. "
                f"Last POSTs (update_id, status, at):\n{posts or '  (none)'}"
            ) from None

    def _start_delivery(self) -> None:
        """Start the delivery task (once) and the HTTP client it posts with."""
        if self._http is None or self._http.closed:
            # Our own max_connections bounds concurrency; the connector must not add another.
            self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        if self._delivery is None or self._delivery.done():
            self._delivery = asyncio.create_task(self._deliver(), name="fake-webhook-delivery")

    async def _stop_delivery(self) -> None:
        """Cancel the delivery task and every POST in flight (their updates stay queued)."""
        tasks = [t for t in (self._delivery, *self._in_flight.values()) if t is not None]
        self._delivery = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._in_flight.clear()
        self._retry.clear()
        self._bump()

    async def _deliver(self) -> None:
        """Post queued updates while a webhook is set: one chat's in order, chats in parallel."""
        while self.webhook is not None and not self._closing:
            changed = self._changed  # taken before the scan, so no change is missed
            wake = self._post_ready(self.webhook)
            try:
                async with asyncio.timeout(wake):
                    await changed.wait()
            except TimeoutError:
                pass  # a retry's back-off ran out

    def _post_ready(self, hook: Webhook) -> float | None:
        """Start POSTs for every update that may go now; return seconds until a back-off
        ends (None if no update waits for one)."""
        now = time.monotonic()
        waits: list[float] = []  # seconds until each back-off ends
        # Chats with an update in flight, or with an earlier update still queued: one chat
        # gets one POST at a time, even when redeliver() re-queued an earlier update.
        busy = {update_chat(self._history[i]) for i in self._in_flight}
        for update_id in sorted(self._queue):
            chat = update_chat(self._queue[update_id])
            if chat in busy:
                continue
            busy.add(chat)
            not_before = self._retry.get(update_id, (0.0, 0.0))[0]
            if not_before > now:
                waits.append(not_before - now)
                continue
            if len(self._in_flight) >= hook.max_connections:
                break
            # Like getUpdates handing an update out: a redeliver() from now on counts again.
            self._fresh.discard(update_id)
            self._in_flight[update_id] = asyncio.create_task(
                self._post(hook, update_id, self._queue[update_id])
            )
        return min(waits, default=None)

    def _webhook_target(self, url: str) -> str:
        """The URL to post to: the webhook's, or its path on the next backend in turn."""
        if not self.webhook_backends:
            return url
        backend = urlsplit(
            self.webhook_backends[next(self._backend_turn) % len(self.webhook_backends)]
        )
        parts = urlsplit(url)
        return urlunsplit((backend.scheme, backend.netloc, parts.path, parts.query, ""))

    async def _post(self, hook: Webhook, update_id: int, update: dict[str, Any]) -> None:
        """POST one update; confirm it on 2xx, else schedule a retry after a back-off."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        status: int | str
        assert self._http is not None
        try:
            async with self._http.post(
                self._webhook_target(hook.url),
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as response:
                await response.read()
                status = response.status
        except asyncio.CancelledError:
            self.webhook_posts.append((update_id, "CancelledError", time.monotonic()))
            raise
        except Exception as e:  # any failure to deliver is Telegram's "retry later"
            status = type(e).__name__
        self.webhook_posts.append((update_id, status, time.monotonic()))
        self._in_flight.pop(update_id, None)
        if isinstance(status, int) and 200 <= status < 300:
            self._retry.pop(update_id, None)
            # A redeliver() while the POST was under way asks for one more delivery.
            if update_id not in self._fresh:
                self._queue.pop(update_id, None)
        else:
            message = (
                f"Wrong response from the webhook: {status}"
                if isinstance(status, int)
                else f"Connection failed: {status}"
            )
            self._webhook_error = (int(time.time()), message)
            if update_id in self._queue:
                last = self._retry.get(update_id, (0.0, 0.0))[1]
                delay = min(max(last * 2, self.webhook_retry_min), self.webhook_retry_max)
                self._retry[update_id] = (time.monotonic() + delay, delay)
        self._bump()

    # ----------------------------------------------------------------- user side
    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot, in id order."""
        return [self._queue[i] for i in sorted(self._queue)]

    def add_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update (without update_id); return the id assigned."""
        update_id = next(self._update_ids)
        self._history[update_id] = self._queue[update_id] = {"update_id": update_id, **update}
        self._bump()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Put an already delivered/confirmed update back so the next getUpdates returns it."""
        self._queue[update_id] = self._history[update_id]
        self._fresh.add(update_id)
        self._bump()

    def _user(
        self,
        user_id: int,
        first_name: str = "Ivan",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> dict[str, Any]:
        """Build (and remember) a Telegram User object."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        extra = {"last_name": last_name, "username": username, "language_code": language_code}
        user.update({k: v for k, v in extra.items() if v is not None})
        self.users[user_id] = user
        return user

    def _chat(self, chat_id: int) -> dict[str, Any]:
        """A known chat, or a plausible one made up from the id's sign."""
        if chat_id in self.chats:
            return self.chats[chat_id]
        if chat_id > 0:
            user = self.users.get(chat_id, {"first_name": "User"})
            return {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": "Group"}

    def _new_message(self, chat_id: int, sender: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """Create and store a message with the chat's next message_id."""
        self._msg_seq[chat_id] = message_id = self._msg_seq.get(chat_id, 0) + 1
        msg = {
            "message_id": message_id,
            "from": sender,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **fields,
        }
        self.messages[(chat_id, message_id)] = msg
        return msg

    def _reply_to(self, chat_id: int, message_id: int | None) -> dict[str, Any]:
        """The reply_to_message field for a reply, if any."""
        if message_id is None:
            return {}
        original = self.messages.get((chat_id, message_id))
        original = original or {"message_id": message_id, "date": 0, "chat": self._chat(chat_id)}
        return {"reply_to_message": {k: v for k, v in original.items() if k != "reply_to_message"}}

    def send_text(
        self,
        text: str,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        language_code: str | None = "ru",
        first_name: str = "Ivan",
        last_name: str | None = None,
        username: str | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
        reply_to_message_id: int | None = None,
        forward_origin: dict | None = None,
        location: tuple[float, float] | None = None,
        extra: dict | None = None,
    ) -> int:
        """Queue a realistic message update from a user; return its update_id."""
        chat_id = user_id if chat_id is None else chat_id
        user = self._user(user_id, first_name, last_name, username, language_code)
        if chat_type == "private":
            chat = {k: v for k, v in user.items() if k in ("first_name", "last_name", "username")}
        else:
            chat = {"title": chat_title or "Group"}
        self.chats[chat_id] = {"id": chat_id, "type": chat_type, **chat}
        fields: dict[str, Any] = self._reply_to(chat_id, reply_to_message_id)
        if location is not None:
            fields["location"] = {"latitude": location[0], "longitude": location[1]}
        else:
            fields["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0] if text.strip() else text
                fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if forward_origin is not None:
            fields["forward_origin"] = forward_origin
        msg = self._new_message(chat_id, user, **fields, **(extra or {}))
        return self.add_update({"message": msg})

    def set_member(self, chat_id: int, user_id: int, status: str = "administrator") -> None:
        """Make getChatMember answer `status` for this user in this chat (the bot too)."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown chat member status {status!r}")
        self.members[(chat_id, user_id)] = status

    def business_connection(
        self,
        connection_id: str,
        *,
        user_id: int = 1001,
        user_chat_id: int | None = None,
        can_reply: bool = True,
        can_read_messages: bool = True,
        is_enabled: bool = True,
        first_name: str = "Ivan",
        language_code: str | None = "ru",
    ) -> int:
        """Queue a business_connection update: `user_id` connected (or changed, or
        disconnected) the bot in Telegram Business; return its update_id."""
        user = self.users.get(user_id) or self._user(
            user_id, first_name, language_code=language_code
        )
        connection = {
            "id": connection_id,
            "user": user,
            "user_chat_id": user_id if user_chat_id is None else user_chat_id,
            "date": int(time.time()),
            "rights": {"can_reply": can_reply, "can_read_messages": can_read_messages},
            "is_enabled": is_enabled,
        }
        self.business_connections[connection_id] = connection
        return self.add_update({"business_connection": connection})

    def business_message(
        self,
        text: str,
        *,
        connection_id: str,
        chat_id: int,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        extra: dict | None = None,
    ) -> int:
        """Queue a business_message update: a message in the private chat `chat_id` (the other
        person's id) of the connected account, written by `user_id` (that person, or the
        account's owner); return its update_id."""
        if first_name is None and user_id in self.users:
            sender = self.users[user_id]  # someone seen before, as they were
        else:
            sender = self._user(user_id, first_name or "Ivan", last_name, username, language_code)
        if chat_id not in self.chats:
            other = self.users.get(chat_id, sender if chat_id == user_id else {})
            names = {k: v for k, v in other.items() if k in ("first_name", "last_name", "username")}
            self.chats[chat_id] = {"id": chat_id, "type": "private", "first_name": "User", **names}
        fields: dict[str, Any] = {"text": text, "business_connection_id": connection_id}
        msg = self._new_message(chat_id, sender, **fields, **(extra or {}))
        return self.add_update({"business_message": msg})

    def last_bot_message(self, chat_id: int) -> dict[str, Any] | None:
        """The newest message the bot sent (and did not delete) in a chat."""
        mine = [
            m
            for (c, _), m in self.messages.items()
            if c == chat_id and m["from"]["id"] == self.bot_id
        ]
        return max(mine, key=lambda m: m["message_id"]) if mine else None

    def press(
        self,
        data: str,
        *,
        user_id: int = 1001,
        message: dict | None = None,
        chat_id: int | None = None,
        language_code: str | None = "ru",
    ) -> int:
        """Queue a callback_query (inline button press) on a bot message; return its update_id."""
        if chat_id is None:
            chat_id = message["chat"]["id"] if message else user_id
        if message is not None:
            message = self.messages.get((chat_id, message["message_id"]), message)
        else:
            message = self.last_bot_message(chat_id)
        if message is None:
            message = self._new_message(chat_id, self._bot_user(), text="…")
        user = {**(self.users.get(user_id) or self._user(user_id)), "language_code": language_code}
        if language_code is None:
            del user["language_code"]
        query = {
            "id": str(next(self._callback_ids)),
            "from": user,
            "message": message,
            "chat_instance": str(abs(chat_id) * 7919 % 10**12),
            "data": data,
        }
        return self.add_update({"callback_query": query})

    # ----------------------------------------------------------------- recording
    def mark(self) -> int:
        """Current number of recorded calls (pass it as `since=`)."""
        return len(self.calls)

    def _matching(self, method: str, match: dict[str, Any], since: int = 0) -> list[Call]:
        """Calls of a method (or '*') from index `since` whose params equal `match`."""
        return [
            c
            for c in self.calls[since:]
            if method in ("*", c.method) or c.method.lower() == method.lower()
            if all(c.params.get(k) == v for k, v in match.items())
        ]

    def calls_of(self, method: str, **match: Any) -> list[Call]:
        """Recorded calls of `method` whose params contain every `match` item."""
        return self._matching(method, match)

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 10.0,
        since: int = 0,
    ) -> list[Call]:
        """Wait for `count` matching calls at index >= since; return all matching calls."""

        hits: list[Call] = []
        scanned = since
        wanted = method.lower()

        def scan() -> None:
            # Only calls that arrived since the last look: a wait for thousands of calls
            # must not rescan the whole history on every new call.
            nonlocal scanned
            for call in self.calls[scanned:]:
                if (wanted == "*" or call.method.lower() == wanted) and (
                    predicate is None or predicate(call)
                ):
                    hits.append(call)
            scanned = len(self.calls)

        try:
            async with asyncio.timeout(timeout):
                scan()
                while len(hits) < count:
                    await self._changed.wait()
                    scan()
        except TimeoutError:
            recent = "\n".join(
                f"  #{i} {c.method} {c.status} {json.dumps(c.params)[:300]}"
                for i, c in list(enumerate(self.calls))[-20:]
            )
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} x {method} (since #{since}); "
                f"got {len(hits)}. Last calls:\n{recent or '  (none)'}"
            ) from None
        return hits

    # ----------------------------------------------------------------- faults
    def hold(self, method: str) -> asyncio.Event:
        """Leave every call of `method` unanswered until the returned event is set: the bot
        stays inside whatever it was doing when it called (e.g. a handler's transaction)."""
        release = asyncio.Event()
        self._holds[method.lower()] = release
        return release

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (optionally only for chat_id) fail."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else DESCRIPTIONS.get(status, "Error")
            )
        self._faults.append(
            _Fault(method.lower(), status, description, retry_after, times, chat_id)
        )

    def _check_faults(self, method: str, params: dict[str, Any]) -> None:
        """Raise ApiError for injected faults, blocked chats and rate limiting."""
        name = method.lower()
        if name == "getupdates" and self.get_updates_fail > 0:
            self.get_updates_fail -= 1
            raise ApiError(502, "Bad Gateway")
        chat_id = params.get("chat_id")
        for fault in self._faults:
            if fault.method == name and fault.chat_id in (None, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                raise ApiError(fault.status, fault.description, fault.retry_after)
        if chat_id in self.blocked and name.startswith(("send", "edit", "copy", "forward")):
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.refuse_every and name.startswith("send") and name != "sendchataction":
            self._sends += 1
            if self._sends % self.refuse_every == 0:
                raise ApiError(429, "Too Many Requests: retry after 1", 1)
        if self._rate and name.startswith("send") and name != "sendchataction":
            now, rate = time.monotonic(), self._rate
            self._tokens = min(max(1.0, rate), self._tokens + (now - self._tokens_at) * rate)
            self._tokens_at = now
            if self._tokens < 1:
                raise ApiError(429, "Too Many Requests: retry after 1", 1)
            self._tokens -= 1

    # ----------------------------------------------------------------- HTTP
    async def _handle(self, request: web.Request) -> web.Response:
        """Entry point for /bot{token}/{method}."""
        if request.match_info["token"] != self.token:
            return web.json_response(error_body(401, "Unauthorized"), status=401)
        at, method = time.monotonic(), request.match_info["method"]
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            raw.update(await request.json())
        elif request.body_exists:
            raw.update(await request.post())
        params = {k: decode_value(k, v) for k, v in raw.items()}
        for key, value in list(params.items()):  # "attach://x" -> the uploaded file's name
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in params:
                params[key] = params.pop(value[9:])
        release = self._holds.get(method.lower())
        if release is not None:
            self.held.append((method, params))
            self._bump()
            await release.wait()
        try:
            self._check_faults(method, params)
            handler = getattr(self, f"_api_{method.lower()}", None)
            result = await handler(params) if handler else self._generic(method, params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as e:
            status, body = e.status, error_body(e.status, e.description, e.retry_after)
        except (KeyError, TypeError, ValueError) as e:
            status, body = 400, error_body(400, f"Bad Request: invalid parameters ({e!r})")
        self.calls.append(Call(method, params, at, body, status))
        self._bump()
        return web.json_response(body, status=status)

    def _generic(self, method: str, params: dict[str, Any]) -> Any:
        """Fallback: other send* methods return a Message, everything else `true`."""
        name = method.lower()
        if (name.startswith("send") and name != "sendchataction") or name == "forwardmessage":
            fields: dict[str, Any] = {}
            if key := SEND_MEDIA.get(name):
                media = {"file_id": f"F{len(self.calls)}", "file_unique_id": f"U{len(self.calls)}"}
                if name == "senddocument":
                    media["file_name"] = str(params.get("document"))
                fields[key] = [{**media, "width": 90, "height": 90}] if key == "photo" else media
            if "caption" in params:
                fields["caption"] = params["caption"]
            if name == "sendlocation":
                fields["location"] = {k: params.get(k) for k in ("latitude", "longitude")}
            return self._new_message(params["chat_id"], self._bot_user(), **fields)
        if name == "copymessage":
            return {
                "message_id": self._new_message(params["chat_id"], self._bot_user())["message_id"]
            }
        return True

    async def _control(self, request: web.Request) -> web.Response:
        """POST /_control/{update,press,block,fail,redeliver,rate,member,business_*,webhook}."""
        action = request.path.rsplit("/", 1)[-1]
        body: dict[str, Any] = await request.json() if request.body_exists else {}
        result: Any = True
        if action == "update":
            kwargs = {k: v for k, v in body.items() if k != "update_id"}
            if "text" in kwargs or "location" in kwargs:
                if "location" in kwargs:
                    kwargs["location"] = tuple(kwargs["location"])
                result = self.send_text(kwargs.pop("text", ""), **kwargs)
            else:
                result = self.add_update(kwargs)
        elif action == "press":
            chat_id = body.get("chat_id", body.get("user_id", 1001))
            message = (
                self.messages.get((chat_id, body["message_id"])) if "message_id" in body else None
            )
            result = self.press(
                body["data"],
                user_id=body.get("user_id", 1001),
                message=message,
                chat_id=chat_id,
                language_code=body.get("language_code", "ru"),
            )
        elif action == "block":
            (self.blocked.add if body.get("blocked", True) else self.blocked.discard)(
                int(body["chat_id"])
            )
        elif action == "fail":
            self.fail_next(
                body["method"],
                status=int(body["status"]),
                description=body.get("description"),
                retry_after=body.get("retry_after"),
                times=body.get("times", 1),
                chat_id=body.get("chat_id"),
            )
        elif action == "redeliver":
            self.redeliver(int(body["update_id"]))
        elif action == "rate":
            self.rate_limit_per_second = body.get("per_second")
        elif action == "member":
            self.set_member(
                int(body["chat_id"]), int(body["user_id"]), body.get("status", "administrator")
            )
        elif action == "business_connection":
            result = self.business_connection(body.pop("id"), **body)
        elif action == "business_message":
            result = self.business_message(body.pop("text", ""), **body)
        elif action == "webhook":
            # Delivery knobs for a fake in another process; absent keys are left as they are.
            for key in ("backends", "timeout", "retry_min", "retry_max"):
                if key in body:
                    setattr(self, f"webhook_{key}", body[key])
            result = {
                "posts": [list(p) for p in self.webhook_posts],
                "in_flight": sorted(self._in_flight),
            }
        return web.json_response({"ok": True, "result": result})

    async def _control_calls(self, request: web.Request) -> web.Response:
        """GET /_control/calls?since=N&method=M: recorded calls as JSON."""
        since = int(request.query.get("since", 0))
        method = request.query.get("method", "*")
        calls = [
            {
                "index": i,
                "method": c.method,
                "params": c.params,
                "at": c.at,
                "status": c.status,
                "response": c.response,
            }
            for i, c in enumerate(self.calls)
            if i >= since
            if method == "*" or c.method.lower() == method.lower()
        ]
        return web.json_response(calls)

    # ----------------------------------------------------------------- Bot API methods
    def _bot_user(self) -> dict[str, Any]:
        """The bot as a User object."""
        return {"id": self.bot_id, "is_bot": True, "first_name": "Nudge", "username": self.username}

    async def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        """getMe."""
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """getUpdates: confirm by offset, then long-poll up to `timeout` seconds."""
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset, limit = params.get("offset"), min(max(params.get("limit", 100), 1), 100)
        if isinstance(offset, int) and offset > 0:
            for update_id in [i for i in self._queue if i < offset and i not in self._fresh]:
                del self._queue[update_id]
            self.confirmed_offset = max(self.confirmed_offset, offset)
        self._poll_gen += 1
        generation = self._poll_gen
        self._bump()
        try:
            async with asyncio.timeout(max(float(params.get("timeout", 0)), 0)):
                while (
                    not self._queue
                    and generation == self._poll_gen
                    and self.webhook is None
                    and not self._closing
                ):
                    await self._changed.wait()
        except TimeoutError:
            pass
        if self.webhook is not None:  # set while this poll waited
            raise ApiError(409, WEBHOOK_CONFLICT)
        if generation != self._poll_gen:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure "
                "that only one bot instance is running",
            )
        batch = self.pending_updates[:limit]
        self._fresh.difference_update(u["update_id"] for u in batch)
        return batch

    async def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        """setWebhook: store it and start posting the queue to it (an empty url deletes it)."""
        url = str(params.get("url") or "")
        if not url:
            return await self._api_deletewebhook(params)
        secret = params.get("secret_token")
        if secret is not None and not SECRET_RE.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        self.webhook = Webhook(
            url=url,
            secret_token=None if secret is None else str(secret),
            # Telegram accepts 1-100.
            max_connections=min(max(int(params.get("max_connections", 40)), 1), 100),
            allowed_updates=list(allowed) if isinstance(allowed, list) else None,
        )
        self._webhook_error = None
        self._retry.clear()  # a new webhook gets every update at once
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self._start_delivery()
        self._bump()  # wakes the delivery loop and refuses long-polls under way
        return True

    async def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        """deleteWebhook: stop posting (undelivered updates stay for getUpdates unless
        drop_pending_updates)."""
        self.webhook = None
        await self._stop_delivery()
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        """getWebhookInfo (url "" when none; the webhook's fields only when one is set)."""
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            info["allowed_updates"] = self.webhook.allowed_updates or []
            if self._webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        """sendMessage with Telegram's basic validation."""
        text, chat_id = params.get("text"), params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if not text or not str(text).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(str(text)) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        fields: dict[str, Any] = {"text": str(text), **self._markup(params)}
        reply = params.get("reply_parameters") or {}
        fields.update(
            self._reply_to(chat_id, reply.get("message_id") or params.get("reply_to_message_id"))
        )
        return self._new_message(chat_id, self._bot_user(), **fields)

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any]:
        """Validate an inline keyboard and return it as message fields (others aren't echoed)."""
        markup = params.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return {}
        if sum(len(row) for row in markup["inline_keyboard"]) > 100:
            raise ApiError(400, "Bad Request: reply markup is too long")
        for row in markup["inline_keyboard"]:
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not str(button.get("text", "")).strip():
                    raise ApiError(400, "Bad Request: text buttons are unallowed")
        return {"reply_markup": markup} if any(markup["inline_keyboard"]) else {}

    def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        """Find the bot message an edit* call targets."""
        msg = self.messages.get((params.get("chat_id", 0), params.get("message_id", 0)))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg["from"]["id"] != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def _apply_edit(self, msg: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        """Replace text/markup of a stored message, or fail with 'message is not modified'."""
        new = {k: v for k, v in msg.items() if k not in ("reply_markup", "edit_date")}
        new.update(fields)
        same = all(new.get(k) == msg.get(k) for k in ("text", "caption", "reply_markup"))
        if same:
            raise ApiError(400, NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        self.messages[(msg["chat"]["id"], msg["message_id"])] = new
        return new

    async def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        """editMessageText (drops the keyboard unless reply_markup is given, like Telegram)."""
        if "inline_message_id" in params:
            return True
        if not params.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        if len(str(params["text"])) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._apply_edit(
            self._editable(params), {"text": params["text"], **self._markup(params)}
        )

    async def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        """editMessageReplyMarkup."""
        if "inline_message_id" in params:
            return True
        msg = self._editable(params)
        return self._apply_edit(
            msg, {k: msg[k] for k in ("text", "caption") if k in msg} | self._markup(params)
        )

    async def _api_deletemessage(self, params: dict[str, Any]) -> bool:
        """deleteMessage."""
        self.messages.pop((params.get("chat_id", 0), params.get("message_id", 0)), None)
        return True

    async def _api_setmycommands(self, params: dict[str, Any], verb: str = "set") -> Any:
        """set/get/deleteMyCommands, stored per scope and language in bot_settings."""
        key = "commands:" + json.dumps([params.get("scope"), params.get("language_code")])
        if verb == "get":
            return self.bot_settings.get(key, [])
        self.bot_settings[key] = params.get("commands", [])
        return True

    async def _api_getmycommands(self, params: dict[str, Any]) -> Any:
        """getMyCommands."""
        return await self._api_setmycommands(params, "get")

    async def _api_deletemycommands(self, params: dict[str, Any]) -> Any:
        """deleteMyCommands."""
        return await self._api_setmycommands({**params, "commands": []})

    async def _api_getchat(self, params: dict[str, Any]) -> dict[str, Any]:
        """getChat (ChatFullInfo)."""
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **self._chat(params["chat_id"]),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    async def _api_getchatmember(self, params: dict[str, Any]) -> dict[str, Any]:
        """getChatMember: as set by set_member; else the bot is an administrator, everyone
        else a member."""
        user_id = params["user_id"]
        default = "administrator" if user_id == self.bot_id else "member"
        status = self.members.get((params.get("chat_id"), user_id), default)
        if user_id == self.bot_id:
            user = self._bot_user()
        else:
            user = self.users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "User"})
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_promote_members=user_id != self.bot_id,
                **dict.fromkeys(ADMIN_RIGHTS, True),
            )
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "restricted":
            member.update(is_member=True, until_date=0, **dict.fromkeys(RESTRICTED_RIGHTS, False))
        elif status == "kicked":
            member["until_date"] = 0
        return member

    async def _api_getbusinessconnection(self, params: dict[str, Any]) -> dict[str, Any]:
        """getBusinessConnection: a connection announced by business_connection()."""
        connection = self.business_connections.get(str(params.get("business_connection_id")))
        if connection is None:
            raise ApiError(400, "Bad Request: BUSINESS_CONNECTION_INVALID")
        return connection
