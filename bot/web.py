"""The HTTP side of the process: website lead intake and /healthz, on aiohttp."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram.types import Update
from aiogram.utils.i18n import I18n
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from multidict import MultiDictProxy
from pydantic import ValidationError

from bot import __version__
from bot.clock import Clock
from bot.scheduler.alarm import Alarm
from bot.scheduler.delivery import Delivery
from bot.scheduler.notify import announce_lead
from bot.services.intake import (
    EXAMPLE,
    MAX_BODY,
    FailureLimiter,
    IntakeError,
    client_key,
    fingerprint,
    idempotency_key,
    lead_ref,
    plausible_secret,
    secret_matches,
    validate,
)
from bot.services.leads import create_lead, known_client, new_request, workspace_sla
from bot.settings import Settings
from bot.storage.coordination import Coordination, hold, wake_others
from bot.storage.db import Database
from bot.storage.repositories import Repos
from bot.telegram.middlewares import chat_of
from bot.telegram.outbox import Replies
from bot.telegram.polling import Poller

log = logging.getLogger("nudge.web")
server_log = logging.getLogger("nudge.web.server")

POLL_STALE_SECONDS = 60
# Storage errors are retried this often inside one webhook request before answering 503.
WEBHOOK_ATTEMPTS = 3
# Telegram's largest update (a 4,096-character message with its quote, entities and escapes)
# stays far below this.
WEBHOOK_MAX_BODY = 1024 * 1024
OUTBOX_STALE_SECONDS = 300
# The same fields posted again within this window are one lead (a double-clicked submit).
DUPLICATE_WINDOW = timedelta(minutes=1)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A browser's fetch() with a string body sends text/plain (no CORS preflight needed).
JSON_TYPES = ("application/json", "text/plain")
# A website's script on another origin may read our answer, and may send JSON or the key.
CORS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
    "Access-Control-Max-Age": "86400",
}


@dataclass(frozen=True)
class HttpLimits:
    """How long a client may take and how often it may guess a secret; tests shrink them."""

    # Headers, then body: a client gets about 10 s in all, so trickling bytes holds no socket.
    header_timeout: float = 5.0
    body_timeout: float = 5.0
    failures: int = 10
    failure_window: timedelta = timedelta(minutes=1)


@dataclass
class WebDeps:
    """What the HTTP handlers need from the running bot."""

    db: Database
    clock: Clock
    settings: Settings
    i18n: I18n
    delivery: Delivery
    alarm: Alarm
    poller: Poller
    coordination: Coordination


class _ClientFaults(logging.Filter):
    """A malformed request or a vanished client is the client's fault: one line, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Demote aiohttp's "Error handling request" for client faults; keep our own bugs loud."""
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError | RequestPayloadError | ConnectionError):
            record.levelno, record.levelname = logging.INFO, "INFO"
            # The original message may quote the request line, and so the intake secret.
            record.msg, record.args = "refused a malformed HTTP request (%s)", (type(exc).__name__,)
            record.exc_info = record.exc_text = None
        return True


server_log.addFilter(_ClientFaults())


class _ChatLocks:
    """One lock per chat with updates in hand, forgotten when none waits."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, chat: int) -> AsyncIterator[None]:
        """Wait for the chat's earlier updates, then hold it."""
        lock, users = self._locks.setdefault(chat, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[chat]


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def _error(status: int, reason: str, headers: dict[str, str] | None = None) -> web.Response:
    return _json(status, {"ok": False, "error": reason}, {**CORS, **(headers or {})})


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _json_fields(raw: bytes) -> dict[str, object]:
    """A JSON object from the body; numbers stay text, exactly as typed (a phone, a budget)."""
    try:
        data = json.loads(
            raw.decode("utf-8-sig"),
            parse_int=str,
            parse_float=str,
            parse_constant=_no_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise IntakeError(400, f"malformed JSON: send an object like {EXAMPLE}") from exc
    if not isinstance(data, dict):
        raise IntakeError(400, f"the JSON body must be an object like {EXAMPLE}")
    return data


def _form_fields(form: MultiDictProxy[Any]) -> dict[str, object]:
    """Text fields of a form, a repeated name (checkboxes) joined; uploaded files are skipped."""
    fields: dict[str, object] = {}
    for key, value in form.items():
        if not isinstance(value, str):
            value.file.close()  # an upload: nothing a lead card can show
            continue
        fields[key] = f"{fields[key]}, {value}" if key in fields else value
    return fields


async def _read_fields(request: web.Request) -> dict[str, object]:
    """JSON object or form fields (urlencoded or multipart); 400/413 with a reason otherwise."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise IntakeError(413, f"body larger than {MAX_BODY} bytes")
    content_type = request.content_type
    try:
        # Forms are read by request.post() alone: reading the body first leaves multipart empty.
        if content_type in FORM_TYPES:
            return _form_fields(await request.post())
        if content_type in JSON_TYPES or content_type.endswith("+json"):
            return _json_fields(await request.read())
    except IntakeError:
        raise
    except web.HTTPRequestEntityTooLarge as exc:
        raise IntakeError(413, f"body larger than {MAX_BODY} bytes") from exc
    except (ValueError, LookupError, RequestPayloadError, web.HTTPBadRequest) as exc:
        # A bad boundary, charset or chunk: aiohttp's parsers say so with these.
        raise IntakeError(400, "malformed form body") from exc
    raise IntakeError(
        400, f"send JSON (Content-Type: application/json) like {EXAMPLE}, or form fields"
    )


async def _timed_out(request: web.Request) -> web.Response:
    """Answer 408 and drop the connection, without lingering to read the rest of a slow body."""
    response = _error(408, "the request body took too long")
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()
    return response


def make_web_app(deps: WebDeps, limits: HttpLimits | None = None) -> web.Application:
    """The aiohttp application with its routes."""
    limits = limits or HttpLimits()
    limiter = FailureLimiter(limits.failures, limits.failure_window)
    # Lead ids given to websites are keyed by a server-side secret: the intake secret itself is
    # public in a site's page, and would let anyone count leads by trying ids.
    ref_key = hashlib.sha256(
        b"nudge intake lead id\0" + deps.settings.bot_token.get_secret_value().encode()
    ).digest()

    async def find_workspace(secret: str) -> int | None:
        """The workspace an intake secret belongs to; a read that never waits for a writer."""
        if not plausible_secret(secret):
            return None
        async with deps.db.reader() as session:
            found = await Repos(session).workspaces.by_intake_secret(secret)
        if found is None or not secret_matches(found[1], secret):
            return None
        return found[0]

    async def intake(request: web.Request) -> web.Response:
        """POST /intake/<secret>: one lead from a website form."""
        client = client_key(request.remote, request.headers.get("X-Forwarded-For"))
        wait = limiter.retry_after(client, deps.clock.now())
        if wait is not None:
            # Answered from memory: a guessing client costs the database nothing.
            retry = str(max(1, math.ceil(wait.total_seconds())))
            return _error(429, "too many wrong intake URLs; try later", {"Retry-After": retry})
        workspace_id = await find_workspace(request.match_info["secret"])
        if workspace_id is None:
            limiter.failed(client, deps.clock.now())
            return _error(404, "not found")
        try:
            key = idempotency_key(request.headers.get("Idempotency-Key"))
            async with asyncio.timeout(limits.body_timeout):
                fields = await _read_fields(request)
            form = validate(fields)
        except IntakeError as exc:
            return _error(exc.status, exc.reason)
        except TimeoutError:
            return await _timed_out(request)
        now = deps.clock.now()
        digest = fingerprint(fields)
        async with deps.db.session() as session:
            repos = Repos(session)
            # Checked in the same transaction that creates the lead, under the workspace's
            # intake lock (SQLite's single writer, a PostgreSQL advisory lock across
            # instances), so two identical posts racing each other still make one lead.
            await hold(session, f"intake:{workspace_id}")
            if key:
                earlier = await repos.intake.by_key(workspace_id, key)
                if earlier is not None and earlier[1] != digest:
                    return _error(422, "this Idempotency-Key was already used for other data")
                existing = earlier[0] if earlier else None
            else:
                existing = await repos.intake.recent(workspace_id, digest, now - DUPLICATE_WINDOW)
            if existing is not None:
                ref = lead_ref(ref_key, workspace_id, existing)
                return _json(200, {"ok": True, "lead_id": ref, "duplicate": True}, CORS)
            workspace = await repos.workspaces.get(workspace_id)
            if workspace is None:  # deleted since the lookup
                return _error(404, "not found")
            sla = workspace_sla(workspace, deps.settings.lead_response_sla)
            # A form from a client the team already has is their new request: logged on
            # their history, and the answer clock runs again (no second client).
            known = await known_client(repos, workspace.id, form.lead)
            if known is not None:
                lead = await new_request(
                    repos, workspace, known, form.lead, now=now, sla=sla, source=form.source
                )
            else:
                lead = await create_lead(
                    repos,
                    workspace,
                    workspace.owner_id,
                    form.lead,
                    now=now,
                    sla=sla,
                    source=form.source,
                )
            await repos.intake.record(workspace_id, key, digest, lead.id, now)
            await announce_lead(
                repos,
                Replies(repos, deps.clock),
                deps.i18n,
                deps.settings,
                lead,
                sla,
                now,
                again=known is not None,
                request=form.lead.note if known is not None else None,
            )
            await wake_others(session)
        deps.delivery.poke()
        await deps.alarm.arm()
        log.info("intake: lead %s created in workspace %s", lead.id, workspace_id)
        ref = lead_ref(ref_key, workspace_id, lead.id)
        return _json(201, {"ok": True, "lead_id": ref}, CORS)

    async def preflight(_request: web.Request) -> web.Response:
        """OPTIONS /intake/<secret>: a browser asks whether a site's script may post JSON."""
        return web.Response(status=204, headers=PREFLIGHT)

    async def healthz(_request: web.Request) -> web.Response:
        """GET /healthz: this instance's role, update freshness and the outbox backlog."""
        async with deps.db.reader() as session:
            pending, oldest = await Repos(session).outbox.stats()
        since_poll = time.monotonic() - deps.poller.last_ok
        oldest_age = (deps.clock.now() - oldest).total_seconds() if oldest else 0.0
        # Each check is one condition for "healthy". A webhook instance may rightly hear
        # nothing for hours, so only polling is held to a freshness.
        checks = {
            "polling": webhook or since_poll < POLL_STALE_SECONDS,
            # Only the instance that delivers answers for the queue: a backed-up outbox must
            # not take every follower out of the load balancer too.
            "outbox": not deps.coordination.leads or oldest_age < OUTBOX_STALE_SECONDS,
            "database": not deps.db.lost,
        }
        healthy = all(checks.values())
        return _json(
            200 if healthy else 503,
            {
                "ok": healthy,
                "version": __version__,
                "role": deps.coordination.role,
                "updates": "webhook" if webhook else "polling",
                "seconds_since_last_update" if webhook else "seconds_since_last_poll": round(
                    since_poll, 3
                ),
                "notifications_pending": pending,
                "oldest_pending_seconds": round(oldest_age, 3),
                "database": deps.db.lost or "ok",
            },
        )

    async def telegram(request: web.Request) -> web.Response:
        """POST <WEBHOOK_URL's path>: one update from Telegram, answered 200 only once its
        transaction has committed (anything else makes Telegram send it again, harmlessly)."""
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), webhook_token.encode()
        ):
            return web.Response(status=401)
        # Read here, not by request.read(): an update may be larger than the intake's cap.
        chunks, size = [], 0
        while chunk := await request.content.read(65536):
            size += len(chunk)
            if size > WEBHOOK_MAX_BODY:
                return web.Response(status=413)
            chunks.append(chunk)
        try:
            update = Update.model_validate(
                json.loads(b"".join(chunks)), context={"bot": deps.poller.bot}
            )
        except (ValueError, ValidationError, RecursionError):
            return web.Response(status=400)
        deps.poller.last_ok = time.monotonic()
        # Updates of one chat wait for each other here: their order is kept in this process
        # (other processes are held off by the chat's lock in the transaction).
        async with chat_locks.hold(chat_of(update)):
            applied = await deps.poller.handle(update, storage_attempts=WEBHOOK_ATTEMPTS)
        return web.Response(status=200 if applied else 503)

    webhook = bool(deps.settings.webhook_url)
    webhook_token = deps.settings.webhook_token() if webhook else ""
    chat_locks = _ChatLocks()

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/intake/{secret}", intake)
    app.router.add_route("OPTIONS", "/intake/{secret}", preflight)
    app.router.add_get("/healthz", healthz)
    if webhook:
        app.router.add_post(deps.settings.webhook_path(), telegram)
    return app


async def start_web(
    deps: WebDeps, host: str, port: int, limits: HttpLimits | None = None
) -> web.AppRunner:
    """Serve the web app; the caller cleans the runner up at shutdown."""
    limits = limits or HttpLimits()
    runner = web.AppRunner(
        make_web_app(deps, limits),
        # The intake URL carries a secret and must never reach a log.
        access_log=None,
        logger=server_log,
        # The idle timer also runs from the connection's start until its request's headers are
        # complete (data arriving does not reset it): it is the header timeout.
        keepalive_timeout=limits.header_timeout,
        # After an early answer (404, 413) the rest of the body is read and dropped this long.
        lingering_time=limits.body_timeout,
        # A stop waits this long for requests in hand (each answers within seconds or 503s),
        # not aiohttp's minute.
        shutdown_timeout=5.0,
    )
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("HTTP server listening on %s:%s", host, port)
    return runner
