"""``vergabe admin …`` as an operator runs it, with the ``VERGABE_*`` variables of a
deployment, in this process (:func:`tests.support.run_cli`). ``vergabe demo``: tests/infra/
test_demo.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support import Result, run_cli


@pytest.fixture
def env(environment: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A deployment on a fresh SQLite file of its own."""
    return {
        **environment,
        "VERGABE_DATA_DIR": str(tmp_path),
        "VERGABE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
    }


def _run(env: dict[str, str], *args: str, stdin: str = "") -> Result:
    return run_cli(args, env=env, stdin=stdin)


def _rows(env: dict[str, str], sql: str) -> list[tuple[object, ...]]:
    path = env["VERGABE_DATABASE_URL"].split(":///", 1)[1]
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


class TestAdminCommands:
    def test_create_user_takes_the_password_from_stdin(self, env: dict[str, str]) -> None:
        assert _run(env, "db", "upgrade").exit_code == 0
        done = _run(
            env,
            "admin",
            "create-user",
            "--email",
            "Root@Land.example",
            "--name",
            "Root",
            "--platform-admin",
            stdin="Hafenkran-Sturmflut-Leuchtfeuer\n",
        )
        assert done.exit_code == 0, done.stderr
        assert "second factor" in done.stdout
        assert _rows(env, "SELECT email, is_platform_admin FROM users") == [
            ("root@land.example", 1)
        ]

    def test_create_user_refuses_a_weak_password_and_changes_nothing(
        self, env: dict[str, str]
    ) -> None:
        assert _run(env, "db", "upgrade").exit_code == 0
        done = _run(
            env,
            "admin",
            "create-user",
            "--email",
            "a@land.example",
            "--name",
            "A",
            stdin="password1234\n",
        )
        assert done.exit_code == 2
        assert "Traceback" not in done.stderr
        assert _rows(env, "SELECT count(*) FROM users") == [(0,)]

    def test_create_authority_invites_its_first_admin(self, env: dict[str, str]) -> None:
        assert _run(env, "db", "upgrade").exit_code == 0
        done = _run(
            env,
            "admin",
            "create-authority",
            "--name",
            "Stadt Bremerhaven",
            "--street",
            "Am Markt 1",
            "--postal-code",
            "27576",
            "--city",
            "Bremerhaven",
            "--contact-email",
            "vergabe@bremerhaven.example",
            "--admin-email",
            "admin@bremerhaven.example",
        )
        assert done.exit_code == 0, done.stderr
        assert _rows(env, "SELECT kind FROM organisations") == [("authority",)]
        assert _rows(env, "SELECT email, role FROM invitations") == [
            ("admin@bremerhaven.example", "admin")
        ]
        assert _rows(env, "SELECT to_address FROM mails") == [("admin@bremerhaven.example",)]

    def test_create_authority_with_a_bad_postal_code_names_the_field(
        self, env: dict[str, str]
    ) -> None:
        done = _run(
            env,
            "admin",
            "create-authority",
            "--name",
            "Stadt X",
            "--street",
            "Weg 1",
            "--postal-code",
            "123",
            "--city",
            "X",
            "--contact-email",
            "a@x.example",
            "--admin-email",
            "b@x.example",
        )
        assert done.exit_code == 2
        assert "postal_code" in done.stderr
