"""ASGI entry for uvicorn's ``factory`` mode: settings are read when a process starts."""

from __future__ import annotations

__all__ = ["app_from_environment"]

from litestar import Litestar

from infra.app import create_app
from infra.settings import load_settings


def app_from_environment() -> Litestar:
    """The app for one API process, configured from ``VERGABE_*`` variables."""
    return create_app(load_settings())
