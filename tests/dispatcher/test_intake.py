"""Website intake: the HTTP endpoint on the real app, as a website and a hostile client see it."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import web_deps as app_web_deps
from bot.storage.records import Client
from bot.storage.repositories import Repos
from bot.web import HttpLimits, WebDeps, make_web_app, start_web
from tests.conftest import Harness

BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
LEAD = {"name": "Вера", "phone": "+7 999 000-00-01"}


def web_deps(h: Harness) -> WebDeps:
    return app_web_deps(h.app)


@pytest.fixture
async def client(harness: Harness) -> AsyncIterator[tuple[TestClient, Harness, str]]:
    await harness.send("/start")
    async with harness.app.db.session() as s:
        user = await Repos(s).users.get(1001)
        assert user is not None and user.current_workspace_id
        ws = await Repos(s).workspaces.get(user.current_workspace_id)
    assert ws is not None
    async with TestClient(TestServer(make_web_app(web_deps(harness)))) as http:
        yield http, harness, ws.intake_secret


async def clients(h: Harness) -> list[Client]:
    async with h.app.db.session() as s:
        user = await Repos(s).users.get(1001)
        assert user is not None and user.current_workspace_id
        return await Repos(s).clients.in_workspace(user.current_workspace_id)


async def leads(h: Harness) -> list[str]:
    return [c.name for c in await clients(h)]


def browser_multipart(fields: dict[str, str]) -> bytes:
    """A body as a browser's `new FormData(form)` sends it: field names as raw UTF-8."""
    body = b""
    for name, value in fields.items():
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    body += (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
        'name="brief"; filename="brief.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode() + b"%PDF-1.4 \x00\x01\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> bool:
    return not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_intake_accepts_json_and_notifies(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    before = len(h.session.requests)
    resp = await http.post(f"/intake/{secret}", json={"name": "Ольга", "email": "o@x.ru"})
    assert resp.status == 201 and (await resp.json())["ok"]
    await h.app.delivery.run_once()
    [card] = h.session.requests[before:]
    assert card.chat_id == 1001 and "Ольга" in card.text and "o@x.ru" in card.text
    assert await leads(h) == ["Ольга"]


FORM = {"Имя": "Пётр", "Телефон": "+7 999 111-22-33", "Comment": "Лендинг", "utm_source": "ya"}


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda: {"json": FORM}, id="json"),
        pytest.param(lambda: {"data": FORM}, id="urlencoded"),
        pytest.param(
            lambda: {
                "data": browser_multipart(FORM),
                "headers": {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            },
            id="multipart",
        ),
        pytest.param(
            lambda: {"data": json.dumps(FORM), "headers": {"Content-Type": "text/plain"}},
            id="fetch-string-body",
        ),
    ],
)
async def test_intake_reads_every_way_a_website_posts(  # type: ignore[no-untyped-def]
    client, send: Callable[[], dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    http, h, secret = client
    before = len(h.session.requests)
    resp = await http.post(f"/intake/{secret}", **send())
    assert resp.status == 201, await resp.text()
    [lead] = await clients(h)
    assert lead.name == "Пётр" and lead.source == "website · ya"
    await h.app.delivery.run_once()
    [card] = h.session.requests[before:]
    assert "Пётр" in card.text and "+7 999 111-22-33" in card.text and "Лендинг" in card.text
    assert no_errors_logged(caplog)


async def test_a_form_with_a_phone_and_no_name_makes_a_lead_named_by_it(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    resp = await http.post(f"/intake/{secret}", data={"Phone": "8 (999) 765-43-21"})
    assert resp.status == 201
    assert await leads(h) == ["+79997654321"]


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "reason"),
    [
        ("/intake/wrong-secret", '{"name": "A"}', {"Content-Type": "application/json"}, 404, ""),
        ("/intake/" + "x" * 300, '{"name": "A"}', {"Content-Type": "application/json"}, 404, ""),
        (None, "{not json", {"Content-Type": "application/json"}, 400, "malformed JSON"),
        (None, '{"name": "Анна"}', {"Content-Type": "application/json"}, 400, "no phone"),
        (None, '["a"]', {"Content-Type": "application/json"}, 400, "must be an object"),
        (None, "x" * (70 * 1024), {"Content-Type": "application/json"}, 413, "larger"),
        (None, "name=A", {"Content-Type": "application/xml"}, 400, "send JSON"),
        (None, "garbage", {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}, 400, ""),
        (None, "a=b", {"Content-Type": "multipart/form-data"}, 400, "malformed form"),
        (
            None,
            "--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n",
            {"Content-Type": "multipart/form-data; boundary=x"},
            400,
            "malformed form",
        ),
        (
            None,
            "phone=%2B79991234567",
            {"Content-Type": "application/x-www-form-urlencoded; charset=koi8-zz"},
            400,
            "malformed form",
        ),
    ],
)
async def test_intake_rejects_and_stores_nothing(  # type: ignore[no-untyped-def]
    client, path, body, headers, status, reason, caplog: pytest.LogCaptureFixture
) -> None:
    http, h, secret = client
    resp = await http.post(path or f"/intake/{secret}", data=body, headers=headers)
    assert resp.status == status
    payload = await resp.json()
    assert payload["ok"] is False and payload["error"] and reason in payload["error"]
    assert await leads(h) == []
    assert no_errors_logged(caplog)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param("[" * 5000, "malformed JSON", id="5000-nested"),
        pytest.param(
            '{"x": ' + "[" * 900 + "]" * 900 + ', "phone": "+79991234567"}', "text", id="deep"
        ),
        pytest.param("1" * 4400, "must be an object", id="4400-digits"),
        pytest.param('{"phone": ' + "7" * 4400 + "}", "longer than 64", id="4400-digit-phone"),
        pytest.param('{"name": "\\ud800", "phone": "+79991234567"}', "Unicode", id="surrogate"),
        pytest.param('{"phone": "+79991234567", "a": NaN}', "malformed JSON", id="nan"),
        pytest.param(b'{"name": "\xff\xfe"}', "malformed JSON", id="bad-utf8"),
    ],
)
async def test_hostile_json_gets_400_and_no_traceback(  # type: ignore[no-untyped-def]
    client, body: str | bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    http, h, secret = client
    resp = await http.post(
        f"/intake/{secret}", data=body, headers={"Content-Type": "application/json"}
    )
    payload = await resp.json()
    assert resp.status == 400 and reason in payload["error"] and len(payload["error"]) < 200
    assert await leads(h) == []
    assert no_errors_logged(caplog)


async def test_a_chunked_body_over_the_limit_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(70):
            yield b"x" * 1024
        yield b'"}'

    resp = await http.post(
        f"/intake/{secret}", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert resp.status == 413 and await leads(h) == []


async def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    http, _h, _secret = client
    resp = await http.get("/healthz")
    body = await resp.json()
    assert resp.status == 200 and body["notifications_pending"] == 0 and "version" in body


@pytest.mark.sqlite_only
async def test_healthz_is_503_when_the_database_file_is_gone(client) -> None:  # type: ignore[no-untyped-def]
    """A database file deleted under the running bot shows in /healthz."""
    http, h, _secret = client
    path = Path(h.app.db.url.split("///", 1)[1])
    path.unlink()  # noqa: ASYNC240 - a test deleting the file under the bot
    assert h.app.db.check_file() is False
    resp = await http.get("/healthz")
    body = await resp.json()
    assert resp.status == 503 and body["database"] != "ok"


async def test_a_site_script_on_another_origin_may_post_and_read_the_answer(client) -> None:  # type: ignore[no-untyped-def]
    http, _h, secret = client
    pre = await http.options(
        f"/intake/{secret}",
        headers={
            "Origin": "https://agency-client.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,idempotency-key",
        },
    )
    assert pre.status == 204 and pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "idempotency-key" in pre.headers["Access-Control-Allow-Headers"].lower()
    resp = await http.post(f"/intake/{secret}", json=LEAD)
    assert resp.status == 201 and resp.headers["Access-Control-Allow-Origin"] == "*"


async def test_same_idempotency_key_makes_one_lead(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    headers = {"Idempotency-Key": "form-42"}
    first = await http.post(f"/intake/{secret}", json=LEAD, headers=headers)
    again = await http.post(f"/intake/{secret}", json=LEAD, headers=headers)
    assert first.status == 201 and again.status == 200
    assert (await again.json())["duplicate"] is True
    assert (await first.json())["lead_id"] == (await again.json())["lead_id"]
    other = await http.post(f"/intake/{secret}", json=LEAD, headers={"Idempotency-Key": "form-43"})
    assert other.status == 201
    # Same phone: the second form is Вера's new request, not a second client.
    assert await leads(h) == ["Вера"]


async def test_an_idempotency_key_reused_for_other_data_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    headers = {"Idempotency-Key": "form-42"}
    assert (await http.post(f"/intake/{secret}", json=LEAD, headers=headers)).status == 201
    other = {"name": "Глеб", "phone": "+7 999 000-00-02"}
    resp = await http.post(f"/intake/{secret}", json=other, headers=headers)
    assert resp.status == 422 and "Idempotency-Key" in (await resp.json())["error"]
    assert await leads(h) == ["Вера"]
    # The same data under the key is still the first lead, also after the duplicate window.
    h.clock.advance(timedelta(minutes=5))
    same = await http.post(f"/intake/{secret}", json=LEAD, headers=headers)
    assert same.status == 200 and (await same.json())["duplicate"] is True


async def test_same_fields_within_a_minute_make_one_lead(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    body = {"name": "Борис", "phone": "+7 999 000-00-01"}
    assert (await http.post(f"/intake/{secret}", json=body)).status == 201
    assert (await http.post(f"/intake/{secret}", json=body)).status == 200
    h.clock.advance(timedelta(minutes=2))
    assert (await http.post(f"/intake/{secret}", json=body)).status == 201
    assert await leads(h) == ["Борис"]  # a request from the same client, not a second one


async def test_lead_ids_tell_a_website_nothing_about_the_installation(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    first = await (await http.post(f"/intake/{secret}", json=LEAD)).json()
    second = await (await http.post(f"/intake/{secret}", json={"phone": "+79990000002"})).json()
    again = await (await http.post(f"/intake/{secret}", json=LEAD)).json()
    ids = [c.id for c in await clients(h)]
    assert first["lead_id"] == again["lead_id"] != second["lead_id"]
    for ref in (first["lead_id"], second["lead_id"]):
        assert re.fullmatch(r"[0-9a-f]{16}", ref) and all(str(i) != ref for i in ids)


async def test_a_wrong_secret_never_waits_for_a_writer(client) -> None:  # type: ignore[no-untyped-def]
    http, h, _secret = client
    # Hold the write lock as a long write would: a wrong post must not queue behind it.
    async with h.app.db.session():
        resp = await asyncio.wait_for(http.post("/intake/wrong-secret", json=LEAD), 5)
        assert resp.status == 404


async def test_guessing_from_one_address_is_shut_out_without_the_database(  # type: ignore[no-untyped-def]
    client, monkeypatch: pytest.MonkeyPatch
) -> None:
    http, h, secret = client
    guesser = {"X-Forwarded-For": "198.51.100.7"}
    for i in range(10):
        resp = await http.post(f"/intake/guess{i}", json=LEAD, headers=guesser)
        assert resp.status == 404
    reads = 0
    real_reader = h.app.db.reader

    def counting_reader() -> AbstractAsyncContextManager[Any]:
        nonlocal reads
        reads += 1
        return real_reader()

    monkeypatch.setattr(h.app.db, "reader", counting_reader)
    blocked = await http.post(f"/intake/{secret}", json=LEAD, headers=guesser)
    assert blocked.status == 429 and 0 < int(blocked.headers["Retry-After"]) <= 60
    assert reads == 0 and await leads(h) == []
    # Someone else posting the right URL meanwhile is not affected.
    other = await http.post(f"/intake/{secret}", json=LEAD, headers={"X-Forwarded-For": "9.9.9.9"})
    assert other.status == 201
    h.clock.advance(timedelta(seconds=61))
    later = await http.post(f"/intake/{secret}", json={"phone": "+79990000003"}, headers=guesser)
    assert later.status == 201


# --- the real server's socket: slow clients and garbage --------------------------------------


@pytest.fixture
async def served(harness: Harness, unused_tcp_port: int) -> AsyncIterator[tuple[int, str, Harness]]:
    await harness.send("/start")
    async with harness.app.db.session() as s:
        user = await Repos(s).users.get(1001)
        assert user is not None and user.current_workspace_id
        ws = await Repos(s).workspaces.get(user.current_workspace_id)
    assert ws is not None
    limits = HttpLimits(header_timeout=0.5, body_timeout=0.5)
    runner = await start_web(web_deps(harness), "127.0.0.1", unused_tcp_port, limits)
    try:
        yield unused_tcp_port, ws.intake_secret, harness
    finally:
        await runner.cleanup()


async def trickle(port: int, head: bytes, slowly: bytes, deadline: float) -> tuple[bytes, float]:
    """Send `head` at once, then `slowly` a byte every 50 ms: what the server answered and after
    how many seconds it closed the connection; fails if it is still open at `deadline`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    start = time.monotonic()
    answer = b""
    try:
        writer.write(head)
        for byte in slowly * 100:
            assert time.monotonic() - start < deadline, "the slow client was never disconnected"
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                chunk = await asyncio.wait_for(reader.read(4096), 0.05)
            except TimeoutError:
                continue
            if not chunk:
                break
            answer += chunk
    except ConnectionError:
        pass  # closed while we were still writing
    finally:
        writer.close()
    return answer, time.monotonic() - start


async def test_a_client_trickling_its_headers_is_disconnected(  # type: ignore[no-untyped-def]
    served, caplog: pytest.LogCaptureFixture
) -> None:
    port, secret, _h = served
    head = f"POST /intake/{secret} HTTP/1.1\r\nHost: localhost\r\n".encode()
    _answer, elapsed = await trickle(port, head, b"X-Slow: " + b"a" * 200, deadline=3)
    assert elapsed < 1.5 and no_errors_logged(caplog)


async def test_a_client_trickling_its_body_is_answered_408_and_disconnected(  # type: ignore[no-untyped-def]
    served, caplog: pytest.LogCaptureFixture
) -> None:
    port, secret, h = served
    body = json.dumps(LEAD).encode()
    head = (
        f"POST /intake/{secret} HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    answer, elapsed = await trickle(port, head, body, deadline=3)
    assert answer.startswith(b"HTTP/1.1 408") and elapsed < 1.5
    assert await leads(h) == [] and no_errors_logged(caplog)


async def test_a_malformed_request_is_refused_quietly(  # type: ignore[no-untyped-def]
    served, caplog: pytest.LogCaptureFixture
) -> None:
    port, secret, _h = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST /intake/{secret} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n".encode())
    answer = await asyncio.wait_for(reader.read(), 3)
    writer.close()
    assert re.match(rb"HTTP/1\.[01] 400 ", answer)
    assert no_errors_logged(caplog) and secret not in caplog.text


async def test_a_form_from_a_known_client_is_their_new_request(client) -> None:  # type: ignore[no-untyped-def]
    """No second client: the request is on the known client's history, the clock runs again."""
    http, h, secret = client
    first = await http.post(f"/intake/{secret}", json={"name": "Ольга", "phone": "+79990001122"})
    assert first.status == 201
    again = await http.post(
        f"/intake/{secret}",
        json={"name": "Оля С.", "phone": "8 999 000-11-22", "message": "Нужен ещё баннер"},
    )
    assert again.status == 201
    assert len(await clients(h)) == 1
    before = len(h.session.requests)
    await h.app.delivery.run_once()
    texts = [r.text for r in h.session.requests[before:]]
    assert any("Новое обращение с сайта" in t and "Нужен ещё баннер" in t for t in texts)
