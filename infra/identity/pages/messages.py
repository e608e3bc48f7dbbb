"""What the identity pages tell the visitor: domain errors and notices, as translatable texts.

The services raise :class:`~infra.errors.DomainError` subclasses with an English detail meant
for API clients. A page shows the visitor's language instead: :func:`error_message` maps the
error's ``code`` (and, where one code covers several cases, a fragment of its detail) to an
English msgid marked with ``N_``, which the template translates. Notices are the short
confirmations a page shows after a redirect (``?notice=…``); only the keys below are shown.
"""

from __future__ import annotations

__all__ = ["NOTICES", "ROLE_NAMES", "SCOPE_NAMES", "error_message", "notice_message"]

from infra.errors import DomainError
from infra.web.i18n import N_

_BY_CODE: dict[str, str] = {
    "already-registered": N_(
        "An account or a company with these details is already registered. Log in, or ask the "
        "company's owner for an invitation."
    ),
    "already-member": N_("This person is already a member of the organisation."),
    "weak-password": N_(
        "Choose a password that is harder to guess: at least 12 characters, for example "
        "several unrelated words."
    ),
    "invalid-credentials": N_("The e-mail address or the password is wrong."),
    "email-not-verified": N_(
        "Please confirm your e-mail address first: follow the link in the mail we sent you."
    ),
    "too-many-attempts": N_(
        "Too many failed attempts. For your protection, please wait 15 minutes and try again."
    ),
    "token-invalid": N_(
        "This link is invalid, has expired or has already been used. Please ask for a new one."
    ),
    "not-authenticated": N_("Please log in first."),
    "forbidden": N_("You are not allowed to do this."),
    "access-denied": N_("You are not allowed to do this."),
    "not-found": N_("This no longer exists. Please reload the page."),
    "organisation-not-found": N_("This no longer exists. Please reload the page."),
}

_BY_DETAIL: list[tuple[str, str, str]] = [
    (
        "already-registered",
        "An account with this e-mail address exists",
        N_("There is already an account with this e-mail address. Please log in instead."),
    ),
    (
        "already-registered",
        "is already registered; ask its owner",
        N_(
            "A company with this Handelsregister entry is already registered. Ask its owner "
            "to invite you."
        ),
    ),
    (
        "already-registered",
        "VAT id",
        N_("A company with this VAT ID is already registered. Ask its owner to invite you."),
    ),
    (
        "already-registered",
        "has an account already",
        N_("There is already an account with this e-mail address."),
    ),
    (
        "weak-password",
        "at least",
        N_("Choose a password with at least 12 characters."),
    ),
    (
        "weak-password",
        "at most",
        N_("Choose a password with at most 256 characters."),
    ),
    (
        "weak-password",
        "too easy to guess",
        N_(
            "This password is too easy to guess: it is common, repetitive or built from your "
            "name, e-mail address or the platform's name. Several unrelated words work well."
        ),
    ),
    (
        "weak-password",
        "Give your name and a password",
        N_("Enter your name and a password to create your account."),
    ),
    ("invalid-credentials", "code", N_("The code is wrong or has expired.")),
    ("too-many-attempts", "wrong codes", N_("Too many wrong codes. Please wait 15 minutes.")),
    (
        "forbidden",
        "Nobody changes their own role",
        N_("Nobody can change their own role. Ask another owner or administrator."),
    ),
    (
        "forbidden",
        "needs at least one",
        N_(
            "The organisation needs at least one owner or administrator. Appoint another one first."
        ),
    ),
    (
        "forbidden",
        "has the roles",
        N_("This role does not exist in this kind of organisation."),
    ),
    (
        "forbidden",
        "Log in as",
        N_("This invitation is for another e-mail address. Log in with that address."),
    ),
    (
        "forbidden",
        "Only owners or admins remove other members",
        N_("Only owners or administrators can remove other members."),
    ),
    (
        "forbidden",
        "already set up",
        N_("The second factor is already set up. Turn it off first to set it up again."),
    ),
    (
        "forbidden",
        "Start setting up",
        N_("Please start setting up the second factor again."),
    ),
    ("forbidden", "not set up", N_("The second factor is not set up.")),
    (
        "forbidden",
        "must keep the second factor",
        N_("Platform administrators must keep the second factor."),
    ),
    (
        "already-member",
        "You are already a member",
        N_("You are already a member of this organisation."),
    ),
]

_FALLBACK = N_("The action could not be completed. Please reload the page and try again.")


def error_message(error: DomainError) -> str:
    """The msgid to show for ``error`` in a form."""
    for code, fragment, message in _BY_DETAIL:
        if error.code == code and fragment in error.detail:
            return message
    return _BY_CODE.get(error.code, _FALLBACK)


NOTICES: dict[str, str] = {
    "email-confirmed": N_("Your e-mail address is confirmed. You can log in now."),
    "password-changed": N_("Your new password is set. Please log in with it."),
    "logged-out": N_("You have logged out."),
    "logged-out-everywhere": N_("You have logged out on every device."),
    "invitation-accepted": N_("Welcome! Your account is ready. Please log in."),
    "joined": N_("You have joined the organisation."),
    "totp-enabled": N_("The second factor is switched on."),
    "totp-disabled": N_("The second factor is switched off."),
    "left": N_("You have left the organisation."),
    "authority-created": N_(
        "The contracting authority is created and its first administrator has been invited."
    ),
    "invited": N_("The invitation has been sent."),
    "invitation-revoked": N_("The invitation has been withdrawn."),
    "role-changed": N_("The role has been changed."),
    "member-removed": N_("The member has been removed."),
    "token-revoked": N_("The API token has been revoked."),
}


def notice_message(key: str | None) -> str | None:
    """The msgid of the notice ``key`` (``None`` for no or an unknown key)."""
    return NOTICES.get(key) if key else None


ROLE_NAMES: dict[str, str] = {
    "owner": N_("Owner"),
    "member": N_("Member"),
    "admin": N_("Administrator"),
    "officer": N_("Procurement officer"),
    "evaluator": N_("Evaluator"),
}
"""Roles as the pages name them."""

SCOPE_NAMES: dict[str, str] = {
    "organisation:read": N_("Read the organisation's details"),
    "tenders:read": N_("Read tenders"),
    "tenders:write": N_("Create and change tenders"),
    "bids:write": N_("Submit bids"),
    "prequalification:read": N_("Ask the pre-qualification register"),
}
"""API token scopes as the pages name them."""
