"""The supplier's path: start an application, upload evidence, declare, see what is missing, submit.

Every function takes the request's session and never commits. An upload is stored and hashed in
the request and its signatures are verified by the job ``prequalification.check_evidence``
(:mod:`prequalification.evidence_check`), so the request never loads pyHanko. Whether an item
is complete is decided by the catalogue of the instance profile (DESIGN.md §2): which types the
chosen categories need, how many items, the validity rule, whether a qualified signature is
required.
"""

from __future__ import annotations

__all__ = [
    "CHECK_EVIDENCE",
    "CheckEvidence",
    "EvidenceFiles",
    "application_view",
    "checklist",
    "create_application",
    "declare",
    "get_application",
    "remove_evidence",
    "submit",
    "today",
    "upload_evidence",
]

import uuid
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import anyio.to_thread
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.principal import Principal
from infra.jobs import outbox
from infra.profile import Profile
from infra.profile_prequalification import CPV_DIVISIONS, EvidenceType
from prequalification import exclusion
from prequalification.errors import (
    AlreadyOpen,
    ApplicationIncomplete,
    ApplicationNotFound,
    EvidenceNotFound,
    EvidenceRefused,
    Excluded,
    InvalidScope,
    WrongState,
)
from prequalification.models import (
    Application,
    ApplicationStatus,
    Evidence,
    EvidenceStatus,
    SelfDeclarationRecord,
)
from prequalification.repository import PrequalificationRepository
from prequalification.schemas import (
    ApplicationCreate,
    ApplicationView,
    ChecklistItem,
    DeclarationView,
    EvidenceView,
    ItemState,
    Outcome,
    Source,
)
from signatures.service import Readable, store_upload

CHECK_EVIDENCE = "prequalification.check_evidence"
EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.CHANGES_REQUESTED)
LIVE = (EvidenceStatus.CHECKING, EvidenceStatus.CHECKED, EvidenceStatus.ACCEPTED)
"""Evidence that counts towards the checklist (not rejected, replaced or unreadable)."""


class CheckEvidence(msgspec.Struct, frozen=True):
    """Payload of ``prequalification.check_evidence``."""

    evidence_id: str


class EvidenceFiles:
    """Where evidence files live: ``<storage>/prequalification/<evidence id>.pdf``."""

    def __init__(self, storage_root: Path) -> None:
        self.directory = storage_root / "prequalification"

    def path(self, evidence_id: uuid.UUID) -> Path:
        return self.directory / f"{evidence_id}.pdf"


def today(profile: Profile, now: datetime) -> date:
    """The calendar day in the instance's time zone (validity is counted in days there)."""
    return now.astimezone(ZoneInfo(profile.instance.timezone)).date()


def _scope(application: Application) -> tuple[list[str], list[str]]:
    categories = msgspec.json.decode(application.categories, type=list[str])
    divisions = msgspec.json.decode(application.cpv_divisions, type=list[str])
    return categories, divisions


async def get_application(
    session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False
) -> Application:
    found = await PrequalificationRepository(session).application(
        application_id, for_update=for_update
    )
    if found is None:
        raise ApplicationNotFound("There is no such application.")
    return found


