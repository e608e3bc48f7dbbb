"""The texts of identity mails, German first and English second, as public bodies write them."""

from __future__ import annotations

__all__ = ["invitation_mail", "password_reset_mail", "verification_mail"]

SIGNATURE = "\n-- \n{platform}\n{operator}\n"


def _mail(de: str, en: str, platform: str, operator: str) -> str:
    return f"{de}\n\n----- English -----\n\n{en}\n" + SIGNATURE.format(
        platform=platform, operator=operator
    )


def verification_mail(name: str, link: str, platform: str, operator: str) -> tuple[str, str]:
    subject = "Bitte bestätigen Sie Ihre E-Mail-Adresse / Please confirm your e-mail address"
    de = (
        f"Guten Tag {name},\n\nbitte bestätigen Sie Ihre E-Mail-Adresse für die {platform}:\n"
        f"{link}\n\nDer Link ist 48 Stunden gültig. Wenn Sie sich nicht registriert haben, "
        "können Sie diese Nachricht ignorieren."
    )
    en = (
        f"Hello {name},\n\nplease confirm your e-mail address for the {platform}:\n{link}\n\n"
        "The link is valid for 48 hours. If you did not register, you can ignore this message."
    )
    return subject, _mail(de, en, platform, operator)


def password_reset_mail(name: str, link: str, platform: str, operator: str) -> tuple[str, str]:
    subject = "Passwort zurücksetzen / Reset your password"
    de = (
        f"Guten Tag {name},\n\nSie können Ihr Passwort hier neu setzen:\n{link}\n\n"
        "Der Link ist eine Stunde gültig und nur einmal verwendbar. Wenn Sie das nicht "
        "angefordert haben, bleibt Ihr Passwort unverändert."
    )
    en = (
        f"Hello {name},\n\nyou can set a new password here:\n{link}\n\nThe link is valid for "
        "one hour and works once. If you did not ask for this, your password stays as it is."
    )
    return subject, _mail(de, en, platform, operator)


def invitation_mail(
    organisation: str, role: str, link: str, platform: str, operator: str
) -> tuple[str, str]:
    subject = f"Einladung: {organisation} / Invitation: {organisation}"
    de = (
        f"Guten Tag,\n\nSie wurden eingeladen, auf der {platform} für {organisation} "
        f"mitzuarbeiten (Rolle: {role}). Einladung annehmen:\n{link}\n\n"
        "Die Einladung ist 7 Tage gültig und nur einmal verwendbar."
    )
    en = (
        f"Hello,\n\nyou have been invited to work for {organisation} on the {platform} "
        f"(role: {role}). Accept the invitation:\n{link}\n\n"
        "The invitation is valid for 7 days and works once."
    )
    return subject, _mail(de, en, platform, operator)
