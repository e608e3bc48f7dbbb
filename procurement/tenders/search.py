"""Finding public tenders: full text, filters, newest publication first, pages by cursor.

The search reads published tenders only (a draft is never found): ``open`` ones (published,
the submission deadline still ahead) or every public one. Full text covers the title and the
description and asks for every word (``or`` between two words asks for either); quotes,
minus signs and every other character that is not a letter or a digit only separate words, so
no input reaches a query language raw. PostgreSQL stems German words
(``websearch_to_tsquery('german', …)`` against the stored ``tsvector`` :data:`TSVECTOR` and
its GIN index, migration 0010: "Schule" finds "Schulen"); SQLite asks its FTS5 table
``tenders_fts`` (``unicode61``, diacritics removed, kept by triggers) for each word as a
prefix ("Schule" finds "Schulen", "Muller" finds "Müller").

A CPV code or a prefix of it finds tenders whose own codes or whose lots' codes lie beneath
it: trailing zeros only fill a code up, so ``45210000-2`` asks for everything starting with
``4521`` (the class and its categories), like ``4521``. The codes are read from
:class:`~procurement.tenders.models.TenderCpv`, written at publication; whoever changes the
codes of a public tender (an amendment) calls :func:`reindex`. A NUTS code finds its region
and everything in it (``DE5``: ``DE501``).

Results come newest publication first (``published_at``, then the id), a page at a time; the
cursor (base64url of a small JSON array) names the last tender of the page, so a page never
repeats or skips a tender when others are published meanwhile, and no page needs ``OFFSET``.
"""

from __future__ import annotations

__all__ = [
    "TSVECTOR",
    "InvalidSearch",
    "SearchPage",
    "TenderQuery",
    "excerpts",
    "fulltext_words",
    "newest",
    "reindex",
    "search_tenders",
]

import base64
import binascii
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import Select, and_, delete, func, insert, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import Organisation
from procurement.errors import ProcurementError
from procurement.tenders.codes import cpv_check_digit
from procurement.tenders.models import PUBLIC_STATUSES, Lot, Tender, TenderCpv, TenderStatus
from procurement.tenders.schemas import ProcedureType, TenderKind, TenderSummary

TSVECTOR = "tenders.fulltext"
"""The document of a tender on PostgreSQL: a generated column (migration 0010, not in the
models), ``to_tsvector('german', title || ' ' || description)``, with a GIN index."""
MAX_TEXT = 200
"""Characters of full text a search takes."""
MAX_CURSOR = 200
_CPV = re.compile(r"([0-9]{2,8})(?:-([0-9]))?")
_NUTS = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}")
_WORD = re.compile(r"[^\W_]+")

Problem = dict[str, str]


class InvalidSearch(ProcurementError):
    """A search parameter is malformed; ``errors`` names each with what is wrong."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-search"
    title = "The search is not valid"


class TenderQuery(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What to look for; every field is optional."""

    text: str | None = None
    """Words in the title or the description (every one; ``or`` between two: either)."""
    cpv: str | None = None
    """A CPV code (``45210000-2``, ``45210000``) or a prefix of its digits (``45``, ``4521``):
    tenders with a code of their own or of a lot beneath it."""
    nuts: str | None = None
    """A NUTS code or a prefix of it: ``DE5`` finds ``DE501``."""
    procedure: ProcedureType | None = None
    contract_kind: TenderKind | None = None
    deadline_from: datetime | None = None
    """Submission deadline on or after (with its offset)."""
    deadline_to: datetime | None = None
    """Submission deadline on or before (with its offset)."""
    status: Literal["open", "all"] = "open"
    """``open``: published and the submission deadline not passed; ``all``: every public
    tender (closed, awarded, cancelled … too, never a draft)."""
    cursor: str | None = None
    """``next_cursor`` of the previous page."""
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20


class SearchPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[TenderSummary]
    next_cursor: str | None
    """Pass it as ``cursor`` for the next page; ``None``: this is the last page."""


