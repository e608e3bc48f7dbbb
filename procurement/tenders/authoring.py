"""Writing a tender: drafts, their content rules, documents, and the views of a tender.

Only officers of the tender's authority write it (the controllers' guards and
:func:`get_tender_of` see to that; another authority's tender answers 404). A draft may be
incomplete — the publication checklist says what is missing — but what it holds must be valid:
CPV codes with their check digit, a NUTS code, amounts in euro and cent, award criteria whose
weights sum to 100 with a scoring method that fits their kind, deadlines in the future and in
order. Every save carries the version the officer saw. After publication the content changes
only by amendment (:mod:`procurement.tenders.amendments`).
"""

from __future__ import annotations

__all__ = [
    "DocumentFiles",
    "add_document",
    "create_draft",
    "get_tender_of",
    "remove_document",
    "tender_view",
    "update_draft",
    "validate",
]

import hashlib
import os
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Literal, cast
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.principal import Principal
from infra.profile import Profile
from prequalification.cpv_names import CPV_DIVISION_NAMES
from procurement.errors import (
    DocumentNotFound,
    InvalidDocument,
    InvalidTender,
    NoThresholdsForDate,
    TenderChanged,
    TenderNotFound,
    WrongTenderState,
)
from procurement.regime import assess_regime
from procurement.schemas import AuthorityKind, ContractKind
from procurement.tenders.codes import cpv_problem, nuts_problem
from procurement.tenders.models import (
    AwardCriterion,
    Lot,
    Tender,
    TenderDocument,
    TenderStatus,
)
from procurement.tenders.repository import TenderRepository
from procurement.tenders.schemas import (
    AmendmentView,
    CriterionView,
    DocumentView,
    LotView,
    TenderContent,
    TenderView,
)

MAX_AMOUNT = Decimal("1e13")
_METHODS = {"price": ("lowest-price-ratio", "linear"), "quality": ("points",)}
_CHUNK = 1 << 20
_MEDIA_TYPE = re.compile(r"[a-z]+/[a-z0-9.+-]{1,90}")
_ACTIVE_CONTENT = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
    }
)

Problem = dict[str, str]


class DocumentFiles:
    """Where tender documents live: ``<storage>/tenders/<tender id>/<document id>``."""

    def __init__(self, storage_root: Path) -> None:
        self.directory = storage_root / "tenders"

    def path(self, tender_id: uuid.UUID, document_id: uuid.UUID) -> Path:
        return self.directory / str(tender_id) / str(document_id)


def safe_media_type(declared: str) -> str:
    """The uploader's media type, unless it is malformed or could run in a browser (served
    from the platform's origin it would be stored cross-site scripting): then a plain
    ``application/octet-stream``."""
    media_type = declared.split(";", 1)[0].strip().lower()
    if not _MEDIA_TYPE.fullmatch(media_type) or media_type in _ACTIVE_CONTENT:
        return "application/octet-stream"
    return media_type


def _amount_problem(value: Decimal) -> str | None:
    if not value.is_finite() or value < 0:
        return "An amount is a non-negative number of euros."
    if value >= MAX_AMOUNT:
        return "The amount is implausibly large."
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return "An amount has at most two decimal places (cents)."
    return None


def _cpv_problems(field: str, codes: list[str]) -> list[Problem]:
    problems = [
        {"field": f"{field}[{index}]", "message": problem}
        for index, code in enumerate(codes)
        if (problem := cpv_problem(code)) is not None
    ]
    if len(set(codes)) != len(codes):
        problems.append({"field": field, "message": "A CPV code is listed twice."})
    return problems


def _deadline_problems(content: TenderContent, now: datetime) -> list[Problem]:
    problems: list[Problem] = []
    for field in ("clarification_deadline", "submission_deadline"):
        moment: datetime | None = getattr(content, field)
        if moment is None:
            continue
        if moment.tzinfo is None:
            problems.append(
                {"field": field, "message": "Give the time with its offset, e.g. +01:00."}
            )
        elif moment <= now:
            problems.append({"field": field, "message": "The deadline lies in the past."})
    clarification, submission = content.clarification_deadline, content.submission_deadline
    if (
        clarification is not None
        and submission is not None
        and clarification.tzinfo is not None
        and submission.tzinfo is not None
        and clarification >= submission
    ):
        problems.append(
            {
                "field": "clarification_deadline",
                "message": "Questions must end before the submission deadline.",
            }
        )
    return problems


