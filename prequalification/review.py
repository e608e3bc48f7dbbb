"""The officer's path: the queue, item decisions, change requests, approval and rejection.

Only officers of an organisation designated as a pre-qualification office review, and never an
application of an organisation they belong to themselves. Decisions on the whole application
carry the version the officer saw, so that a change made meanwhile (a resubmission, another
officer) is not decided blindly. Approval issues the certificate in the same transaction
(:func:`prequalification.certificates.issue`); sealing its documents is a job.
"""

from __future__ import annotations

__all__ = [
    "approve",
    "decide_declaration",
    "decide_evidence",
    "office_of",
    "queue",
    "reject",
    "request_changes",
    "start_review",
]

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.models import Role
from infra.identity.principal import Principal
from infra.mail.outbox import queue_mail
from infra.profile import Profile
from prequalification import applications, certificates, lifecycle, messages
from prequalification.errors import (
    ApplicationIncomplete,
    EvidenceNotFound,
    NotAPrequalificationOffice,
    OwnOrganisation,
    StaleVersion,
    WrongState,
)
from prequalification.models import (
    Application,
    ApplicationStatus,
    Certificate,
    Evidence,
    EvidenceStatus,
    SelfDeclarationRecord,
)
from prequalification.repository import PrequalificationRepository
from prequalification.schemas import QueueEntry


async def office_of(session: AsyncSession, principal: Principal) -> uuid.UUID:
    """The pre-qualification office the principal is an officer of (403 otherwise)."""
    repo = PrequalificationRepository(session)
    for organisation_id, membership in sorted(principal.memberships.items()):
        if (
            membership.kind == "authority"
            and membership.role == Role.OFFICER
            and await repo.is_office(organisation_id)
        ):
            return organisation_id
    raise NotAPrequalificationOffice("Only officers of a pre-qualification office may do this.")


def _not_own(principal: Principal, application: Application) -> None:
    if principal.role_in(application.organisation_id) is not None:
        raise OwnOrganisation(
            "You belong to the applying organisation; another officer must review this."
        )


def _version(application: Application, version: int) -> None:
    if application.version != version:
        raise StaleVersion(
            f"The application is at version {application.version}, you saw {version}: "
            "reload it and decide again.",
            current_version=application.version,
        )


def _in_review(application: Application) -> None:
    if application.status != ApplicationStatus.IN_REVIEW:
        raise WrongState(
            f"Only an application in review can be decided; this one is {application.status}.",
            status=application.status,
        )


async def queue(session: AsyncSession, now: datetime) -> list[QueueEntry]:
    """Applications waiting for review or in review, oldest submission first, with their age;
    then approved ones whose renewed evidence awaits a decision (status ``renewal``)."""
    entries = []
    repo = PrequalificationRepository(session)
    for application, company in await repo.queue():
        submitted = application.submitted_at or application.created_at
        entries.append(
            QueueEntry(
                id=application.id,
                organisation_name=company,
                status=application.status,
                categories=applications._scope(application)[0],
                submitted_at=submitted,
                age_days=max(0, (now - submitted).days),
                reviewer_id=application.reviewer_id,
            )
        )
    for application, company, uploaded in await repo.renewals():
        entries.append(
            QueueEntry(
                id=application.id,
                organisation_name=company,
                status="renewal",
                categories=applications._scope(application)[0],
                submitted_at=uploaded,
                age_days=max(0, (now - uploaded).days),
                reviewer_id=application.reviewer_id,
            )
        )
    return entries


async def _audit(
    session: AsyncSession,
    application: Application,
    action: str,
    by: Principal,
    now: datetime,
    **after: object,
) -> None:
    await record(
        session,
        now=now,
        action=action,
        object_type="pq_application",
        object_id=str(application.id),
        actor_user_id=by.user_id,
        organisation_id=application.organisation_id,
        after=after or None,
    )


async def start_review(
    session: AsyncSession,
    *,
    application: Application,
    by: Principal,
    now: datetime,
    version: int | None = None,
) -> Application:
    """Take a submitted application into review (idempotent for its reviewer).

    ``version``, when given, is the version the officer saw (the pages send it)."""
    _not_own(by, application)
    if version is not None and not (
        application.status == ApplicationStatus.IN_REVIEW and application.reviewer_id == by.user_id
    ):
        _version(application, version)
    if application.status == ApplicationStatus.IN_REVIEW and application.reviewer_id == by.user_id:
        return application
    if application.status != ApplicationStatus.SUBMITTED:
        raise WrongState(
            f"Only a submitted application can be taken into review; this one is "
            f"{application.status}.",
            status=application.status,
        )
    application.status = ApplicationStatus.IN_REVIEW
    application.reviewer_id = by.user_id
    application.version += 1
    await _audit(session, application, "pq_application.start_review", by, now)
    return application


