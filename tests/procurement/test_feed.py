"""The Atom feed of new tenders (issue 6, item 3): well-formed RFC 4287, newest first, no
drafts, what the officers wrote escaped."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree import ElementTree

from infra.settings import Settings
from tests.procurement.test_tenders import draft, published
from tests.support import LoopClient
from tests.worlds import World

FEED = "/api/v1/tenders/feed.atom"
A = "{http://www.w3.org/2005/Atom}"


async def _feed(client: LoopClient) -> ElementTree.Element:
    response = await client.get(FEED)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    return ElementTree.fromstring(response.content)


class TestFeed:
    async def test_an_empty_feed_is_still_a_feed(self, client: LoopClient) -> None:
        feed = await _feed(client)
        assert feed.tag == f"{A}feed"
        assert feed.findall(f"{A}entry") == []
        for required in ("id", "title", "updated"):
            assert (feed.findtext(f"{A}{required}") or "").strip(), required

    async def test_new_tenders_newest_first_without_drafts(
        self, world: World, settings: Settings
    ) -> None:
        first = await published(world, title="Neubau Kita Hafenkante")
        world.clock.advance(timedelta(minutes=10))
        second = await published(
            world,
            title='Brücke <Nord> & "Süd"\x07',
            description="Instandsetzung. " * 40,
            lots=[],
            cpv_codes=["45221111-3"],
        )
        await draft(world, title="Geheimer Entwurf")
        feed = await _feed(world.clients["anonymous"])
        assert feed.findtext(f"{A}updated") == datetime.fromisoformat(
            second["published_at"]
        ).isoformat(timespec="seconds")
        self_link = feed.find(f"{A}link[@rel='self']")
        assert self_link is not None
        assert self_link.get("href") == f"{settings.public_url}/api/v1/tenders/feed.atom"
        entries = feed.findall(f"{A}entry")
        assert [e.findtext(f"{A}id") for e in entries] == [
            f"urn:uuid:{second['id']}",
            f"urn:uuid:{first['id']}",
        ]
        newest = entries[0]
        assert newest.findtext(f"{A}title") == 'Brücke <Nord> & "Süd"'
        link = newest.find(f"{A}link")
        assert link is not None
        assert link.get("href") == f"{settings.public_url}/ausschreibungen/{second['id']}"
        assert newest.findtext(f"{A}author/{A}name") == (
            "Freie Hansestadt Bremen, Immobilien Bremen"
        )
        summary = newest.findtext(f"{A}summary") or ""
        assert summary.startswith("Instandsetzung. Instandsetzung.")
        assert summary.endswith("…")
        assert len(summary) <= 301
        assert [c.get("term") for c in newest.findall(f"{A}category")] == ["45221111-3"]
        assert [c.get("term") for c in entries[1].findall(f"{A}category")] == [
            "45210000-2",
            "45223220-4",
        ]
        assert "Geheimer Entwurf" not in ElementTree.tostring(feed, encoding="unicode")
