"""Website intake: validation, secrets, and the HTTP endpoint on the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.services.intake import IntakeError, match_secret, validate
from bot.storage.repositories import Repos
from bot.web import WebDeps, make_web_app
from tests.conftest import Harness


def test_validate_builds_the_lead_and_keeps_unknown_fields() -> None:
    form = validate(
        {"name": "Иван", "phone": "8 (999) 123-45-67", "message": "Лендинг", "utm_source": "ya"}
    )
    assert form.lead.name == "Иван"
    assert [c.value for c in form.lead.contacts] == ["+79991234567"]
    assert form.lead.note == "Лендинг\nutm_source: ya"
    assert form.source == "website"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"phone": "+79991234567"}, "'name' is required"),
        ({"name": "x" * 201}, "longer than 200"),
        ({"name": "Иван", "phone": "позвоните"}, "not a phone"),
        ({"name": "Иван", "email": "nope"}, "not an e-mail"),
        ({"name": ["a"]}, "must be a string"),
        ({f"f{i}": "v" for i in range(31)} | {"name": "A"}, "too many fields"),
    ],
)
def test_validate_rejects_with_a_reason(fields: dict, reason: str) -> None:
    with pytest.raises(IntakeError) as info:
        validate(fields)
    assert info.value.status == 400 and reason in info.value.reason


def test_secret_match() -> None:
    secrets = [(1, "aaa"), (2, "bbb")]
    assert match_secret(secrets, "bbb") == 2
    assert match_secret(secrets, "bb") is None


@pytest.fixture
async def client(harness: Harness) -> AsyncIterator[tuple[TestClient, Harness, str]]:
    await harness.send("/start")
    async with harness.app.db.session() as s:
        user = await Repos(s).users.get(1001)
        assert user is not None and user.current_workspace_id
        ws = await Repos(s).workspaces.get(user.current_workspace_id)
    assert ws is not None
    app = harness.app
    deps = WebDeps(app.db, app.clock, app.settings, app.i18n, app.delivery, app.alarm, app.poller)
    async with TestClient(TestServer(make_web_app(deps))) as http:
        yield http, harness, ws.intake_secret


async def leads(h: Harness) -> list[str]:
    async with h.app.db.session() as s:
        user = await Repos(s).users.get(1001)
        assert user is not None and user.current_workspace_id
        return [c.name for c in await Repos(s).clients.in_workspace(user.current_workspace_id)]


async def test_intake_accepts_json_and_notifies(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    before = len(h.session.requests)
    resp = await http.post(f"/intake/{secret}", json={"name": "Ольга", "email": "o@x.ru"})
    assert resp.status == 201 and (await resp.json())["ok"]
    await h.app.delivery.run_once()
    [card] = h.session.requests[before:]
    assert card.chat_id == 1001 and "Ольга" in card.text and "o@x.ru" in card.text
    assert await leads(h) == ["Ольга"]


async def test_intake_accepts_form_fields(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    resp = await http.post(f"/intake/{secret}", data={"name": "Пётр", "phone": "+7 999 1112233"})
    assert resp.status == 201
    assert await leads(h) == ["Пётр"]


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        ("/intake/wrong-secret", '{"name": "A"}', {"Content-Type": "application/json"}, 404),
        (None, "{not json", {"Content-Type": "application/json"}, 400),
        (None, '{"phone": "+79991234567"}', {"Content-Type": "application/json"}, 400),
        (None, '["a"]', {"Content-Type": "application/json"}, 400),
        (None, "x" * (70 * 1024), {"Content-Type": "application/json"}, 413),
    ],
)
async def test_intake_rejects_and_stores_nothing(client, path, body, headers, status) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    resp = await http.post(path or f"/intake/{secret}", data=body, headers=headers)
    assert resp.status == status
    payload = await resp.json()
    assert payload["ok"] is False and payload["error"]
    assert await leads(h) == []


async def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    http, _h, _secret = client
    resp = await http.get("/healthz")
    body = await resp.json()
    assert resp.status == 200 and body["notifications_pending"] == 0 and "version" in body


async def test_same_idempotency_key_makes_one_lead(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    headers = {"Idempotency-Key": "form-42"}
    first = await http.post(f"/intake/{secret}", json={"name": "Анна"}, headers=headers)
    again = await http.post(f"/intake/{secret}", json={"name": "Анна"}, headers=headers)
    assert first.status == 201 and again.status == 200
    assert (await again.json())["duplicate"] is True
    assert (await first.json())["lead_id"] == (await again.json())["lead_id"]
    other = await http.post(
        f"/intake/{secret}", json={"name": "Анна"}, headers={"Idempotency-Key": "form-43"}
    )
    assert other.status == 201
    assert await leads(h) == ["Анна", "Анна"]


async def test_same_fields_within_a_minute_make_one_lead(client) -> None:  # type: ignore[no-untyped-def]
    http, h, secret = client
    body = {"name": "Борис", "phone": "+7 999 000-00-01"}
    assert (await http.post(f"/intake/{secret}", json=body)).status == 201
    assert (await http.post(f"/intake/{secret}", json=body)).status == 200
    h.clock.advance(timedelta(minutes=2))
    assert (await http.post(f"/intake/{secret}", json=body)).status == 201
    assert await leads(h) == ["Борис", "Борис"]
