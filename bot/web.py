"""The HTTP side of the process: website lead intake and /healthz, on aiohttp."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram.utils.i18n import I18n
from aiohttp import web

from bot import __version__
from bot.clock import Clock
from bot.scheduler.alarm import Alarm
from bot.scheduler.delivery import Delivery
from bot.scheduler.notify import announce_lead
from bot.services.intake import (
    MAX_BODY,
    IntakeError,
    fingerprint,
    idempotency_key,
    match_secret,
    validate,
)
from bot.services.leads import create_lead, workspace_sla
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.telegram.polling import Poller

log = logging.getLogger("nudge.web")

POLL_STALE_SECONDS = 60
OUTBOX_STALE_SECONDS = 300
# The same fields posted again within this window are one lead (a double-clicked submit).
DUPLICATE_WINDOW = timedelta(minutes=1)


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


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


async def _read_fields(request: web.Request) -> dict[str, Any]:
    """JSON object or form fields; 400/413 with a reason otherwise."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise IntakeError(413, f"body larger than {MAX_BODY} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise IntakeError(413, f"body larger than {MAX_BODY} bytes") from exc
    if len(raw) > MAX_BODY:
        raise IntakeError(413, f"body larger than {MAX_BODY} bytes")
    if request.content_type == "application/json":
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IntakeError(400, "malformed JSON") from exc
        if not isinstance(data, dict):
            raise IntakeError(400, "the JSON body must be an object")
        return data
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    raise IntakeError(400, "send JSON or form fields")


def make_web_app(deps: WebDeps) -> web.Application:
    """The aiohttp application with its two routes."""

    async def intake(request: web.Request) -> web.Response:
        """POST /intake/<secret>: one lead from a website form."""
        secret = request.match_info["secret"]
        async with deps.db.session() as session:
            workspace_id = match_secret(await Repos(session).workspaces.all_secrets(), secret)
        if workspace_id is None:
            return _json(404, {"ok": False, "error": "not found"})
        try:
            key = idempotency_key(request.headers.get("Idempotency-Key"))
            fields = await _read_fields(request)
            form = validate(fields)
        except IntakeError as exc:
            return _json(exc.status, {"ok": False, "error": exc.reason})
        now = deps.clock.now()
        digest = fingerprint(fields)
        async with deps.db.session() as session:
            repos = Repos(session)
            # Checked in the same (write-locked) transaction that creates the lead, so two
            # identical posts racing each other still make one lead.
            existing = (
                await repos.intake.by_key(workspace_id, key)
                if key
                else await repos.intake.recent(workspace_id, digest, now - DUPLICATE_WINDOW)
            )
            if existing is not None:
                return _json(200, {"ok": True, "lead_id": existing, "duplicate": True})
            workspace = await repos.workspaces.get(workspace_id)
            assert workspace is not None
            sla = workspace_sla(workspace, deps.settings.lead_response_sla)
            client = await create_lead(
                repos,
                workspace,
                workspace.owner_id,
                form.lead,
                now=now,
                sla=sla,
                source=form.source,
            )
            await repos.intake.record(workspace_id, key, digest, client.id, now)
            await announce_lead(
                repos, Replies(repos, deps.clock), deps.i18n, deps.settings, client, sla, now
            )
        deps.delivery.poke()
        await deps.alarm.arm()
        log.info("intake: lead %s created in workspace %s", client.id, workspace_id)
        return _json(201, {"ok": True, "lead_id": client.id})

    async def healthz(_request: web.Request) -> web.Response:
        """GET /healthz: polling freshness and the outbox backlog."""
        async with deps.db.reader() as session:
            pending, oldest = await Repos(session).outbox.stats()
        since_poll = time.monotonic() - deps.poller.last_ok
        oldest_age = (deps.clock.now() - oldest).total_seconds() if oldest else 0.0
        healthy = since_poll < POLL_STALE_SECONDS and oldest_age < OUTBOX_STALE_SECONDS
        return _json(
            200 if healthy else 503,
            {
                "ok": healthy,
                "version": __version__,
                "seconds_since_last_poll": round(since_poll, 3),
                "notifications_pending": pending,
                "oldest_pending_seconds": round(oldest_age, 3),
            },
        )

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/intake/{secret}", intake)
    app.router.add_get("/healthz", healthz)
    return app


async def start_web(deps: WebDeps, host: str, port: int) -> web.AppRunner:
    """Serve the web app; the caller cleans the runner up at shutdown."""
    # access_log=None: the intake URL carries a secret and must never reach a log.
    runner = web.AppRunner(make_web_app(deps), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("HTTP server listening on %s:%s", host, port)
    return runner