class _Cursor(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    published_at: Annotated[datetime, msgspec.Meta(tz=True)]
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class _Criteria:
    """A validated query, normalised."""

    words: list[str]
    cpv_prefix: str | None
    nuts: str | None
    after: _Cursor | None


def fulltext_words(text: str) -> list[str]:
    """The words of ``text`` (letters and digits), with ``or`` kept only between two words."""
    words: list[str] = []
    for word in _WORD.findall(text):
        if word.lower() == "or":
            if words and words[-1] != "or":
                words.append("or")
        else:
            words.append(word)
    return words[:-1] if words and words[-1] == "or" else words


def _fts5_query(words: Sequence[str]) -> str:
    """An FTS5 expression: each word quoted as a prefix, groups joined by ``or`` ORed."""
    groups: list[list[str]] = []
    either = False
    for word in words:
        if word == "or":
            either = True
        elif either:
            groups[-1].append(word)
            either = False
        else:
            groups.append([word])
    return " AND ".join("(" + " OR ".join(f'"{word}"*' for word in group) + ")" for group in groups)


def _encode_cursor(published_at: datetime, tender_id: uuid.UUID) -> str:
    raw = msgspec.json.encode(_Cursor(published_at, tender_id))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode_cursor(cursor: str) -> _Cursor | None:
    if len(cursor) > MAX_CURSOR or not cursor.isascii():
        return None
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        return msgspec.json.decode(raw, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        return None


def _cpv_prefix(value: str) -> tuple[str | None, str | None]:
    """The digits a code must start with, or why ``value`` is no CPV code or prefix."""
    found = _CPV.fullmatch(value.strip())
    if found is None:
        return None, "A CPV code (45210000-2) or 2 to 8 of its first digits (45, 4521)."
    digits, check = found.group(1), found.group(2)
    if check is not None:
        if len(digits) != 8:
            return None, "A check digit follows all eight digits of a CPV code."
        expected = cpv_check_digit(digits)
        if int(check) != expected:
            return None, f"The check digit of {digits} is {expected}, not {check}."
    stripped = digits.rstrip("0")
    return (stripped if len(stripped) >= 2 else digits[:2]), None


def _nuts(value: str) -> tuple[str | None, str | None]:
    """The NUTS prefix, or why ``value`` is none."""
    nuts = value.strip().upper()
    if _NUTS.fullmatch(nuts):
        return nuts, None
    return None, (
        "A NUTS code or its beginning: a country code and up to three letters or digits "
        "(DE5, DE501)."
    )


def _criteria(query: TenderQuery) -> _Criteria:
    """The query validated and normalised; :class:`InvalidSearch` names every problem."""
    problems: list[Problem] = []
    words: list[str] = []
    if query.text is not None and len(query.text) > MAX_TEXT:
        problems.append({"field": "text", "message": f"At most {MAX_TEXT} characters."})
    elif query.text is not None:
        words = fulltext_words(query.text)
    cpv_prefix = nuts = None
    for field, value, parse in (("cpv", query.cpv, _cpv_prefix), ("nuts", query.nuts, _nuts)):
        if value is None or not value.strip():
            continue
        found, problem = parse(value[:20])
        if problem is not None:
            problems.append({"field": field, "message": problem})
        elif field == "cpv":
            cpv_prefix = found
        else:
            nuts = found
    for field in ("deadline_from", "deadline_to"):
        moment: datetime | None = getattr(query, field)
        if moment is not None and moment.tzinfo is None:
            problems.append({"field": field, "message": "Give the time with its offset."})
    if not 1 <= query.limit <= 100:
        problems.append({"field": "limit", "message": "From 1 to 100 tenders a page."})
    after = _decode_cursor(query.cursor) if query.cursor else None
    if query.cursor and after is None:
        problems.append({"field": "cursor", "message": "Not a cursor of this search: start again."})
    if problems:
        raise InvalidSearch(
            "; ".join(f"{p['field']}: {p['message']}" for p in problems), errors=problems
        )
    return _Criteria(words=words, cpv_prefix=cpv_prefix, nuts=nuts, after=after)


_SUMMARIES: Select[*tuple[Any, ...]] = select(
    Tender.id,
    Tender.number,
    Tender.title,
    Organisation.legal_name,
    Tender.procedure,
    Tender.contract_kind,
    Tender.regime,
    Tender.cpv_codes,
    Tender.nuts_code,
    Tender.status,
    Tender.published_at,
    Tender.submission_deadline,
).join(Organisation, Organisation.id == Tender.authority_id)
"""The columns of a summary (a statement is immutable: each search adds to a copy)."""


def _summary(row: Any) -> TenderSummary:
    return TenderSummary(
        id=row.id,
        number=row.number,
        title=row.title,
        authority_name=row.legal_name,
        procedure=row.procedure,
        contract_kind=row.contract_kind,
        regime=row.regime,
        cpv_codes=msgspec.json.decode(row.cpv_codes, type=list[str]),
        nuts_code=row.nuts_code,
        status=row.status,
        published_at=row.published_at,
        submission_deadline=row.submission_deadline,
    )


def _public(statement: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    return statement.where(Tender.status.in_(PUBLIC_STATUSES), Tender.published_at.is_not(None))


def _fulltext(dialect: str, words: list[str]) -> Any:
    if dialect == "postgresql":
        return literal_column(TSVECTOR).op("@@")(
            func.websearch_to_tsquery(literal_column("'german'"), " ".join(words))
        )
    return text(
        "tenders.id IN (SELECT tender_id FROM tenders_fts WHERE tenders_fts MATCH :fts)"
    ).bindparams(fts=_fts5_query(words))


def _filtered(
    dialect: str, query: TenderQuery, criteria: _Criteria, now: datetime
) -> Select[*tuple[Any, ...]]:
    statement = _SUMMARIES
    if query.status == "open":
        statement = statement.where(
            Tender.status == TenderStatus.PUBLISHED, Tender.submission_deadline > now
        )
    else:
        statement = _public(statement)
    if criteria.words:
        statement = statement.where(_fulltext(dialect, criteria.words))
    if criteria.cpv_prefix is not None:
        low, high = criteria.cpv_prefix.ljust(8, "0"), criteria.cpv_prefix.ljust(8, "9")
        statement = statement.where(
            Tender.id.in_(select(TenderCpv.tender_id).where(TenderCpv.code8.between(low, high)))
        )
    if criteria.nuts is not None:
        # letters and digits only (validated): nothing to escape
        statement = statement.where(Tender.nuts_code.like(f"{criteria.nuts}%"))
    if query.procedure is not None:
        statement = statement.where(Tender.procedure == query.procedure)
    if query.contract_kind is not None:
        statement = statement.where(Tender.contract_kind == query.contract_kind)
    if query.deadline_from is not None:
        statement = statement.where(Tender.submission_deadline >= query.deadline_from)
    if query.deadline_to is not None:
        statement = statement.where(Tender.submission_deadline <= query.deadline_to)
    if criteria.after is not None:
        at, last = criteria.after.published_at, criteria.after.id
        statement = statement.where(
            Tender.published_at <= at,
            or_(Tender.published_at < at, and_(Tender.published_at == at, Tender.id < last)),
        )
    return statement.order_by(Tender.published_at.desc(), Tender.id.desc())


async def search_tenders(session: AsyncSession, *, query: TenderQuery, now: datetime) -> SearchPage:
    """One page of public tenders matching ``query`` at ``now``, newest publication first.

    Raises:
        InvalidSearch: a parameter is malformed (422, each named in ``errors``).
    """
    criteria = _criteria(query)
    dialect = session.get_bind().dialect.name
    statement = _filtered(dialect, query, criteria, now).limit(query.limit + 1)
    if dialect == "postgresql" and (criteria.words or criteria.cpv_prefix or criteria.nuts):
        # A prepared statement's generic plan cannot know how many tenders the words or codes
        # match: walking the newest first and testing each, or asking the index and sorting
        # (a wrong guess costs 10-50 times the right one, bench/tender_search.py).
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    rows = (await session.execute(statement)).all()
    items = [_summary(row) for row in rows[: query.limit]]
    next_cursor = None
    if len(rows) > query.limit:
        last = rows[query.limit - 1]
        next_cursor = _encode_cursor(last.published_at, last.id)
    return SearchPage(items=items, next_cursor=next_cursor)


async def newest(session: AsyncSession, *, limit: int = 50) -> list[TenderSummary]:
    """The ``limit`` public tenders published last, newest first (for the feed)."""
    statement = _public(_SUMMARIES).order_by(Tender.published_at.desc(), Tender.id.desc())
    return [_summary(row) for row in (await session.execute(statement.limit(limit))).all()]


async def excerpts(
    session: AsyncSession, tender_ids: Sequence[uuid.UUID], *, length: int = 300
) -> dict[uuid.UUID, str]:
    """The first ``length`` characters of each tender's description (one more: to tell that
    it goes on)."""
    if not tender_ids:
        return {}
    rows = await session.execute(
        select(Tender.id, func.substr(Tender.description, 1, length + 1)).where(
            Tender.id.in_(tender_ids)
        )
    )
    return {row[0]: row[1] for row in rows}


async def reindex(session: AsyncSession, tender_id: uuid.UUID) -> None:
    """Write the CPV codes the search finds the tender by: its own and its lots' (the eight
    digits of each, once). Publication calls it; so must every change of a public tender's
    or its lots' codes (amendments)."""
    own = await session.scalar(select(Tender.cpv_codes).where(Tender.id == tender_id))
    lots = (await session.scalars(select(Lot.cpv_codes).where(Lot.tender_id == tender_id))).all()
    codes = sorted(
        {
            code.split("-", 1)[0][:8]
            for raw in ([own] if own is not None else []) + list(lots)
            for code in msgspec.json.decode(raw, type=list[str])
        }
    )
    await session.execute(delete(TenderCpv).where(TenderCpv.tender_id == tender_id))
    if codes:
        await session.execute(
            insert(TenderCpv), [{"tender_id": tender_id, "code8": code} for code in codes]
        )
