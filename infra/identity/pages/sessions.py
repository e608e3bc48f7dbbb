"""Logging in and out, the second factor, and a forgotten password.

``/login`` checks e-mail and password like the API does: the login runs in a transaction of
its own that commits also when the login is refused, so that failed attempts count; then the
refusal is shown. After logging in the visitor returns to ``next`` if it is a path on this
site (the same check as the language switcher), else to their account. A login that waits for
its second factor continues at ``/login/code``. ``/passwort-vergessen`` answers the same
whether the address has an account or not.
"""

from __future__ import annotations

__all__ = ["ROUTES", "CodeForm", "EmailForm", "LoginForm", "ResetForm"]

from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from infra.http import DbSession
from infra.identity import login
from infra.identity.authentication import SESSION_COOKIE, session_cookie
from infra.identity.errors import IdentityError, TokenInvalid
from infra.identity.guards import principal_of, public
from infra.identity.pages.common import FORM_POST, PAGE, FormBody, Req, redirect, savepoint, state
from infra.identity.pages.messages import error_message, notice_message
from infra.identity.pages.tokens import one_time_token_usable
from infra.identity.schemas import (
    LoginRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    SecondFactorRequest,
    check_email,
)
from infra.web.forms import FORM, Errors, Rule, check_form, form_values
from infra.web.i18n import N_
from infra.web.pages import safe_next_path
from infra.web.rendering import page

AFTER_LOGIN = "/konto"
_EMAIL = Rule(
    N_("Enter your e-mail address."),
    N_("Enter an e-mail address in the form name@example.de."),
    check_email,
)
_PASSWORD_TOO_LONG = N_("The password can have at most 1024 characters.")
LOGIN_RULES = {
    "email": _EMAIL,
    "password": Rule(N_("Enter your password."), _PASSWORD_TOO_LONG, strip=False),
}
CODE_RULES = {
    "code": Rule(
        N_("Enter the code from your authenticator app."),
        N_("Enter the six digits the authenticator app shows, e.g. 123456."),
    )
}
RESET_REQUEST_RULES = {"email": _EMAIL}
_TOKEN_RULE = Rule(N_("This link is incomplete."), N_("This link is incomplete."))
RESET_RULES = {
    "token": _TOKEN_RULE,
    "password": Rule(N_("Choose a new password."), _PASSWORD_TOO_LONG, strip=False),
}


class LoginForm(msgspec.Struct, kw_only=True):
    email: str = ""
    password: str = ""
    next: str = ""


class CodeForm(msgspec.Struct, kw_only=True):
    code: str = ""
    next: str = ""


class EmailForm(msgspec.Struct, kw_only=True):
    email: str = ""


class ResetForm(msgspec.Struct, kw_only=True):
    token: str = ""
    password: str = ""


def after_login(next_path: str) -> str:
    """Where a login leads: ``next`` if it is a path on this site, else the account page."""
    return safe_next_path(next_path) if next_path else AFTER_LOGIN


def _login_page(
    request: Req,
    email: str,
    next_path: str,
    errors: Errors,
    status: int = 200,
    *,
    notice: str = "",
) -> Template:
    return page(
        request,
        "identity/login.html",
        status_code=status,
        email=email,
        next=next_path,
        errors=errors,
        notice=notice_message(notice),
    )


@get("/login", guards=[public], name="web:login", **PAGE)
async def login_form(
    request: Req, next: FromQuery[str] = "", notice: FromQuery[str] = ""
) -> Response[Any]:
    if principal_of(request).kind == "user":
        return redirect(after_login(next))
    return _login_page(request, "", next, {}, notice=notice)


@post("/login", guards=[public], name="identity:login", **FORM_POST)
async def log_in(request: Req, data: Annotated[LoginForm, FormBody]) -> Response[Any]:
    checked, errors = check_form(LoginRequest, form_values(data), LOGIN_RULES)
    if checked is None:
        return _login_page(request, data.email, data.next, errors, 422)
    app = state(request)
    outcome = await login.log_in(
        app.sessions,
        app.clock,
        app.settings,
        email=checked.email,
        password=checked.password,
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        previous_session=request.cookies.get(SESSION_COOKIE),
    )
    if isinstance(outcome, IdentityError):
        errors = {FORM: error_message(outcome)}
        return _login_page(request, data.email, data.next, errors, outcome.status_code)
    cookie = session_cookie(app.settings, outcome.session_token)
    if outcome.second_factor_pending:
        response = redirect("/login/code", next=data.next)
    else:
        response = redirect(after_login(data.next))
    response.cookies.append(cookie)
    return response


