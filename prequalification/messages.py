"""The texts of pre-qualification mails, German first and English second."""

from __future__ import annotations

__all__ = [
    "approved_mail",
    "changes_requested_mail",
    "expired",
    "reinstated",
    "rejected_mail",
    "reminder",
    "revoked",
    "suspended",
]

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prequalification.exclusion import Ground

Mail = tuple[str, str, str]
"""Subject, German text, English text."""

SIGNATURE = "\n-- \n{platform}\n{operator}\n"


def _mail(de: str, en: str, platform: str, operator: str) -> str:
    return f"{de}\n\n----- English -----\n\n{en}\n" + SIGNATURE.format(
        platform=platform, operator=operator
    )


def _day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def changes_requested_mail(
    company: str,
    *,
    message: str,
    items: list[str],
    due: date,
    link: str,
    platform: str,
    operator: str,
) -> tuple[str, str]:
    subject = "Präqualifizierung: Bitte nachbessern / Pre-qualification: changes requested"
    listed = "\n".join(f"- {item}" for item in items) or "-"
    de = (
        f"Guten Tag,\n\ndie Prüfstelle bittet {company}, den Antrag auf Präqualifizierung "
        f"bis zum {_day(due)} nachzubessern:\n\n{message}\n\nZu ersetzen oder zu ergänzen:\n"
        f"{listed}\n\nZum Antrag: {link}"
    )
    en = (
        f"Hello,\n\nthe office asks {company} to revise the pre-qualification application by "
        f"{_day(due)}:\n\n{message}\n\nTo replace or add:\n{listed}\n\nThe application: {link}"
    )
    return subject, _mail(de, en, platform, operator)


def approved_mail(
    company: str, *, number: str, valid_to: date, link: str, platform: str, operator: str
) -> tuple[str, str]:
    subject = f"Präqualifiziert: {number} / Pre-qualified: {number}"
    de = (
        f"Guten Tag,\n\n{company} ist präqualifiziert. Nummer: {number}, gültig bis "
        f"{_day(valid_to)}. Die gesiegelte Urkunde steht in Kürze bereit:\n{link}"
    )
    en = (
        f"Hello,\n\n{company} is pre-qualified. Number: {number}, valid until "
        f"{_day(valid_to)}. The sealed certificate will be ready shortly:\n{link}"
    )
    return subject, _mail(de, en, platform, operator)


def rejected_mail(
    company: str, *, reason: str, link: str, platform: str, operator: str
) -> tuple[str, str]:
    subject = "Präqualifizierung abgelehnt / Pre-qualification rejected"
    de = (
        f"Guten Tag,\n\nder Antrag von {company} auf Präqualifizierung wurde abgelehnt.\n\n"
        f"Begründung: {reason}\n\nZum Antrag: {link}"
    )
    en = (
        f"Hello,\n\nthe pre-qualification application of {company} was rejected.\n\n"
        f"Reason: {reason}\n\nThe application: {link}"
    )
    return subject, _mail(de, en, platform, operator)


def reminder(name_de: str, name_en: str, number: str, expires_on: date, days_left: int) -> Mail:
    return (
        f"Nachweis läuft ab: {name_de} / Evidence expires: {name_en}",
        f"Guten Tag,\n\nder Nachweis „{name_de}“ zur Präqualifizierung {number} läuft am "
        f"{_day(expires_on)} ab (in {days_left} Tagen). Bitte laden Sie rechtzeitig einen "
        "aktuellen Nachweis hoch; sonst wird die Präqualifizierung ausgesetzt.",
        f'Hello,\n\nthe evidence "{name_en}" of pre-qualification {number} expires on '
        f"{_day(expires_on)} (in {days_left} days). Please upload a current one in time; "
        "otherwise the pre-qualification is suspended.",
    )


def expired(number: str, valid_to: date) -> Mail:
    return (
        f"Präqualifizierung abgelaufen: {number} / Pre-qualification expired",
        f"Guten Tag,\n\ndie Präqualifizierung {number} ist mit dem {_day(valid_to)} "
        "abgelaufen. Sie können einen neuen Antrag stellen.",
        f"Hello,\n\npre-qualification {number} expired after {_day(valid_to)}. You may apply "
        "again.",
    )


def suspended(number: str, uncovered: list[str]) -> Mail:
    listed = ", ".join(uncovered)
    return (
        f"Präqualifizierung ausgesetzt: {number} / Pre-qualification suspended",
        f"Guten Tag,\n\ndie Präqualifizierung {number} ist ausgesetzt, weil Pflichtnachweise "
        f"abgelaufen sind: {listed}. Sobald ein aktueller Nachweis geprüft und angenommen ist, "
        "gilt sie wieder.",
        f"Hello,\n\npre-qualification {number} is suspended because mandatory evidence "
        f"expired: {listed}. Once current evidence is checked and accepted, it is valid again.",
    )


def reinstated(number: str) -> Mail:
    return (
        f"Präqualifizierung gilt wieder: {number} / Pre-qualification reinstated",
        f"Guten Tag,\n\ndie Präqualifizierung {number} gilt wieder: die erneuerten Nachweise "
        "wurden angenommen.",
        f"Hello,\n\npre-qualification {number} is valid again: the renewed evidence was accepted.",
    )


def revoked(number: str, ground: Ground, reason: str, until: date) -> Mail:
    return (
        f"Präqualifizierung widerrufen: {number} / Pre-qualification revoked",
        f"Guten Tag,\n\ndie Präqualifizierung {number} wurde widerrufen ({ground.reference}; "
        f"{ground.title_de}). Begründung: {reason}\n\nEin neuer Antrag ist nach dem "
        f"{_day(until)} möglich.",
        f"Hello,\n\npre-qualification {number} was revoked ({ground.reference}; "
        f"{ground.title_en}). Reason: {reason}\n\nYou may apply again after {_day(until)}.",
    )
