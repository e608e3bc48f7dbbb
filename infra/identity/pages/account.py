"""My account: who I am, my organisations, the second factor, and logging out everywhere.

Setting up the second factor shows the secret as a QR code (an SVG made by ``segno``, with no
style attributes, so the Content-Security-Policy holds) and as text for typing in; it is
switched on only once a code from the app matches. After a wrong code the same secret is
shown again, so the app the visitor has already set up keeps working.
"""

from __future__ import annotations

__all__ = ["ROUTES", "qr_code_svg"]

from typing import Annotated, Any

import segno
from litestar import Response, get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from markupsafe import Markup

from infra.http import DbSession
from infra.identity import account, login
from infra.identity.authentication import session_cookie
from infra.identity.errors import IdentityError
from infra.identity.guards import person
from infra.identity.pages.common import (
    FORM_POST,
    PAGE,
    FormBody,
    Req,
    acting_user,
    redirect,
    savepoint,
    state,
)
from infra.identity.pages.messages import ROLE_NAMES, error_message, notice_message
from infra.identity.pages.sessions import CODE_RULES, CodeForm
from infra.identity.schemas import SecondFactorRequest, TotpSetup
from infra.web.forms import FORM, Errors, check_form
from infra.web.i18n import N_
from infra.web.rendering import page


def qr_code_svg(uri: str) -> Markup:
    """``uri`` as an inline SVG QR code, dark on light also in a dark theme."""
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=5, dark="#000", light="#fff", svgclass="vg-qr__code")
    return Markup(svg)  # noqa: S704 - segno's own output: numbers and path data only


async def _account_page(
    request: Req, session: DbSession, errors: Errors | None = None, status: int = 200
) -> Template:
    view = await account.account_view(session, acting_user(request))
    return page(
        request,
        "identity/account.html",
        status_code=status,
        account=view,
        role_names=ROLE_NAMES,
        errors=errors or {},
        notice=notice_message(request.query_params.get("notice")),
    )


@get("/konto", guards=[person], name="identity:account", **PAGE)
async def account_page(request: Req, session: DbSession) -> Template:
    return await _account_page(request, session)


def _setup_page(request: Req, setup: TotpSetup, errors: Errors, status: int = 200) -> Template:
    return page(
        request,
        "identity/totp_setup.html",
        status_code=status,
        setup=setup,
        qr_code=qr_code_svg(setup.otpauth_uri),
        errors=errors,
    )


@post("/konto/zweiter-faktor", guards=[person], name="identity:totp-start", **FORM_POST)
async def start_totp(request: Req, session: DbSession) -> Response[Any]:
    try:
        async with savepoint(session):
            setup = await account.start_totp(session, state(request).settings, acting_user(request))
    except IdentityError as error:
        return await _account_page(request, session, {FORM: error_message(error)}, 403)
    return _setup_page(request, setup, {})


@post(
    "/konto/zweiter-faktor/bestaetigen", guards=[person], name="identity:totp-confirm", **FORM_POST
)
async def confirm_totp(
    request: Req, session: DbSession, data: Annotated[CodeForm, FormBody]
) -> Response[Any]:
    app, user_id = state(request), acting_user(request)
    checked, errors = check_form(
        SecondFactorRequest, {"code": data.code.replace(" ", "")}, CODE_RULES
    )
    status = 422
    if checked is not None:
        try:
            async with savepoint(session):
                await account.confirm_totp(session, app.clock, app.settings, user_id, checked.code)
        except IdentityError as error:
            errors, status = {"code": error_message(error)}, error.status_code
        else:
            return redirect("/konto", notice="totp-enabled")
    setup = await account.pending_totp(session, app.settings, user_id)
    if setup is None:
        # Nothing to confirm: set up in another tab meanwhile, or never started.
        restart = {FORM: N_("Please start setting up the second factor again.")}
        return await _account_page(request, session, restart, 403)
    return _setup_page(request, setup, errors, status)


@post(
    "/konto/zweiter-faktor/ausschalten", guards=[person], name="identity:totp-disable", **FORM_POST
)
async def disable_totp(
    request: Req, session: DbSession, data: Annotated[CodeForm, FormBody]
) -> Response[Any]:
    app = state(request)
    checked, errors = check_form(
        SecondFactorRequest, {"code": data.code.replace(" ", "")}, CODE_RULES
    )
    if checked is None:
        return await _account_page(request, session, errors, 422)
    try:
        async with savepoint(session):
            await account.disable_totp(
                session, app.clock, app.settings, acting_user(request), checked.code
            )
    except IdentityError as error:
        return await _account_page(
            request, session, {"code": error_message(error)}, error.status_code
        )
    return redirect("/konto", notice="totp-disabled")


@post("/konto/abmelden-ueberall", guards=[person], name="identity:logout-everywhere", **FORM_POST)
async def log_out_everywhere(request: Req, session: DbSession) -> Redirect:
    app = state(request)
    await login.log_out_everywhere(session, app.clock, acting_user(request))
    response = redirect("/login", notice="logged-out-everywhere")
    response.cookies.append(session_cookie(app.settings, None))
    return response


ROUTES: list[ControllerRouterHandler] = [
    account_page,
    start_totp,
    confirm_totp,
    disable_totp,
    log_out_everywhere,
]