async def decide_evidence(
    session: AsyncSession,
    *,
    profile: Profile,
    application: Application,
    evidence_id: uuid.UUID,
    accept: bool,
    reason: str,
    by: Principal,
    now: datetime,
    version: int | None = None,
) -> None:
    """Accept or reject one item, with a reason (it is shown to the company).

    On an approved application this decides renewed evidence: an accepted renewal replaces the
    older item of a single-item type and may reinstate a suspended certificate. ``version``,
    when given, must be the application's current version (a decision is not taken on a state
    the officer did not see); the item itself is one immutable upload either way.
    """
    _not_own(by, application)
    if version is not None:
        _version(application, version)
    renewal = application.status == ApplicationStatus.APPROVED
    if not renewal:
        _in_review(application)
    repo = PrequalificationRepository(session)
    evidence = await repo.evidence(evidence_id, for_update=True)
    if evidence is None or evidence.application_id != application.id:
        raise EvidenceNotFound("There is no such piece of evidence in this application.")
    if evidence.status not in (
        EvidenceStatus.CHECKED,
        EvidenceStatus.ACCEPTED,
        EvidenceStatus.REJECTED,
        EvidenceStatus.UNREADABLE,
    ):
        raise WrongState(
            f"This item is {evidence.status}: it can be decided once its signature check ran "
            "and while it is the current upload.",
            status=evidence.status,
        )
    if accept and evidence.status == EvidenceStatus.UNREADABLE:
        raise WrongState("An unreadable file cannot be accepted.", status=evidence.status)
    evidence.status = EvidenceStatus.ACCEPTED if accept else EvidenceStatus.REJECTED
    evidence.review_reason = reason
    evidence.reviewed_at = now
    evidence.reviewed_by = by.user_id
    application.version += 1
    await record(
        session,
        now=now,
        action="pq_evidence.accept" if accept else "pq_evidence.reject",
        object_type="pq_evidence",
        object_id=str(evidence_id),
        actor_user_id=by.user_id,
        organisation_id=application.organisation_id,
        after={"reason": reason},
    )
    if renewal and accept:
        evidence_type = profile.prequalification.evidence_type(evidence.type_code)
        if evidence_type.min_items == 1:
            for older in await repo.evidence_of(application.id):
                if (
                    older.id != evidence.id
                    and older.type_code == evidence.type_code
                    and older.status == EvidenceStatus.ACCEPTED
                ):
                    older.status = EvidenceStatus.SUPERSEDED
        await session.flush()
        await lifecycle.reinstate_if_complete(
            session, profile=profile, application=application, by=by, now=now
        )


async def decide_declaration(
    session: AsyncSession,
    *,
    application: Application,
    accept: bool,
    reason: str,
    by: Principal,
    now: datetime,
    version: int | None = None,
) -> None:
    """Accept or reject the self-declaration; ``fail`` and ``discretionary`` need this step.

    ``version``, when given, must be the application's current version."""
    _not_own(by, application)
    _in_review(application)
    if version is not None:
        _version(application, version)
    declaration = await PrequalificationRepository(session).declaration(application.id)
    if declaration is None:
        raise EvidenceNotFound("The application has no self-declaration.")
    declaration.review_status = "accepted" if accept else "rejected"
    declaration.review_reason = reason
    application.version += 1
    await _audit(
        session,
        application,
        "pq_declaration.accept" if accept else "pq_declaration.reject",
        by,
        now,
        outcome=declaration.outcome,
        reason=reason,
    )


async def _mail_company(
    session: AsyncSession,
    profile: Profile,
    application: Application,
    mail: tuple[str, str],
    now: datetime,
) -> None:
    subject, body = mail
    repo = PrequalificationRepository(session)
    for user in await repo.contacts(application.organisation_id, (Role.OWNER,)):
        await queue_mail(session, to=user.email, subject=subject, body=body, now=now)


def _link(base_url: str, application: Application) -> str:
    return f"{base_url}/praequalifizierung/antraege/{application.id}"


async def _company_name(session: AsyncSession, application: Application) -> str:
    organisation = await PrequalificationRepository(session).organisation(
        application.organisation_id
    )
    return organisation.legal_name if organisation else ""


