"""The client search index is kept between commands and rebuilt only after a change."""

from __future__ import annotations

from bot.services.clients import client_index, name_in_text
from bot.storage.records import Contact
from bot.storage.repositories import Repos
from tests.conftest import Harness
from tests.dispatcher.test_followups import setup


async def test_an_index_is_reused_until_a_name_or_contact_changes(harness: Harness) -> None:
    await setup(harness, "Acme", "Globex")
    async with harness.app.db.session() as s:
        repos = Repos(s)
        first = await client_index(repos, [1])
        assert await client_index(repos, [1]) is first
        [acme] = [c for c in await repos.clients.in_workspace(1) if c.name == "Acme"]
        await repos.clients.update(acme.id, harness.clock.now(), name="Acme Corp")
        renamed = await client_index(repos, [1])
        assert renamed is not first
        assert (await name_in_text(repos, [1], "Acme Corp счёт")).unique
        await repos.clients.add_contact(acme.id, Contact("email", "boss@initech.example"))
        assert await client_index(repos, [1]) is not renamed
        assert (await name_in_text(repos, [1], "boss@initech.example привет")).clients[
            0
        ].id == acme.id
        await repos.clients.add_touch(
            acme.id,
            user_id=None,
            kind="note",
            direction="out",
            at=harness.clock.now(),
            now=harness.clock.now(),
            summary="x",
        )
        again = await client_index(repos, [1])
        assert await client_index(repos, [1]) is again  # a touch changes nothing searched
