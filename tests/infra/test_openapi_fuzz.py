"""Property-based fuzzing of the whole OpenAPI schema with schemathesis.

Every operation the app publishes at ``/schema/openapi.json`` is called with inputs generated
from its schema, valid ones and deliberately invalid ones (schemathesis' examples, coverage and
fuzzing phases). Whatever the input, the app must never answer 5xx, and every 4xx must be an
RFC 9457 problem (``application/problem+json``) whose ``status`` is the response's.

The app is built as the command line builds it for the test deployment: on the in-process
broker with the embedded worker (``vergabe run``), on RabbitMQ or Redis without (``vergabe api``),
so that ``/health/ready`` answers 200 and not an honest 503. It owns its database engine:
schemathesis serves the app on an event loop of its own, which must not use the connections of
the session fixtures' loop (asyncpg connections belong to the loop that opened them).
"""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck
from litestar import Litestar
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.app import create_app
from infra.clock import ManualClock
from infra.errors import PROBLEM_MEDIA_TYPE, Problem
from infra.settings import Settings
from tests.conftest import TEST_START
from workers.process import JobProcess

OPENAPI_PATH = "/schema/openapi.json"


@pytest.fixture
def fuzzed_app(settings: Settings, engine: AsyncEngine) -> Iterator[Litestar]:
    """The app with its own engine (and embedded worker), stopped after the test.

    ``engine`` is requested only so that the database is migrated (and emptied afterwards).
    """
    clock = ManualClock(TEST_START)
    embedded = settings.broker.kind == "memory"
    jobs = JobProcess(settings, clock, worker=True, scheduler=False) if embedded else None
    yield create_app(settings, clock=clock, jobs=jobs)
    # schemathesis started the app's lifespan when it loaded the schema; end it here rather than
    # at interpreter exit, so the worker and the engine close before the database is dropped.
    shutdown_lifespans()


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 reads and rewrites ``node._nodeid``, which pytest 9.2 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def api_schema(fuzzed_app: Litestar) -> OpenApiSchema:
    return schemathesis.openapi.from_asgi(OPENAPI_PATH, fuzzed_app)


schema = schemathesis.pytest.from_fixture("api_schema")


def problem_details_on_4xx(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """A 4xx answer is an RFC 9457 problem carrying the same status."""
    if not 400 <= response.status_code < 500:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    media_type = content_type.split(";", 1)[0].strip().lower()
    assert media_type == PROBLEM_MEDIA_TYPE, (
        f"{response.status_code} answered as {content_type!r}, not {PROBLEM_MEDIA_TYPE}"
    )
    try:
        problem = msgspec.json.decode(response.content, type=Problem)
    except msgspec.DecodeError as exc:
        raise AssertionError(f"{response.status_code} body is not a problem: {exc}") from exc
    assert problem.status == response.status_code, (
        f"problem says status {problem.status}, response is {response.status_code}"
    )


class TestOpenApiFuzz:
    @schema.parametrize()
    @hypothesis.settings(
        max_examples=100,  # bounds the fuzzing phase; examples and coverage run in full
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def test_no_operation_fails_on_any_input(self, case: schemathesis.Case) -> None:
        # Given a request generated from the published schema (valid or deliberately not)
        # When the app answers it
        # Then it is no server error, and a client error is a problem with the same status
        case.call_and_validate(checks=[not_a_server_error, problem_details_on_4xx])