def validate(profile: Profile, content: TenderContent, now: datetime) -> list[Problem]:
    """Every rule the content breaks, each with its field (empty: valid)."""
    problems: list[Problem] = []
    if (problem := _amount_problem(content.estimated_value)) is not None:
        problems.append({"field": "estimated_value", "message": problem})
    problems += _cpv_problems("cpv_codes", content.cpv_codes)
    if (problem := nuts_problem(content.nuts_code)) is not None:
        problems.append({"field": "nuts_code", "message": problem})
    if content.urgent and not (content.urgency_reason or "").strip():
        problems.append({"field": "urgency_reason", "message": "Give the reason for the urgency."})
    for index, lot in enumerate(content.lots):
        if (problem := _amount_problem(lot.estimated_value)) is not None:
            problems.append({"field": f"lots[{index}].estimated_value", "message": problem})
        problems += _cpv_problems(f"lots[{index}].cpv_codes", lot.cpv_codes)
    for index, criterion in enumerate(content.criteria):
        if criterion.method not in _METHODS[criterion.kind]:
            problems.append(
                {
                    "field": f"criteria[{index}].method",
                    "message": f"A {criterion.kind} criterion is scored by "
                    f"{' or '.join(_METHODS[criterion.kind])}.",
                }
            )
    if content.criteria and sum(c.weight for c in content.criteria) != 100:
        total = sum(c.weight for c in content.criteria)
        problems.append(
            {"field": "criteria", "message": f"The weights sum to {total}, not to 100."}
        )
    for index, division in enumerate(content.pq_divisions):
        if division not in CPV_DIVISION_NAMES:
            problems.append(
                {"field": f"pq_divisions[{index}]", "message": f"{division} is no CPV division."}
            )
    known = {t.code for t in profile.prequalification.evidence}
    for index, code in enumerate(content.evidence_types):
        if code not in known:
            problems.append(
                {"field": f"evidence_types[{index}]", "message": f"{code} is no evidence type."}
            )
    return problems + _deadline_problems(content, now)


def refuse_invalid(profile: Profile, content: TenderContent, now: datetime) -> None:
    problems = validate(profile, content, now)
    if problems:
        raise InvalidTender(
            "The tender breaks "
            + ("a rule" if len(problems) == 1 else f"{len(problems)} rules")
            + ": "
            + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
            problems=problems,
        )


def _json(values: list[str]) -> str:
    return msgspec.json.encode(values).decode()


def write_content(tender: Tender, content: TenderContent) -> tuple[list[Lot], list[AwardCriterion]]:
    tender.title = content.title.strip()
    tender.description = content.description
    tender.procedure = content.procedure
    tender.contract_kind = content.contract_kind
    tender.authority_kind = content.authority_kind
    tender.estimated_value = content.estimated_value
    tender.cpv_codes = _json(content.cpv_codes)
    tender.nuts_code = content.nuts_code
    tender.urgent = content.urgent
    tender.urgency_reason = content.urgency_reason if content.urgent else None
    tender.clarification_deadline = content.clarification_deadline
    tender.submission_deadline = content.submission_deadline
    tender.binding_until = content.binding_until
    tender.pq_categories = _json(list(content.pq_categories))
    tender.pq_divisions = _json(content.pq_divisions)
    tender.evidence_types = _json(content.evidence_types)
    tender.bid_signature = content.bid_signature
    lots = [
        Lot(
            tender_id=tender.id,
            number=number,
            title=lot.title,
            description=lot.description,
            estimated_value=lot.estimated_value,
            cpv_codes=_json(lot.cpv_codes),
        )
        for number, lot in enumerate(content.lots, start=1)
    ]
    criteria = [
        AwardCriterion(
            tender_id=tender.id,
            position=position,
            name=criterion.name,
            kind=criterion.kind,
            weight=criterion.weight,
            method=criterion.method,
            max_points=criterion.max_points,
        )
        for position, criterion in enumerate(content.criteria, start=1)
    ]
    return lots, criteria


async def _audit(
    session: AsyncSession,
    tender: Tender,
    action: str,
    by: Principal,
    now: datetime,
    **after: object,
) -> None:
    await record(
        session,
        now=now,
        action=action,
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={"number": tender.number, **after},
    )


