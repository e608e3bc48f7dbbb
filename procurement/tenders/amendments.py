"""Amendments: every change of a published tender, logged field by field and announced.

After publication the content of a tender changes only here (Änderung der Vergabeunterlagen).
An amendment carries the whole content as it shall be, the version the officer saw and a summary
in the officer's words; it is refused when it changes nothing, when it would make it another
procedure (procedure type, kind of contract, or a value that reaches the EU threshold in a
national procedure: that is a new procedure, not an amendment), or when its deadlines break a
rule. The minimum periods count from
the original publication (the dispatch of the notice), so an extension always passes and a
shortening below the minimum is refused whatever the profile says for publication; other checks
refuse or warn as on publication. A document added or replaced after publication is an amendment
of its own (:func:`amend_document`).

Each amendment is numbered per tender under the tender row's lock, stores each changed field with
its value before and after, raises the version, moves the closing job when the submission
deadline moves, and is mailed to everyone interested: who downloaded documents or asked a
question, and (once bids exist) who holds a bid. A material change tells bidders they may
submit again. § 20 Abs. 3 Satz 1 Nr. 2 VgV asks for a longer deadline after a material change in
an EU procedure; an amendment that does not extend it gets a warning, not a refusal, since what
is appropriate is the authority's judgement.
"""

from __future__ import annotations

__all__ = [
    "FIELD_NAMES",
    "amend",
    "amend_document",
    "amendment_view",
    "diff",
    "recipients",
    "require_open",
]

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any, cast
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.models import Membership, Role
from infra.identity.principal import Principal
from infra.jobs import outbox
from infra.profile import Profile
from procurement import periods
from procurement.errors import AmendmentRefused, InvalidTender, WrongTenderState
from procurement.regime import assess_regime
from procurement.schemas import ContractKind
from procurement.tenders import authoring, closing, messages, search
from procurement.tenders.models import (
    Amendment,
    AwardCriterion,
    Lot,
    Tender,
    TenderDocument,
    TenderStatus,
)
from procurement.tenders.repository import TenderRepository
from procurement.tenders.schemas import AmendmentView, Check, TenderContent

FIELD_NAMES: dict[str, tuple[str, str]] = {
    "title": ("Bezeichnung", "title"),
    "description": ("Beschreibung", "description"),
    "estimated_value": ("geschätzter Auftragswert", "estimated value"),
    "authority_kind": ("Art des Auftraggebers", "kind of authority"),
    "cpv_codes": ("CPV-Codes", "CPV codes"),
    "nuts_code": ("Ort der Leistung (NUTS)", "place of performance (NUTS)"),
    "urgent": ("Dringlichkeit", "urgency"),
    "urgency_reason": ("Begründung der Dringlichkeit", "reason for the urgency"),
    "clarification_deadline": ("Frist für Bieterfragen", "deadline for questions"),
    "submission_deadline": ("Angebots- bzw. Teilnahmefrist", "submission deadline"),
    "binding_until": ("Bindefrist", "binding period"),
    "lots": ("Lose", "lots"),
    "criteria": ("Zuschlagskriterien", "award criteria"),
    "pq_categories": ("Eignung: Präqualifizierung", "suitability: pre-qualification"),
    "pq_divisions": ("Eignung: CPV-Abteilungen", "suitability: CPV divisions"),
    "evidence_types": ("Eignung: Nachweise", "suitability: evidence"),
    "bid_signature": ("Form der Angebote (Signatur)", "form of bids (signature)"),
    "documents": ("Vergabeunterlagen", "procurement documents"),
}
"""Each field an amendment may change, named in German and English (for the mails)."""


def require_open(tender: Tender, now: datetime, what: str) -> None:
    """The tender is published and its submission deadline is ahead."""
    if tender.status != TenderStatus.PUBLISHED:
        raise WrongTenderState(
            f"The tender is {tender.status}: {what} only while it is published.",
            status=tender.status,
        )
    if tender.submission_deadline is not None and tender.submission_deadline <= now:
        raise WrongTenderState(
            f"The submission deadline has passed: {what} no longer.", status=tender.status
        )


async def _bid_holders(session: AsyncSession, tender: Tender) -> list[uuid.UUID]:
    """The people of companies holding a draft or a submitted bid on ``tender`` (owners and
    members, active accounts): they hear of every amendment and of the cancellation."""
    from procurement.bids.models import Bid, BidStatus

    rows = await session.scalars(
        select(Membership.user_id)
        .join(Bid, Bid.organisation_id == Membership.organisation_id)
        .where(
            Bid.tender_id == tender.id,
            Bid.status.in_([BidStatus.DRAFT, BidStatus.SUBMITTED]),
            Membership.role.in_([Role.OWNER, Role.MEMBER]),
        )
        .distinct()
    )
    return list(rows)


