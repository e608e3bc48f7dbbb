"""Signing up: a company registers with its owner, and the owner confirms the e-mail address.

``/registrieren`` takes the company's data and the owner's account (the same
:class:`~infra.identity.schemas.CompanyRegistration` the API takes), then tells them to check
their mail. ``/verify-email?token=…`` is the link in that mail: opening it only shows a button
(mail scanners open links), pressing it confirms the address.
"""

from __future__ import annotations

__all__ = ["ROUTES", "RegistrationForm", "TokenForm"]

from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.params import FromQuery
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from infra.http import DbSession
from infra.identity import registration
from infra.identity.errors import IdentityError, TokenInvalid
from infra.identity.guards import public
from infra.identity.pages.common import FORM_POST, PAGE, FormBody, Req, redirect, savepoint, state
from infra.identity.pages.messages import error_message
from infra.identity.pages.tokens import one_time_token_usable
from infra.identity.schemas import (
    CompanyRegistration,
    check_email,
    normalised_register,
    normalised_vat,
)
from infra.web.forms import FORM, Errors, Rule, check_form, form_values
from infra.web.i18n import N_
from infra.web.rendering import page

_EMAIL = N_("Enter an e-mail address in the form name@example.de.")
RULES = {
    "legal_name": Rule(
        N_("Enter the company's legal name, as in the Handelsregister."),
        N_("The legal name must have between 2 and 300 characters."),
    ),
    "street": Rule(
        N_("Enter the street and house number."),
        N_("The street must have between 2 and 200 characters."),
    ),
    "postal_code": Rule(
        N_("Enter the postal code."), N_("Enter a German postal code of five digits, e.g. 28195.")
    ),
    "city": Rule(N_("Enter the city."), N_("The city must have between 2 and 100 characters.")),
    "contact_email": Rule(N_("Enter the company's e-mail address."), _EMAIL, check_email),
    "register_court": Rule("", N_("The register court can have at most 100 characters.")),
    "register_number": Rule(
        "",
        N_("Enter the court and the number as in the Handelsregister, e.g. Bremen and HRB 12345."),
    ),
    "vat_id": Rule(
        "",
        N_("Enter a German VAT ID: DE followed by nine digits, e.g. DE136695976."),
        normalised_vat,
    ),
    "owner_name": Rule(N_("Enter your name."), N_("Your name can have at most 200 characters.")),
    "owner_email": Rule(N_("Enter your e-mail address."), _EMAIL, check_email),
    "password": Rule(
        N_("Choose a password."),
        N_("The password can have at most 1024 characters."),
        strip=False,
    ),
}


class RegistrationForm(msgspec.Struct, kw_only=True):
    """The sign-up form as sent (every field a string)."""

    legal_name: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    contact_email: str = ""
    register_court: str = ""
    register_number: str = ""
    vat_id: str = ""
    owner_name: str = ""
    owner_email: str = ""
    password: str = ""


class TokenForm(msgspec.Struct, kw_only=True):
    """A form that only carries the token of a link from a mail."""

    token: str = ""


def _check_register(form: RegistrationForm, errors: Errors) -> None:
    """The rules that join fields: court and number together, and register or VAT ID."""
    court, number = form.register_court.strip(), form.register_number.strip()
    if court and not number:
        errors.setdefault("register_number", N_("Enter the register number, e.g. HRB 12345."))
    elif number and not court:
        errors.setdefault("register_court", N_("Enter the register court, e.g. Bremen."))
    elif court and number:
        try:
            normalised_register(court, number)
        except ValueError:
            errors.setdefault("register_number", RULES["register_number"].invalid)
    elif not form.vat_id.strip():
        errors.setdefault(
            "register_court", N_("Enter the Handelsregister entry or the VAT ID (or both).")
        )


def _field_of(error: IdentityError) -> str:
    if error.code == "weak-password":
        return "password"
    if error.code == "already-registered":
        if "e-mail" in error.detail:
            return "owner_email"
        return "vat_id" if "VAT" in error.detail else "register_number"
    return FORM


def _form(request: Req, form: RegistrationForm, errors: Errors, status: int = 200) -> Template:
    shown = msgspec.structs.replace(form, password="")
    return page(request, "identity/signup.html", status_code=status, form=shown, errors=errors)


@get("/registrieren", guards=[public], name="identity:signup", **PAGE)
async def signup_form(request: Req) -> Template:
    return _form(request, RegistrationForm(), {})


@post("/registrieren", guards=[public], name="identity:signup-send", **FORM_POST)
async def signup(
    request: Req, session: DbSession, data: Annotated[RegistrationForm, FormBody]
) -> Response[Any]:
    values = form_values(data)
    values.update(
        {name: values[name] or None for name in ("register_court", "register_number", "vat_id")}
    )
    checked, errors = check_form(
        CompanyRegistration,
        values,
        RULES,
    )
    _check_register(data, errors)
    if len(errors) > 1:
        errors.pop(FORM, None)  # the schema's own refusal, already said at the fields
    if checked is None or errors:
        in_form_order = {name: errors[name] for name in [*RULES, FORM] if name in errors}
        return _form(request, data, in_form_order, 422)
    try:
        async with savepoint(session):
            await registration.register_company(
                session, state(request).clock, state(request).settings, checked
            )
    except IdentityError as error:
        return _form(request, data, {_field_of(error): error_message(error)}, error.status_code)
    return redirect("/registrieren/gesendet")


@get("/registrieren/gesendet", guards=[public], name="identity:signup-sent", **PAGE)
async def signup_sent(request: Req) -> Template:
    return page(request, "identity/signup_sent.html")


@get("/verify-email", guards=[public], name="identity:verify-email", **PAGE)
async def verify_email_form(
    request: Req, session: DbSession, token: FromQuery[str] = ""
) -> Template:
    """Shows the confirm button; never confirms on GET (mail scanners open links)."""
    usable = await one_time_token_usable(
        session, state(request).clock, token, registration.VERIFY_EMAIL
    )
    if not usable:
        return _verify_page(request, "", TokenInvalid("not usable"))
    return _verify_page(request, token, None)


def _verify_page(request: Req, token: str, error: IdentityError | None) -> Template:
    errors = {FORM: error_message(error)} if error else {}
    return page(
        request,
        "identity/verify_email.html",
        status_code=error.status_code if error else 200,
        token=token,
        errors=errors,
    )


@post("/verify-email", guards=[public], name="identity:verify-email-send", **FORM_POST)
async def verify_email(
    request: Req, session: DbSession, data: Annotated[TokenForm, FormBody]
) -> Response[Any]:
    try:
        async with savepoint(session):
            await registration.verify_email(session, state(request).clock, data.token)
    except IdentityError as error:
        return _verify_page(request, "", error)
    return redirect("/login", notice="email-confirmed")


ROUTES: list[ControllerRouterHandler] = [
    signup_form,
    signup,
    signup_sent,
    verify_email_form,
    verify_email,
]