async def create_draft(
    session: AsyncSession,
    *,
    profile: Profile,
    authority_id: uuid.UUID,
    content: TenderContent,
    by: Principal,
    now: datetime,
) -> Tender:
    """A new draft of the authority, numbered ``<state>-V-<year>-<sequence>``."""
    refuse_invalid(profile, content, now)
    repo = TenderRepository(session)
    year = now.astimezone(ZoneInfo(profile.instance.timezone)).year
    sequence = await repo.next_number(year)
    tender = Tender(
        id=uuid.uuid4(),
        number=f"{profile.instance.id.upper()}-V-{year}-{sequence:06d}",
        authority_id=authority_id,
        status=TenderStatus.DRAFT,
        version=1,
        created_at=now,
        created_by=by.user_id,
        updated_at=now,
    )
    lots, criteria = write_content(tender, content)
    session.add(tender)
    await session.flush()
    await repo.replace_lots_and_criteria(tender.id, lots, criteria)
    await _audit(session, tender, "tender.create", by, now)
    return tender


def check_version(tender: Tender, version: int) -> None:
    if tender.version != version:
        raise TenderChanged(
            f"The tender is at version {tender.version}, you saw {version}: reload it.",
            current_version=tender.version,
        )


def require_draft(tender: Tender, what: str) -> None:
    if tender.status != TenderStatus.DRAFT:
        raise WrongTenderState(
            f"The tender is {tender.status}: {what} only in a draft; after publication a "
            "change is an amendment.",
            status=tender.status,
        )


async def update_draft(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    version: int,
    content: TenderContent,
    by: Principal,
    now: datetime,
) -> Tender:
    """Replace the content of a draft (the version must be the one the officer saw)."""
    require_draft(tender, "the content is edited")
    check_version(tender, version)
    refuse_invalid(profile, content, now)
    lots, criteria = write_content(tender, content)
    await TenderRepository(session).replace_lots_and_criteria(tender.id, lots, criteria)
    tender.version += 1
    tender.updated_at = now
    await _audit(session, tender, "tender.update", by, now, version=tender.version)
    return tender