async def recipients(session: AsyncSession, tender: Tender) -> set[uuid.UUID]:
    """Everyone to tell of a change: the interested (downloads, questions) and bid holders."""
    interested = await TenderRepository(session).interested_users(tender.id)
    return {*interested, *await _bid_holders(session, tender)}


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _codes(raw: str) -> list[str]:
    return msgspec.json.decode(raw, type=list[str])


def _content_state(content: TenderContent) -> dict[str, Any]:
    """The amendable fields of ``content`` as they will be stored."""
    return {
        "title": content.title.strip(),
        "description": content.description,
        "estimated_value": content.estimated_value,
        "authority_kind": content.authority_kind,
        "cpv_codes": list(content.cpv_codes),
        "nuts_code": content.nuts_code,
        "urgent": content.urgent,
        "urgency_reason": content.urgency_reason if content.urgent else None,
        "clarification_deadline": _utc(content.clarification_deadline),
        "submission_deadline": _utc(content.submission_deadline),
        "binding_until": content.binding_until,
        "lots": [
            {
                "title": lot.title,
                "description": lot.description,
                "estimated_value": lot.estimated_value,
                "cpv_codes": list(lot.cpv_codes),
            }
            for lot in content.lots
        ],
        "criteria": [
            {
                "name": c.name,
                "kind": c.kind,
                "weight": c.weight,
                "method": c.method,
                "max_points": c.max_points,
            }
            for c in content.criteria
        ],
        "pq_categories": list(content.pq_categories),
        "pq_divisions": list(content.pq_divisions),
        "evidence_types": list(content.evidence_types),
        "bid_signature": content.bid_signature,
    }