async def get_own_application(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    application_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Application:
    """An application of ``organisation_id``; another company's answers 404 (reveals nothing)."""
    application = await get_application(session, application_id, for_update=for_update)
    if application.organisation_id != organisation_id:
        raise ApplicationNotFound("There is no such application.")
    return application


def _check_scope(data: ApplicationCreate) -> None:
    categories = set(data.categories)
    if len(categories) != len(data.categories) or len(set(data.cpv_divisions)) != len(
        data.cpv_divisions
    ):
        raise InvalidScope("Name each category and each CPV division once.")
    for division in data.cpv_divisions:
        owners = [cat for cat, divisions in CPV_DIVISIONS.items() if division in divisions]
        if not owners:
            raise InvalidScope(f"{division} is not a CPV division.", division=division)
        if not categories.intersection(owners):
            raise InvalidScope(
                f"CPV division {division} belongs to {', '.join(owners)}, which you did not "
                "choose.",
                division=division,
            )
    for category in categories:
        if not CPV_DIVISIONS[category].intersection(data.cpv_divisions):
            raise InvalidScope(
                f"Choose at least one CPV division of the category {category}.",
                category=category,
            )


async def create_application(
    session: AsyncSession,
    *,
    profile: Profile,
    organisation_id: uuid.UUID,
    data: ApplicationCreate,
    by: Principal,
    now: datetime,
) -> Application:
    """Start a draft; refused while another open application covers an overlapping scope, and
    while an exclusion period (§ 126 GWB) runs: up to and including its last day, counted in
    the instance's time zone."""
    _check_scope(data)
    repo = PrequalificationRepository(session)
    excluded = await repo.excluded_until(organisation_id)
    if excluded is not None and excluded >= today(profile, now):
        raise Excluded(
            f"The pre-qualification of your company was revoked; you may apply again after "
            f"{excluded.isoformat()} (§ 126 GWB).",
            excluded_until=excluded.isoformat(),
        )
    wanted = set(data.categories)
    for other in await repo.open_applications_of(organisation_id):
        categories, _ = _scope(other)
        if wanted.intersection(categories):
            raise AlreadyOpen(
                "An open application of your company already covers "
                f"{', '.join(sorted(wanted.intersection(categories)))}; continue that one.",
                application_id=str(other.id),
            )
    application = Application(
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        status=ApplicationStatus.DRAFT,
        categories=msgspec.json.encode(sorted(wanted)).decode(),
        cpv_divisions=msgspec.json.encode(sorted(data.cpv_divisions)).decode(),
        created_at=now,
        created_by=by.user_id,
        version=1,
    )
    repo.add(application)
    await repo.flush()
    await record(
        session,
        now=now,
        action="pq_application.create",
        object_type="pq_application",
        object_id=str(application.id),
        actor_user_id=by.user_id,
        organisation_id=organisation_id,
        after={"categories": sorted(wanted), "cpv_divisions": sorted(data.cpv_divisions)},
    )
    return application


def _editable(application: Application, *, renewal: bool = False) -> None:
    if renewal and application.status == ApplicationStatus.APPROVED:
        return
    if application.status not in EDITABLE:
        raise WrongState(
            "Evidence and declarations can be changed only in a draft or when changes were "
            f"requested; this application is {application.status}.",
            status=application.status,
        )


def _type_for(profile: Profile, application: Application, type_code: str) -> EvidenceType:
    categories, _ = _scope(application)
    for evidence_type in profile.prequalification.required_for(categories):
        if evidence_type.code == type_code:
            return evidence_type
    raise EvidenceRefused(
        f"{type_code!r} is not an evidence type for the categories of this application.",
        reason="unknown-type",
    )


async def upload_evidence(
    session: AsyncSession,
    *,
    profile: Profile,
    files: EvidenceFiles,
    application: Application,
    type_code: str,
    issued_on: date,
    stated_expiry: date | None,
    filename: str,
    document: Readable,
    limit: int,
    by: Principal,
    now: datetime,
) -> Evidence:
    """Store one PDF of evidence and queue its signature check.

    Refused (422, nothing stored) when the type is not one of the application's, is answered
    by the self-declaration instead, or when the item is already expired or lacks the expiry
    its type needs; a non-PDF answers 422 ``unreadable-document``, an oversized file 413.
    """
    renewal = application.status == ApplicationStatus.APPROVED
    if renewal:
        await _live_certificate(session, application)
    _editable(application, renewal=True)
    evidence_type = _type_for(profile, application, type_code)
    if evidence_type.form != "document":
        raise EvidenceRefused(
            "The self-declaration is answered as a form (or imported from an ESPD), not uploaded.",
            reason="self-declaration",
        )
    problem = evidence_type.validity.problem_at(issued_on, stated_expiry, today(profile, now))
    if problem is not None:
        raise EvidenceRefused(_PROBLEM_TEXT.get(problem, problem), reason=problem)
    evidence_id = uuid.uuid4()
    path = files.path(evidence_id)
    stored = await anyio.to_thread.run_sync(
        partial(store_upload, document, path, limit=limit, pdf=True)
    )
    if evidence_type.qualified_signature and not await anyio.to_thread.run_sync(
        partial(_may_be_signed, path)
    ):
        path.unlink(missing_ok=True)
        raise EvidenceRefused(
            "This type of evidence must carry a qualified electronic signature or seal; the "
            "file carries no signature at all.",
            reason="signature-required",
        )
    repo = PrequalificationRepository(session)
    if evidence_type.min_items == 1 and not renewal:
        # A renewal replaces the accepted item only once it is accepted itself.
        await repo.supersede(application.id, type_code)
    evidence = Evidence(
        id=evidence_id,
        application_id=application.id,
        organisation_id=application.organisation_id,
        type_code=type_code,
        status=EvidenceStatus.CHECKING,
        filename=_safe_name(filename),
        sha256=stored.sha256,
        size=stored.size,
        issued_on=issued_on,
        stated_expiry=stated_expiry,
        expires_on=evidence_type.validity.expires_on(issued_on, stated_expiry),
        uploaded_at=now,
        uploaded_by=by.user_id,
    )
    repo.add(evidence)
    application.version += 1
    await repo.flush()
    await outbox.enqueue(
        session,
        CHECK_EVIDENCE,
        CheckEvidence(evidence_id=str(evidence_id)),
        run_at=now,
        now=now,
        dedupe_key=f"pq-evidence:{evidence_id}",
        max_attempts=3,
    )
    await record(
        session,
        now=now,
        action="pq_evidence.upload",
        object_type="pq_evidence",
        object_id=str(evidence_id),
        actor_user_id=by.user_id,
        organisation_id=application.organisation_id,
        after={"type": type_code, "sha256": stored.sha256, "issued_on": issued_on.isoformat()},
    )
    return evidence


async def _live_certificate(session: AsyncSession, application: Application) -> None:
    """Renewed evidence goes to a certificate that is still valid or suspended."""
    certificate = await PrequalificationRepository(session).certificate_of_application(
        application.id
    )
    if certificate is None or certificate.status not in ("valid", "suspended"):
        raise WrongState(
            "Evidence can be renewed only while the certificate is valid or suspended; "
            "apply again instead.",
            status=application.status,
        )


_PROBLEM_TEXT = {
    "expired": "The document has already expired under its type's validity rule.",
    "missing-expiry": "This type of evidence needs the expiry date the document states.",
    "issued-in-future": "The issue date lies in the future.",
}


def _may_be_signed(path: Path) -> bool:
    """Whether the PDF may carry a signature (a byte range, or objects hidden in object streams).

    A cheap test in the request, so that an unsigned file is refused at once where a qualified
    signature is required; whether a signature is valid and qualified the job decides.
    """
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            window = tail + chunk
            if b"/ByteRange" in window or b"/ObjStm" in window:
                return True
            tail = chunk[-16:]
    return False


def _safe_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip() or "dokument.pdf"
    return "".join(ch for ch in name if ch.isprintable())[:200]


async def remove_evidence(
    session: AsyncSession,
    *,
    application: Application,
    evidence_id: uuid.UUID,
    by: Principal,
    now: datetime,
) -> None:
    """Withdraw an upload while the application is editable (kept as superseded, not deleted)."""
    _editable(application)
    repo = PrequalificationRepository(session)
    evidence = await repo.evidence(evidence_id, for_update=True)
    if evidence is None or evidence.application_id != application.id:
        raise EvidenceNotFound("There is no such piece of evidence in this application.")
    evidence.status = EvidenceStatus.SUPERSEDED
    application.version += 1
    await record(
        session,
        now=now,
        action="pq_evidence.withdraw",
        object_type="pq_evidence",
        object_id=str(evidence_id),
        actor_user_id=by.user_id,
        organisation_id=application.organisation_id,
    )


async def declare(
    session: AsyncSession,
    *,
    profile: Profile,
    application: Application,
    declaration: exclusion.SelfDeclaration,
    source: str,
    sme_size: str | None,
    by: Principal,
    now: datetime,
) -> SelfDeclarationRecord:
    """Record (or replace) the self-declaration, assessed at once; raises
    :class:`~prequalification.exclusion.IncompleteDeclaration` unless every ground is answered.
    """
    _editable(application)
    assessment = exclusion.assess(
        declaration,
        on=today(profile, now),
        mandatory_years=profile.exclusion.mandatory_years,
        optional_years=profile.exclusion.optional_years,
    )
    repo = PrequalificationRepository(session)
    existing = await repo.declaration(application.id)
    row = existing or SelfDeclarationRecord(application_id=application.id)
    row.answers = msgspec.json.encode(declaration.answers).decode()
    row.outcome = assessment.outcome
    row.findings = msgspec.json.encode(assessment.findings).decode()
    row.source = source
    row.sme_size = sme_size
    row.declared_at = now
    row.declared_by = by.user_id
    row.review_status = None
    row.review_reason = None
    if existing is None:
        repo.add(row)
    application.version += 1
    await repo.flush()
    await record(
        session,
        now=now,
        action="pq_declaration.declare",
        object_type="pq_application",
        object_id=str(application.id),
        actor_user_id=by.user_id,
        organisation_id=application.organisation_id,
        after={"outcome": assessment.outcome, "source": source},
    )
    return row


def checklist(
    profile: Profile,
    application: Application,
    evidence: list[Evidence],
    declaration: SelfDeclarationRecord | None,
    on: date,
) -> list[ChecklistItem]:
    """Each evidence type the application needs, and how far it is."""
    categories, _ = _scope(application)
    items = []
    for evidence_type in profile.prequalification.required_for(categories):
        problems: list[str] = []
        if evidence_type.form == "self-declaration":
            present = 1 if declaration is not None else 0
            checking = False
            if declaration is not None and declaration.review_status == "rejected":
                problems.append("rejected")
        else:
            live = [e for e in evidence if e.type_code == evidence_type.code and e.status in LIVE]
            present = len(live)
            checking = any(e.status == EvidenceStatus.CHECKING for e in live)
            for item in live:
                if item.expires_on is not None and item.expires_on < on:
                    problems.append("expired")
                problems.extend(msgspec.json.decode(item.flags or "[]", type=list[str]))
            rejected = [e for e in evidence if e.type_code == evidence_type.code]
            if any(e.status == EvidenceStatus.REJECTED for e in rejected) and not present:
                problems.append("rejected")
        required = evidence_type.min_items
        state: ItemState
        if present < required:
            state = "missing"
        elif checking:
            state = "checking"
        elif problems:
            state = "problem"
        else:
            state = "complete"
        items.append(
            ChecklistItem(
                type_code=evidence_type.code,
                name_de=evidence_type.name["de"],
                name_en=evidence_type.name["en"],
                mandatory=evidence_type.mandatory,
                required_items=required,
                present_items=present,
                state=state,
                problems=sorted(set(problems)),
            )
        )
    return items


def missing_mandatory(items: list[ChecklistItem]) -> list[str]:
    return [item.type_code for item in items if item.mandatory and item.state == "missing"]


async def submit(
    session: AsyncSession,
    *,
    profile: Profile,
    application: Application,
    by: Principal,
    now: datetime,
) -> Application:
    """Hand the application to the office; refused while a mandatory item is missing."""
    _editable(application)
    repo = PrequalificationRepository(session)
    evidence = list(await repo.evidence_of(application.id))
    declaration = await repo.declaration(application.id)
    missing = missing_mandatory(
        checklist(profile, application, evidence, declaration, today(profile, now))
    )
    if missing:
        raise ApplicationIncomplete(
            "Mandatory evidence is missing: " + ", ".join(missing) + ".", missing=missing
        )
    before = application.status
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = now
    application.first_submitted_at = application.first_submitted_at or now
    application.version += 1
    await record(
        session,
        now=now,
        action="pq_application.submit",
        object_type="pq_application",
        object_id=str(application.id),
        actor_user_id=by.user_id,
        organisation_id=application.organisation_id,
        before={"status": before},
        after={"status": application.status},
    )
    return application


def evidence_view(item: Evidence) -> EvidenceView:
    return EvidenceView(
        id=item.id,
        type_code=item.type_code,
        status=item.status,
        filename=item.filename,
        sha256=item.sha256,
        size=item.size,
        issued_on=item.issued_on,
        stated_expiry=item.stated_expiry,
        expires_on=item.expires_on,
        uploaded_at=item.uploaded_at,
        signature_verdict=item.verdict,
        signature_label=item.label,
        signers=msgspec.json.decode(item.signers or "[]", type=list[str]),
        flags=msgspec.json.decode(item.flags or "[]", type=list[str]),
        review_reason=item.review_reason,
    )


def declaration_view(row: SelfDeclarationRecord) -> DeclarationView:
    return DeclarationView(
        outcome=cast(Outcome, row.outcome),
        source=cast(Source, row.source),
        sme_size=row.sme_size,
        declared_at=row.declared_at,
        findings=msgspec.json.decode(row.findings),
        answers=msgspec.json.decode(row.answers),
        review_status=row.review_status,
        review_reason=row.review_reason,
    )


async def application_view(
    session: AsyncSession, profile: Profile, application: Application, now: datetime
) -> ApplicationView:
    repo = PrequalificationRepository(session)
    evidence = list(await repo.evidence_of(application.id))
    declaration = await repo.declaration(application.id)
    organisation = await repo.organisation(application.organisation_id)
    certificate = await repo.certificate_of_application(application.id)
    items = checklist(profile, application, evidence, declaration, today(profile, now))
    categories, divisions = _scope(application)
    return ApplicationView(
        id=application.id,
        organisation_id=application.organisation_id,
        organisation_name=organisation.legal_name if organisation else "",
        status=application.status,
        categories=categories,
        cpv_divisions=divisions,
        created_at=application.created_at,
        submitted_at=application.submitted_at,
        change_request=application.change_request,
        changes_due=application.changes_due,
        decision_reason=application.decision_reason,
        version=application.version,
        evidence=[evidence_view(e) for e in evidence],
        declaration=declaration_view(declaration) if declaration else None,
        checklist=items,
        complete=not missing_mandatory(items),
        certificate_number=certificate.number if certificate else None,
    )
