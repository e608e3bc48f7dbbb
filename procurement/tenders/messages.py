"""The mails of a tender, German first and English second, and who receives them.

Every mail names the tender by number and title and links to its public page
(``{public_url}/ausschreibungen/{tender id}``). A mail to the interested companies never names
who asked a question: each recipient gets a message of their own, and the texts carry nothing
but the tender, the question and the answer.
"""

from __future__ import annotations

__all__ = [
    "Mail",
    "amendment_mail",
    "answer_mail",
    "cancellation_mail",
    "link",
    "question_mail",
    "send",
]

import uuid
from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from infra.mail.outbox import queue_mail
from infra.profile import Profile
from procurement.tenders.models import Tender
from procurement.tenders.repository import TenderRepository

Mail = tuple[str, str, str]
"""Subject, German text, English text."""

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def link(public_url: str, tender: Tender) -> str:
    """The tender's public page."""
    return f"{public_url.rstrip('/')}/ausschreibungen/{tender.id}"


def _moment(profile: Profile, moment: datetime) -> tuple[str, str]:
    """``24.04.2026, 12:00 Uhr`` and ``24 April 2026, 12:00 (Berlin time)``."""
    local = moment.astimezone(ZoneInfo(profile.instance.timezone))
    city = profile.instance.timezone.rsplit("/", 1)[-1].replace("_", " ")
    return (
        f"{local:%d.%m.%Y, %H:%M} Uhr",
        f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}, {local:%H:%M} ({city} time)",
    )


def question_mail(tender: Tender, *, number: int, text: str, url: str) -> Mail:
    """To the authority's officers: a company asked (who, they see on the platform)."""
    return (
        f"Neue Bieterfrage Nr. {number}: {tender.number} / New question no. {number}",
        f"Guten Tag,\n\nzur Ausschreibung {tender.number} „{tender.title}“ ist die Frage "
        f"Nr. {number} eingegangen:\n\n{text}\n\nBitte beantworten Sie sie auf der Plattform; "
        f"die Antwort geht ohne Nennung des Fragenden an alle Interessenten.\n\n{url}",
        f'Hello,\n\nquestion no. {number} has come in on tender {tender.number} "{tender.title}":'
        f"\n\n{text}\n\nPlease answer it on the platform; the answer goes to every interested "
        f"company without naming who asked.\n\n{url}",
    )


def answer_mail(tender: Tender, *, number: int, question: str, answer: str, url: str) -> Mail:
    """To everyone interested: a question and its answer, never who asked."""
    return (
        f"Antwort auf Bieterfrage Nr. {number}: {tender.number} / Answer to question no. {number}",
        f"Guten Tag,\n\nzur Ausschreibung {tender.number} „{tender.title}“ hat die Vergabestelle "
        f"die Frage Nr. {number} beantwortet.\n\nFrage:\n{question}\n\nAntwort:\n{answer}\n\n"
        f"Alle Fragen und Antworten: {url}",
        f"Hello,\n\nthe contracting authority has answered question no. {number} on tender "
        f'{tender.number} "{tender.title}".\n\nQuestion:\n{question}\n\nAnswer:\n{answer}\n\n'
        f"All questions and answers: {url}",
    )


def amendment_mail(
    profile: Profile,
    tender: Tender,
    *,
    number: int,
    summary: str,
    fields: list[tuple[str, str]],
    new_deadline: datetime | None,
    material: bool,
    url: str,
) -> Mail:
    """To everyone interested: the tender changed (what, in the officer's words)."""
    changed_de = ", ".join(de for de, _ in fields)
    changed_en = ", ".join(en for _, en in fields)
    deadline_de = deadline_en = ""
    if new_deadline is not None:
        local_de, local_en = _moment(profile, new_deadline)
        deadline_de = f"\n\nDie Angebotsfrist endet jetzt am {local_de}."
        deadline_en = f"\n\nThe submission deadline is now {local_en}."
    material_de = material_en = ""
    if material:
        material_de = (
            "\n\nDie Änderung ist wesentlich: Wer bereits ein Angebot abgegeben hat, kann es bis "
            "zum Fristende durch ein neues ersetzen."
        )
        material_en = (
            "\n\nThe change is material: bidders who have already submitted may submit again "
            "before the deadline; the new bid replaces the earlier one."
        )
    return (
        f"Änderung Nr. {number}: {tender.number} / Amendment no. {number}",
        f"Guten Tag,\n\ndie Vergabeunterlagen der Ausschreibung {tender.number} „{tender.title}“ "
        f"wurden geändert (Änderung Nr. {number}).\n\n{summary}\n\nGeändert: {changed_de}"
        f"{deadline_de}{material_de}\n\n{url}",
        f'Hello,\n\nthe procurement documents of tender {tender.number} "{tender.title}" have '
        f"been amended (amendment no. {number}).\n\n{summary}\n\nChanged: {changed_en}"
        f"{deadline_en}{material_en}\n\n{url}",
    )


def cancellation_mail(
    tender: Tender, *, basis: str, ground_de: str, ground_en: str, reason: str, url: str
) -> Mail:
    """To everyone interested: the procedure is cancelled, with its ground and reasons."""
    return (
        f"Aufhebung: {tender.number} / Tender cancelled",
        f"Guten Tag,\n\ndie Vergabestelle hat das Vergabeverfahren {tender.number} "
        f"„{tender.title}“ aufgehoben ({basis}: {ground_de}).\n\nBegründung:\n{reason}\n\n{url}",
        f"Hello,\n\nthe contracting authority has cancelled the procedure {tender.number} "
        f'"{tender.title}" ({basis}: {ground_en}).\n\nReasons:\n{reason}\n\n{url}',
    )


async def send(
    session: AsyncSession,
    profile: Profile,
    user_ids: Collection[uuid.UUID],
    mail: Mail,
    now: datetime,
) -> int:
    """Queue ``mail`` to each active user of ``user_ids``, one message each; how many."""
    subject, de, en = mail
    body = (
        f"{de}\n\n----- English -----\n\n{en}\n\n-- \n{profile.instance.name['de']}\n"
        f"{profile.instance.operator['de']}\n"
    )
    addresses = await TenderRepository(session).mail_addresses(user_ids)
    for address in addresses:
        await queue_mail(session, to=address, subject=subject, body=body, now=now)
    return len(addresses)
