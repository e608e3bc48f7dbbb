"""The pre-qualification pages (issue 5): the company's application and the office's review.

Server-rendered HTML in KERN UX (templates under ``infra/web/templates/prequalification/``),
German first and English through the language switcher, calling the same service functions as
the JSON API (:mod:`prequalification.controllers`). The company's pages are
:mod:`prequalification.pages_company` (the self-declaration's form and ESPD import:
:mod:`prequalification.pages_declaration`), the office's :mod:`prequalification.pages_office`;
the public register's search and verification :mod:`prequalification.pages_register`; what
they share is :mod:`prequalification.pages_common`.
"""

from __future__ import annotations

__all__ = ["routes"]

from litestar import Router
from litestar.types import ControllerRouterHandler

from infra.settings import Settings
from prequalification import pages_company, pages_declaration, pages_office, pages_register
from signatures.controllers import upload_body_limit


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The pages, with the request body limit of signed documents for the uploads."""
    return [
        Router(
            path="/",
            route_handlers=[
                *pages_company.ROUTES,
                *pages_declaration.ROUTES,
                *pages_office.ROUTES,
                *pages_register.ROUTES,
            ],
            request_max_body_size=upload_body_limit(settings),
        )
    ]