async def get_tender_of(
    session: AsyncSession,
    authority_id: uuid.UUID,
    tender_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Tender:
    """A tender of ``authority_id``; another authority's answers 404 (reveals nothing)."""
    tender = await TenderRepository(session).tender(tender_id, for_update=for_update)
    if tender is None or tender.authority_id != authority_id:
        raise TenderNotFound("There is no such tender.")
    return tender


def _store(path: Path, stream: IO[bytes], limit: int) -> tuple[int, str]:
    """Copy ``stream`` to ``path`` (fsync, rename into place); size and SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as handle:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InvalidDocument(
                        f"The document is larger than {limit // (1 << 20)} MB.",
                        reason="too-large",
                        limit_bytes=limit,
                    )
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if size == 0:
            raise InvalidDocument("The document is empty.", reason="empty")
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return size, digest.hexdigest()


async def add_document(
    session: AsyncSession,
    *,
    files: DocumentFiles,
    tender: Tender,
    title: str,
    filename: str,
    media_type: str,
    stream: IO[bytes],
    limit: int,
    replaces: uuid.UUID | None,
    by: Principal,
    now: datetime,
    amendment_number: int | None = None,
) -> TenderDocument:
    """Store a document of a draft (or, with ``amendment_number``, of an amendment); with
    ``replaces`` (a document's key) it becomes that document's next version."""
    if amendment_number is None:
        require_draft(tender, "documents are added")
    repo = TenderRepository(session)
    key, version = uuid.uuid4(), 1
    if replaces is not None:
        previous = await repo.latest_version(tender.id, replaces)
        if previous is None or previous.withdrawn_at is not None:
            raise DocumentNotFound("The tender has no such document to replace.")
        key, version = previous.key, previous.version + 1
        await repo.supersede(previous, now)
    document = TenderDocument(
        id=uuid.uuid4(),
        tender_id=tender.id,
        key=key,
        version=version,
        title=title.strip() or filename,
        filename=filename,
        media_type=safe_media_type(media_type),
        uploaded_at=now,
        uploaded_by=by.user_id,
        amendment_number=amendment_number,
    )
    document.size, document.sha256 = _store(files.path(tender.id, document.id), stream, limit)
    session.add(document)
    await session.flush()
    await _audit(
        session,
        tender,
        "tender.document_add",
        by,
        now,
        document=str(document.id),
        sha256=document.sha256,
        version=version,
    )
    return document


async def remove_document(
    session: AsyncSession,
    *,
    tender: Tender,
    document_id: uuid.UUID,
    by: Principal,
    now: datetime,
) -> None:
    """Withdraw a document from a draft (the file stays for the record)."""
    require_draft(tender, "documents are removed")
    document = await TenderRepository(session).document(document_id)
    if document is None or document.tender_id != tender.id or document.withdrawn_at is not None:
        raise DocumentNotFound("The tender has no such document.")
    document.withdrawn_at = now
    await _audit(session, tender, "tender.document_remove", by, now, document=str(document_id))


def _codes(raw: str) -> list[str]:
    return msgspec.json.decode(raw, type=list[str])


def preview_regime(
    profile: Profile, tender: Tender, now: datetime
) -> tuple[Literal["eu", "national"] | None, Decimal | None]:
    """The regime the tender has (or would have if published now) and its threshold."""
    day = now.astimezone(ZoneInfo(profile.instance.timezone)).date()
    try:
        assessment = assess_regime(
            profile,
            cast("ContractKind", tender.contract_kind),
            cast("AuthorityKind", tender.authority_kind),
            tender.estimated_value,
            day,
        )
    except NoThresholdsForDate:
        return None, None
    return assessment.regime, assessment.threshold


def document_view(document: TenderDocument) -> DocumentView:
    return DocumentView(
        id=document.id,
        key=document.key,
        version=document.version,
        title=document.title,
        filename=document.filename,
        media_type=document.media_type,
        size=document.size,
        sha256=document.sha256,
        uploaded_at=document.uploaded_at,
        amendment_number=document.amendment_number,
    )


async def tender_view(
    session: AsyncSession, profile: Profile, tender: Tender, now: datetime
) -> TenderView:
    repo = TenderRepository(session)
    lots: Sequence[Lot] = await repo.lots(tender.id)
    criteria: Sequence[AwardCriterion] = await repo.criteria(tender.id)
    regime = tender.regime
    if tender.status == TenderStatus.DRAFT:
        regime, _ = preview_regime(profile, tender, now)
    return TenderView(
        id=tender.id,
        number=tender.number,
        authority_id=tender.authority_id,
        authority_name=await repo.authority_name(tender.authority_id),
        status=tender.status,
        version=tender.version,
        title=tender.title,
        description=tender.description,
        procedure=tender.procedure,
        contract_kind=tender.contract_kind,
        authority_kind=tender.authority_kind,
        estimated_value=tender.estimated_value,
        regime=regime,
        cpv_codes=_codes(tender.cpv_codes),
        nuts_code=tender.nuts_code,
        urgent=tender.urgent,
        urgency_reason=tender.urgency_reason,
        clarification_deadline=tender.clarification_deadline,
        submission_deadline=tender.submission_deadline,
        binding_until=tender.binding_until,
        lots=[
            LotView(
                number=lot.number,
                title=lot.title,
                description=lot.description,
                estimated_value=lot.estimated_value,
                cpv_codes=_codes(lot.cpv_codes),
            )
            for lot in lots
        ],
        criteria=[
            CriterionView(
                position=c.position,
                name=c.name,
                kind=c.kind,
                weight=c.weight,
                method=c.method,
                max_points=c.max_points,
            )
            for c in criteria
        ],
        pq_categories=_codes(tender.pq_categories),
        pq_divisions=_codes(tender.pq_divisions),
        evidence_types=_codes(tender.evidence_types),
        bid_signature=tender.bid_signature,
        documents=[document_view(d) for d in await repo.documents(tender.id)],
        amendments=[
            AmendmentView(
                number=a.number,
                at=a.at,
                summary=a.summary,
                changes=msgspec.json.decode(a.changes, type=dict[str, dict[str, object]]),
                material=a.material,
            )
            for a in await repo.amendments(tender.id)
        ],
        published_at=tender.published_at,
        closed_at=tender.closed_at,
        cancelled_at=tender.cancelled_at,
        cancellation_reason=tender.cancellation_reason,
    )
