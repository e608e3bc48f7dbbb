"""The tender pages (issue 6, item 8): the officers' drafts, checklist and published tenders,
and the public search and tender pages.

Server-rendered HTML in KERN UX (templates under ``infra/web/templates/tenders/``), German
first and English through the language switcher, every page complete without JavaScript,
calling the same service functions as the JSON API (:mod:`procurement.tenders.controllers`,
:mod:`procurement.tenders.controllers_clarifications`). The officers' pages under
``/vergabestelle/ausschreibungen`` are :mod:`procurement.tenders.pages_office` (the list, the
editor, a tender's page), :mod:`procurement.tenders.pages_publication` (documents, checklist,
publishing) and :mod:`procurement.tenders.pages_changes` (answers, amendments, cancellation);
the public ones under ``/ausschreibungen`` are :mod:`procurement.tenders.pages_public`; what they
share is :mod:`procurement.tenders.pages_common`, the editor's form
:mod:`procurement.tenders.pages_values` and :mod:`procurement.tenders.pages_form`.
"""

from __future__ import annotations

__all__ = ["routes"]

from litestar import Router
from litestar.types import ControllerRouterHandler

from infra.settings import Settings
from procurement.tenders import (
    pages_changes,
    pages_office,
    pages_public,
    pages_publication,
)
from signatures.controllers import upload_body_limit


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The pages, with the request body limit of documents for the uploads."""
    return [
        Router(
            path="/",
            route_handlers=[
                *pages_office.ROUTES,
                *pages_publication.ROUTES,
                *pages_changes.ROUTES,
                *pages_public.ROUTES,
            ],
            request_max_body_size=upload_body_limit(settings),
        )
    ]
