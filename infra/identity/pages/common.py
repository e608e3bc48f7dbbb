"""What every identity page shares: options of the routes, redirects and the acting person.

Page handlers are small: they parse the form, check it (:mod:`infra.web.forms`), call one
service function inside a savepoint (:func:`savepoint`), and either redirect (303, "post,
redirect, get") or render the form again with the errors. A domain error rolls the savepoint
back, so a refused form changes nothing even though the request's transaction commits.
"""

from __future__ import annotations

__all__ = [
    "FORM_POST",
    "PAGE",
    "FormBody",
    "Req",
    "acting_user",
    "redirect",
    "savepoint",
    "state",
]

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlencode

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from infra.http.middleware import ACCEPTS_FORMS
from infra.identity.guards import principal_of

T = TypeVar("T")
Req = Request[Any, Any, Any]
FormBody = Body(media_type=RequestEncodingType.URL_ENCODED)
"""The body of an HTML form: ``Annotated[SomeForm, FormBody]``."""

PAGE: dict[str, Any] = {"include_in_schema": False}
"""Options of every page route (pages are not part of the API schema)."""
FORM_POST: dict[str, Any] = {**PAGE, "opt": {"accepts": ACCEPTS_FORMS}}
"""Options of every route that takes a form."""


def state(request: Req) -> Any:
    """The app state: settings, clock and session factory."""
    return request.app.state


def acting_user(request: Req) -> uuid.UUID:
    """The logged-in person's id (the route's guard has made sure there is one)."""
    user_id = principal_of(request).user_id
    if user_id is None:
        raise RuntimeError("a page for persons was reached without a person")
    return user_id


def redirect(path: str, **query: str) -> Redirect:
    """303 to ``path`` (a path on this site), with ``query`` parameters."""
    query = {key: value for key, value in query.items() if value}
    return Redirect(path=path + (f"?{urlencode(query)}" if query else ""), status_code=303)


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """Run a service call so that its changes are undone if it raises (a refused form)."""
    async with session.begin_nested():
        yield