def _tender_state(
    tender: Tender, lots: Sequence[Lot], criteria: Sequence[AwardCriterion]
) -> dict[str, Any]:
    """The amendable fields of the stored tender."""
    return {
        "title": tender.title,
        "description": tender.description,
        "estimated_value": tender.estimated_value,
        "authority_kind": tender.authority_kind,
        "cpv_codes": _codes(tender.cpv_codes),
        "nuts_code": tender.nuts_code,
        "urgent": tender.urgent,
        "urgency_reason": tender.urgency_reason if tender.urgent else None,
        "clarification_deadline": _utc(tender.clarification_deadline),
        "submission_deadline": _utc(tender.submission_deadline),
        "binding_until": tender.binding_until,
        "lots": [
            {
                "title": lot.title,
                "description": lot.description,
                "estimated_value": lot.estimated_value,
                "cpv_codes": _codes(lot.cpv_codes),
            }
            for lot in lots
        ],
        "criteria": [
            {
                "name": c.name,
                "kind": c.kind,
                "weight": c.weight,
                "method": c.method,
                "max_points": c.max_points,
            }
            for c in criteria
        ],
        "pq_categories": _codes(tender.pq_categories),
        "pq_divisions": _codes(tender.pq_divisions),
        "evidence_types": _codes(tender.evidence_types),
        "bid_signature": tender.bid_signature,
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field whose value differs, ``{"before": …, "after": …}`` as JSON values (amounts
    and times as strings); amounts compare by value (``850000`` equals ``850000.00``), times by
    instant."""
    return {
        field: {
            "before": msgspec.to_builtins(before[field]),
            "after": msgspec.to_builtins(after[field]),
        }
        for field in after
        if before[field] != after[field]
    }


def _refuse_invalid(
    profile: Profile, tender: Tender, content: TenderContent, now: datetime
) -> None:
    """The content rules of a draft, except that a deadline for questions that has passed may
    stay as it was (only a changed one must lie ahead)."""
    problems = authoring.validate(profile, content, now)
    if (
        content.clarification_deadline is not None
        and content.clarification_deadline.tzinfo is not None
        and content.clarification_deadline == tender.clarification_deadline
        and content.clarification_deadline <= now
    ):
        problems = [p for p in problems if p["field"] != "clarification_deadline"]
    if content.submission_deadline is None:
        problems.append(
            {
                "field": "submission_deadline",
                "message": "A published tender keeps a submission deadline.",
            }
        )
    if problems:
        raise InvalidTender(
            "The tender breaks "
            + ("a rule" if len(problems) == 1 else f"{len(problems)} rules")
            + ": "
            + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
            problems=problems,
        )


def _refuse_new_procedure(profile: Profile, tender: Tender, content: TenderContent) -> None:
    assert tender.published_at is not None
    changed = [
        field
        for field in ("procedure", "contract_kind")
        if getattr(content, field) != getattr(tender, field)
    ]
    day = tender.published_at.astimezone(ZoneInfo(profile.instance.timezone)).date()
    regime = assess_regime(
        profile,
        cast("ContractKind", content.contract_kind),
        content.authority_kind,
        content.estimated_value,
        day,
    ).regime
    if regime == "eu" and tender.regime != "eu":
        # § 3 Abs. 3 VgV: the estimate at dispatch decides; a lower one leaves an EU procedure
        # as it is, a higher one above the threshold needs an EU procedure from the start.
        changed.append("regime")
    if changed:
        raise AmendmentRefused(
            "An amendment cannot change "
            + ", ".join(changed)
            + ": that would be a new procedure (cancel this one and publish a new tender).",
            reason="new-procedure",
            fields=changed,
        )


def _deadline_checks(
    profile: Profile, tender: Tender, content: TenderContent
) -> list[periods.DeadlineCheck]:
    """The deadline checks of publication, counted from the original publication; a shortened
    submission deadline below the minimum period refuses even where publication only warns."""
    assert tender.published_at is not None
    assert tender.regime is not None
    assert tender.submission_deadline is not None
    assert content.submission_deadline is not None
    shortened = content.submission_deadline < tender.submission_deadline
    found = periods.check_deadlines(
        profile,
        regime=cast("periods.Regime", tender.regime),
        procedure=content.procedure,
        urgent=content.urgent,
        dispatch=tender.published_at,
        submission_deadline=content.submission_deadline,
        clarification_deadline=content.clarification_deadline,
        binding_until=content.binding_until,
    )
    return [
        msgspec.structs.replace(check, refuses=True)
        if check.code == "submission-period" and not check.ok and shortened
        else check
        for check in found
    ]


def _as_check(found: periods.DeadlineCheck) -> Check:
    return Check(
        code=found.code,
        ok=found.ok,
        refuses=found.refuses,
        legal_basis=found.legal_basis,
        message_de=found.message_de,
        message_en=found.message_en,
        earliest=found.earliest,
    )


def _material_warning(tender: Tender, material: bool, extended: bool) -> list[Check]:
    if not material or extended or tender.regime != "eu":
        return []
    return [
        Check(
            code="material-change-extension",
            ok=False,
            refuses=False,
            legal_basis="§ 20 Abs. 3 Satz 1 Nr. 2 VgV",
            message_de=(
                "Bei wesentlichen Änderungen der Vergabeunterlagen ist die Angebotsfrist "
                "angemessen zu verlängern, damit alle Unternehmen Kenntnis nehmen können."
            ),
            message_en=(
                "After a material change of the procurement documents the deadline must be "
                "extended appropriately, so that every company can take note of it."
            ),
        )
    ]


async def _move_closing(session: AsyncSession, tender: Tender, now: datetime) -> None:
    """Move the closing job to the new deadline; write it again if it is gone (the periodic
    sweep would close the tender anyway, only later)."""
    assert tender.submission_deadline is not None
    key = closing.close_key(tender.id)
    if await outbox.move(session, key, tender.submission_deadline):
        return
    payload = closing.CloseTender(tender_id=str(tender.id))
    for dedupe_key in (key, f"{key}:v{tender.version}"):
        if await outbox.enqueue(
            session,
            closing.CLOSE_TENDER,
            payload,
            run_at=tender.submission_deadline,
            now=now,
            dedupe_key=dedupe_key,
        ):
            return


def amendment_view(amendment: Amendment) -> AmendmentView:
    return AmendmentView(
        number=amendment.number,
        at=amendment.at,
        summary=amendment.summary,
        changes=msgspec.json.decode(amendment.changes, type=dict[str, dict[str, object]]),
        material=amendment.material,
    )


async def _record(
    session: AsyncSession,
    *,
    public_url: str,
    profile: Profile,
    tender: Tender,
    changes: dict[str, dict[str, Any]],
    summary: str,
    material: bool,
    by: Principal,
    now: datetime,
    number: int | None = None,
) -> Amendment:
    """Store the amendment, raise the version, audit and announce it."""
    repo = TenderRepository(session)
    amendment = Amendment(
        id=uuid.uuid4(),
        tender_id=tender.id,
        number=number or await repo.next_amendment_number(tender.id),
        at=now,
        by=by.user_id,
        summary=summary.strip(),
        changes=msgspec.json.encode(changes).decode(),
        material=material,
    )
    session.add(amendment)
    tender.version += 1
    tender.updated_at = now
    await session.flush()
    await record(
        session,
        now=now,
        action="tender.amend",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={
            "number": tender.number,
            "amendment": amendment.number,
            "changes": changes,
            "material": material,
            "version": tender.version,
        },
    )
    mail = messages.amendment_mail(
        profile,
        tender,
        number=amendment.number,
        summary=amendment.summary,
        fields=[FIELD_NAMES[field] for field in changes],
        new_deadline=tender.submission_deadline if "submission_deadline" in changes else None,
        material=material,
        url=messages.link(public_url, tender),
    )
    await messages.send(session, profile, await recipients(session, tender), mail, now)
    return amendment


async def amend(
    session: AsyncSession,
    *,
    public_url: str,
    profile: Profile,
    tender: Tender,
    version: int,
    content: TenderContent,
    summary: str,
    material: bool,
    by: Principal,
    now: datetime,
) -> tuple[Amendment, list[Check]]:
    """Change the content of a published tender (the caller holds the tender row's lock).

    Returns:
        The amendment, and the warnings of the deadline checks that do not refuse.

    Raises:
        WrongTenderState: not published, or its submission deadline has passed.
        TenderChanged: ``version`` is not the tender's.
        InvalidTender: the content breaks a rule of a draft.
        AmendmentRefused: another procedure, no change, or a refusing deadline check.
    """
    require_open(tender, now, "the tender is amended")
    authoring.check_version(tender, version)
    _refuse_invalid(profile, tender, content, now)
    _refuse_new_procedure(profile, tender, content)
    checks = _deadline_checks(profile, tender, content)
    refused = [c for c in checks if c.refuses]
    if refused:
        raise AmendmentRefused(
            "The deadlines cannot be set like this: " + "; ".join(c.message_en for c in refused),
            reason="deadlines",
            checks=[
                {
                    "code": c.code,
                    "message": c.message_en,
                    "legal_basis": c.legal_basis,
                    "earliest": c.earliest.isoformat() if c.earliest else None,
                }
                for c in refused
            ],
        )
    repo = TenderRepository(session)
    before = _tender_state(tender, await repo.lots(tender.id), await repo.criteria(tender.id))
    changes = diff(before, _content_state(content))
    if not changes:
        raise AmendmentRefused(
            "The content is the same as the tender's: there is nothing to amend.",
            reason="no-change",
        )
    old_deadline = tender.submission_deadline
    lots, criteria = authoring.write_content(tender, content)
    await repo.replace_lots_and_criteria(tender.id, lots, criteria)
    await search.reindex(session, tender.id)
    if "submission_deadline" in changes:
        await _move_closing(session, tender, now)
    amendment = await _record(
        session,
        public_url=public_url,
        profile=profile,
        tender=tender,
        changes=changes,
        summary=summary,
        material=material,
        by=by,
        now=now,
    )
    extended = (
        old_deadline is not None
        and tender.submission_deadline is not None
        and tender.submission_deadline > old_deadline
    )
    warnings = [_as_check(c) for c in checks if not c.ok and not c.refuses]
    return amendment, warnings + _material_warning(tender, material, extended)


def _document_state(document: TenderDocument) -> dict[str, Any]:
    return {
        "key": str(document.key),
        "version": document.version,
        "title": document.title,
        "filename": document.filename,
        "sha256": document.sha256,
    }


async def amend_document(
    session: AsyncSession,
    *,
    public_url: str,
    profile: Profile,
    files: authoring.DocumentFiles,
    tender: Tender,
    version: int,
    title: str,
    filename: str,
    media_type: str,
    stream: IO[bytes],
    limit: int,
    replaces: uuid.UUID | None,
    summary: str,
    material: bool,
    by: Principal,
    now: datetime,
) -> tuple[Amendment, TenderDocument]:
    """Add a document to a published tender, or a new version of one (``replaces``: its key),
    as an amendment of its own (the caller holds the tender row's lock).

    Raises:
        WrongTenderState: not published, or its submission deadline has passed.
        TenderChanged: ``version`` is not the tender's.
        DocumentNotFound: ``replaces`` names no document of the tender.
        InvalidDocument: the file is empty or too large.
    """
    require_open(tender, now, "documents are changed")
    authoring.check_version(tender, version)
    repo = TenderRepository(session)
    number = await repo.next_amendment_number(tender.id)
    previous = await repo.latest_version(tender.id, replaces) if replaces is not None else None
    before = _document_state(previous) if previous is not None else None
    document = await authoring.add_document(
        session,
        files=files,
        tender=tender,
        title=title,
        filename=filename,
        media_type=media_type,
        stream=stream,
        limit=limit,
        replaces=replaces,
        by=by,
        now=now,
        amendment_number=number,
    )
    amendment = await _record(
        session,
        public_url=public_url,
        profile=profile,
        tender=tender,
        changes={"documents": {"before": before, "after": _document_state(document)}},
        summary=summary,
        material=material,
        by=by,
        now=now,
        number=number,
    )
    return amendment, document
