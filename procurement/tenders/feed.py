"""The Atom feed (RFC 4287) of newly published tenders.

Each entry is one tender: its id (``urn:uuid:…``), title, the moment of publication as
``published`` and ``updated``, a link to its public page (``/ausschreibungen/{id}``), the
beginning of its description as summary, the contracting authority as author and its CPV codes
as categories. The XML is built with :mod:`xml.etree.ElementTree`, which escapes what the
officers wrote; characters XML 1.0 cannot carry (control characters) are left out.
"""

from __future__ import annotations

__all__ = ["ATOM", "FeedEntry", "atom_feed", "feed_entries"]

import re
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

from sqlalchemy.ext.asyncio import AsyncSession

from procurement.tenders import search
from procurement.tenders.schemas import TenderSummary

ATOM = "http://www.w3.org/2005/Atom"
EXCERPT = 300
"""Characters of the description in an entry's summary."""
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    tender: TenderSummary
    summary: str
    """The beginning of the description (``…`` where it goes on)."""


async def feed_entries(session: AsyncSession, *, limit: int = 50) -> list[FeedEntry]:
    """The ``limit`` tenders published last, each with the beginning of its description."""
    tenders = await search.newest(session, limit=limit)
    starts = await search.excerpts(session, [t.id for t in tenders], length=EXCERPT)
    return [FeedEntry(tender=t, summary=_excerpt(starts.get(t.id, ""))) for t in tenders]


def _excerpt(start: str) -> str:
    if len(start) <= EXCERPT:
        return start
    return start[:EXCERPT].rstrip() + "…"


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _add(parent: ElementTree.Element, tag: str, content: str | None = None, **attrs: str) -> None:
    element = ElementTree.SubElement(parent, tag, attrs)
    if content is not None:
        element.text = _xml_text(content)


def _moment(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def atom_feed(
    entries: list[FeedEntry], *, base_url: str, title: str, now: datetime, language: str = "de"
) -> bytes:
    """The feed document (UTF-8, with an XML declaration).

    Args:
        entries: newest first.
        base_url: the platform's public address; the feed's id and the links start with it.
        title: the feed's title.
        now: ``updated`` of a feed without entries (otherwise the newest publication).
        language: ``xml:lang`` of the feed.
    """
    base = base_url.rstrip("/")
    feed = ElementTree.Element(
        "feed", {"xmlns": ATOM, "{http://www.w3.org/XML/1998/namespace}lang": language}
    )
    self_url = f"{base}/api/v1/tenders/feed.atom"
    _add(feed, "id", self_url)
    _add(feed, "title", title)
    newest = entries[0].tender.published_at if entries else None
    _add(feed, "updated", _moment(newest or now))
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=f"{base}/ausschreibungen")
    _add(feed, "generator", "OpenVergabe")
    for entry in entries:
        tender = entry.tender
        published = _moment(tender.published_at or now)
        item = ElementTree.SubElement(feed, "entry")
        _add(item, "id", tender.id.urn)
        _add(item, "title", tender.title)
        _add(item, "published", published)
        _add(item, "updated", published)
        page = f"{base}/ausschreibungen/{tender.id}"
        _add(item, "link", rel="alternate", type="text/html", href=page)
        author = ElementTree.SubElement(item, "author")
        _add(author, "name", tender.authority_name or "-")
        _add(item, "summary", entry.summary, type="text")
        for code in tender.cpv_codes:
            _add(item, "category", term=code, label=f"CPV {code}")
    document: bytes = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
