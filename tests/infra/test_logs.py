"""Structured logs: one JSON object per line, with the request id of the request being served."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from infra.logs import JsonFormatter, configure_logging, current_request_id, request_id_var


class Opaque:
    def __str__(self) -> str:
        return "opaque-thing"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own whose records are formatted by :class:`JsonFormatter`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("vergabe.tests.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def _entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestJsonFormatter:
    def test_given_a_record_then_one_json_line_with_time_level_logger_and_message(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured

        logger.warning("tender %s closed with %d bids", "T-1", 3)

        assert stream.getvalue().count("\n") == 1
        (entry,) = _entries(stream)
        assert entry["level"] == "WARNING"
        assert entry["logger"] == "vergabe.tests.logs"
        assert entry["msg"] == "tender T-1 closed with 3 bids"
        moment = datetime.fromisoformat(str(entry["ts"]))
        assert moment.utcoffset() == timedelta(0)
        assert "request_id" not in entry

    def test_given_extra_fields_then_they_are_carried(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured

        logger.info("job done", extra={"job_id": "j-1", "attempt": 2, "thing": Opaque()})

        (entry,) = _entries(stream)
        assert entry["job_id"] == "j-1"
        assert entry["attempt"] == 2
        assert entry["thing"] == "opaque-thing"

    def test_given_a_request_being_served_then_its_id_is_on_every_line(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured

        token = request_id_var.set("req-0123456789")
        try:
            assert current_request_id() == "req-0123456789"
            logger.info("inside")
        finally:
            request_id_var.reset(token)
        logger.info("outside")

        inside, outside = _entries(stream)
        assert inside["request_id"] == "req-0123456789"
        assert "request_id" not in outside

    def test_given_an_exception_then_its_trace_stays_on_the_one_line(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured

        try:
            raise LookupError("no tender 42")
        except LookupError:
            logger.exception("lookup failed")

        assert stream.getvalue().count("\n") == 1
        (entry,) = _entries(stream)
        assert "Traceback" in str(entry["exc"])
        assert "LookupError: no tender 42" in str(entry["exc"])


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the logging set-up back as it was after a test that configures it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq", "pika", "alembic")
    saved = {
        name: (
            logging.getLogger(name).handlers[:],
            logging.getLogger(name).propagate,
            logging.getLogger(name).disabled,
            logging.getLogger(name).level,
        )
        for name in names
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, (own, propagate, disabled, own_level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = own
        logger.propagate = propagate
        logger.disabled = disabled
        logger.setLevel(own_level)


@pytest.mark.usefixtures("restored_logging")
class TestConfigureLogging:
    def test_given_json_at_warning_then_warnings_go_to_stderr_as_json_and_info_not(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        configure_logging("WARNING", "json")

        logging.getLogger("vergabe.tests.configured").info("not shown")
        logging.getLogger("vergabe.tests.configured").warning("shown", extra={"tender": "T-2"})

        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1
        entry = json.loads(lines[0])
        assert (entry["msg"], entry["level"], entry["tender"]) == ("shown", "WARNING", "T-2")
        assert logging.getLogger("uvicorn.access").disabled

    def test_given_text_then_plain_lines(self, capsys: pytest.CaptureFixture[str]) -> None:
        configure_logging("INFO", "text")

        logging.getLogger("vergabe.tests.configured").info("plain")

        (line,) = capsys.readouterr().err.splitlines()
        assert line.endswith("INFO vergabe.tests.configured plain")

    def test_given_pyhanko_step_warnings_then_debug_and_hidden_at_info(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        configure_logging("INFO", "json")

        logging.getLogger("pyhanko.sign.validation.ades").warning("current-time try failed")
        logging.getLogger("pyhanko_certvalidator.validate").warning("stale OCSP")
        logging.getLogger("pyhanko.sign.validation.ades").error("a real failure")

        (line,) = capsys.readouterr().err.splitlines()
        assert json.loads(line)["msg"] == "a real failure"

    def test_given_debug_then_pyhanko_step_warnings_show_as_debug(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        configure_logging("DEBUG", "json")

        logging.getLogger("pyhanko.sign.validation.ades").warning("current-time try failed")

        (line,) = capsys.readouterr().err.splitlines()
        assert json.loads(line)["level"] == "DEBUG"