def _code_page(request: Req, next_path: str, errors: Errors, status: int = 200) -> Template:
    return page(
        request, "identity/login_code.html", status_code=status, next=next_path, errors=errors
    )


@get("/login/code", guards=[public], name="identity:login-code", **PAGE)
async def code_form(request: Req, next: FromQuery[str] = "") -> Response[Any]:
    if not principal_of(request).second_factor_pending:
        return redirect("/login", next=next)
    return _code_page(request, next, {})


@post("/login/code", guards=[public], name="identity:login-code-send", **FORM_POST)
async def send_code(request: Req, data: Annotated[CodeForm, FormBody]) -> Response[Any]:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not principal_of(request).second_factor_pending:
        return redirect("/login", next=data.next)
    checked, errors = check_form(
        SecondFactorRequest, {"code": data.code.replace(" ", "")}, CODE_RULES
    )
    if checked is None:
        return _code_page(request, data.next, errors, 422)
    app = state(request)
    async with app.sessions() as session, session.begin():
        refused = await login.complete_second_factor(
            session, app.clock, app.settings, session_token=token, code=checked.code
        )
    if refused is not None:
        return _code_page(request, data.next, {"code": error_message(refused)}, refused.status_code)
    return redirect(after_login(data.next))


@post("/logout", guards=[public], name="identity:logout", **FORM_POST)
async def log_out(request: Req, session: DbSession) -> Redirect:
    """Ends this browser's session (also one still waiting for its code) and drops the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await login.log_out(session, token)
    response = redirect("/login", notice="logged-out")
    response.cookies.append(session_cookie(state(request).settings, None))
    return response


@get("/passwort-vergessen", guards=[public], name="identity:forgot", **PAGE)
async def forgot_form(request: Req) -> Template:
    return page(request, "identity/forgot.html", email="", errors={})


@post("/passwort-vergessen", guards=[public], name="identity:forgot-send", **FORM_POST)
async def forgot(
    request: Req, session: DbSession, data: Annotated[EmailForm, FormBody]
) -> Response[Any]:
    """Mails a reset link if the account exists; the answer is the same either way."""
    checked, errors = check_form(PasswordResetRequest, form_values(data), RESET_REQUEST_RULES)
    if checked is None:
        return page(
            request, "identity/forgot.html", status_code=422, email=data.email, errors=errors
        )
    app = state(request)
    await login.request_password_reset(session, app.clock, app.settings, checked.email)
    return redirect("/passwort-vergessen/gesendet")


@get("/passwort-vergessen/gesendet", guards=[public], name="identity:forgot-sent", **PAGE)
async def forgot_sent(request: Req) -> Template:
    return page(request, "identity/forgot_sent.html")


def _reset_page(request: Req, token: str, errors: Errors, status: int = 200) -> Template:
    return page(
        request, "identity/reset_password.html", status_code=status, token=token, errors=errors
    )


@get("/reset-password", guards=[public], name="identity:reset", **PAGE)
async def reset_form(request: Req, session: DbSession, token: FromQuery[str] = "") -> Template:
    if not await one_time_token_usable(session, state(request).clock, token, login.RESET_PASSWORD):
        invalid = TokenInvalid("not usable")
        return _reset_page(request, "", {FORM: error_message(invalid)}, invalid.status_code)
    return _reset_page(request, token, {})


@post("/reset-password", guards=[public], name="identity:reset-send", **FORM_POST)
async def reset(
    request: Req, session: DbSession, data: Annotated[ResetForm, FormBody]
) -> Response[Any]:
    checked, errors = check_form(PasswordResetConfirm, form_values(data), RESET_RULES)
    if "token" in errors:
        invalid = TokenInvalid("not usable")
        return _reset_page(request, "", {FORM: error_message(invalid)}, invalid.status_code)
    if checked is None:
        return _reset_page(request, data.token, errors, 422)
    app = state(request)
    try:
        async with savepoint(session):
            await login.reset_password(
                session, app.clock, app.settings, token=checked.token, password=checked.password
            )
    except IdentityError as error:
        if isinstance(error, TokenInvalid):
            return _reset_page(request, "", {FORM: error_message(error)}, error.status_code)
        return _reset_page(request, data.token, {"password": error_message(error)}, 422)
    response = redirect("/login", notice="password-changed")
    response.cookies.append(session_cookie(app.settings, None))
    return response


ROUTES: list[ControllerRouterHandler] = [
    login_form,
    log_in,
    code_form,
    send_code,
    log_out,
    forgot_form,
    forgot,
    forgot_sent,
    reset_form,
    reset,
]