async def request_changes(
    session: AsyncSession,
    *,
    profile: Profile,
    base_url: str,
    application: Application,
    version: int,
    message: str,
    by: Principal,
    now: datetime,
) -> Application:
    """Send the application back; the company's owners get a mail listing what to fix."""
    _not_own(by, application)
    _in_review(application)
    _version(application, version)
    repo = PrequalificationRepository(session)
    evidence = list(await repo.evidence_of(application.id))
    declaration = await repo.declaration(application.id)
    names = {t.code: t.name["de"] for t in profile.prequalification.evidence}
    items = [
        f"{names.get(e.type_code, e.type_code)}: {e.review_reason}"
        for e in evidence
        if e.status == EvidenceStatus.REJECTED
    ]
    if declaration is not None and declaration.review_status == "rejected":
        items.append(f"Eigenerklärung / self-declaration: {declaration.review_reason}")
    on = applications.today(profile, now)
    items.extend(
        f"{item.name_de}: fehlt / missing"
        for item in applications.checklist(profile, application, evidence, declaration, on)
        if item.mandatory and item.state == "missing"
    )
    due = on + timedelta(days=profile.prequalification.change_request_days)
    application.status = ApplicationStatus.CHANGES_REQUESTED
    application.change_request = message
    application.changes_due = due
    application.version += 1
    instance = profile.instance
    await _mail_company(
        session,
        profile,
        application,
        messages.changes_requested_mail(
            await _company_name(session, application),
            message=message,
            items=items,
            due=due,
            link=_link(base_url, application),
            platform=instance.name["de"],
            operator=instance.operator["de"],
        ),
        now,
    )
    await _audit(session, application, "pq_application.request_changes", by, now, message=message)
    return application


def _blockers(
    profile: Profile,
    application: Application,
    evidence: list[Evidence],
    declaration: SelfDeclarationRecord | None,
) -> list[str]:
    categories = applications._scope(application)[0]
    blockers = []
    for evidence_type in profile.prequalification.required_for(categories):
        if not evidence_type.mandatory:
            continue
        if evidence_type.form == "self-declaration":
            if declaration is None or (
                declaration.review_status != "accepted" and declaration.outcome != "pass"
            ):
                blockers.append(evidence_type.code)
            continue
        accepted = [
            e
            for e in evidence
            if e.type_code == evidence_type.code and e.status == EvidenceStatus.ACCEPTED
        ]
        if len(accepted) < evidence_type.min_items:
            blockers.append(evidence_type.code)
    return blockers


async def approve(
    session: AsyncSession,
    *,
    profile: Profile,
    base_url: str,
    application: Application,
    version: int,
    by: Principal,
    now: datetime,
) -> Certificate:
    """Approve and issue the certificate; refused while a mandatory item is not accepted.

    A self-declaration assessed ``pass`` needs no decision; ``fail`` and ``discretionary``
    must have been accepted by an officer (:func:`decide_declaration`).
    """
    _not_own(by, application)
    _in_review(application)
    _version(application, version)
    repo = PrequalificationRepository(session)
    evidence = list(await repo.evidence_of(application.id))
    declaration = await repo.declaration(application.id)
    if declaration is not None and declaration.review_status == "rejected":
        raise ApplicationIncomplete(
            "The self-declaration was rejected: request changes or reject the application.",
            missing=["self-declaration"],
        )
    blockers = _blockers(profile, application, evidence, declaration)
    if blockers:
        raise ApplicationIncomplete(
            "Mandatory items are not accepted yet: " + ", ".join(blockers) + ".",
            missing=blockers,
        )
    application.status = ApplicationStatus.APPROVED
    application.decided_at = now
    application.decided_by = by.user_id
    application.version += 1
    certificate = await certificates.issue(
        session, profile=profile, application=application, by=by, now=now
    )
    await _mail_company(
        session,
        profile,
        application,
        messages.approved_mail(
            await _company_name(session, application),
            number=certificate.number,
            valid_to=certificate.valid_to,
            link=_link(base_url, application),
            platform=profile.instance.name["de"],
            operator=profile.instance.operator["de"],
        ),
        now,
    )
    await _audit(
        session, application, "pq_application.approve", by, now, certificate=certificate.number
    )
    return certificate


async def reject(
    session: AsyncSession,
    *,
    profile: Profile,
    base_url: str,
    application: Application,
    version: int,
    reason: str,
    by: Principal,
    now: datetime,
) -> Application:
    """Reject the application with reasons (mailed to the company's owners)."""
    _not_own(by, application)
    _in_review(application)
    _version(application, version)
    application.status = ApplicationStatus.REJECTED
    application.decided_at = now
    application.decided_by = by.user_id
    application.decision_reason = reason
    application.version += 1
    await _mail_company(
        session,
        profile,
        application,
        messages.rejected_mail(
            await _company_name(session, application),
            reason=reason,
            link=_link(base_url, application),
            platform=profile.instance.name["de"],
            operator=profile.instance.operator["de"],
        ),
        now,
    )
    await _audit(session, application, "pq_application.reject", by, now, reason=reason)
    return application
