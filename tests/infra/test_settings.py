"""Settings: built once from ``VERGABE_*`` variables, each error naming its variable."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from infra.settings import ENVIRONMENT, Settings, SettingsError, load_settings

# DEVELOPMENT/TEST KEY: a fixed dummy value, never a production secret.
DUMMY_KEY = "test-only-" + "k" * 40


def _at(settings: Settings, path: tuple[str, ...]) -> Any:
    node: Any = settings
    for part in path:
        node = getattr(node, part)
    return node


class TestDefaults:
    def test_given_only_a_data_dir_then_sqlite_memory_broker_and_bremen(
        self, tmp_path: Path
    ) -> None:
        # When
        settings = load_settings({"VERGABE_DATA_DIR": str(tmp_path)})

        # Then
        assert settings.env == "development"
        assert settings.data_dir == tmp_path
        assert settings.database.url == f"sqlite+aiosqlite:///{tmp_path / 'vergabe.sqlite3'}"
        assert settings.database.is_sqlite
        assert settings.broker.url == "memory://"
        assert settings.broker.kind == "memory"
        assert settings.profile_name == "bremen"
        assert settings.profile.instance.id == "hb"
        assert settings.storage.root == tmp_path / "files"
        assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8000)
        assert settings.public_url == "http://127.0.0.1:8000"

    def test_given_no_data_dir_then_data_below_the_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)

        settings = load_settings({})

        assert settings.data_dir == tmp_path / "data"
        assert settings.database.url.endswith(str(tmp_path / "data" / "vergabe.sqlite3"))


# One valid value per variable, each different from the default so that it is seen to land.
SAMPLES: dict[str, tuple[str, Any]] = {
    "VERGABE_ENV": ("production", "production"),
    "VERGABE_DATA_DIR": ("{tmp}/elsewhere", Path("{tmp}/elsewhere")),
    "VERGABE_SECRET_KEY": ("x" * 40, "x" * 40),
    "VERGABE_PROFILE": ("hamburg", "hamburg"),
    "VERGABE_DATABASE_URL": (
        "postgresql+asyncpg://vergabe@db.example:5433/vergabe",
        "postgresql+asyncpg://vergabe@db.example:5433/vergabe",
    ),
    "VERGABE_DATABASE_POOL_SIZE": ("7", 7),
    "VERGABE_DATABASE_ECHO": ("true", True),
    "VERGABE_BROKER_URL": ("amqp://guest@mq.example:5672/", "amqp://guest@mq.example:5672/"),
    "VERGABE_BROKER_NAMESPACE": ("hb_prod-2", "hb_prod-2"),
    "VERGABE_JOB_POLL_INTERVAL": ("0.25", 0.25),
    "VERGABE_JOB_LEASE_SECONDS": ("120", 120.0),
    "VERGABE_JOB_BACKOFF_SECONDS": ("2.5", 2.5),
    "VERGABE_WORKER_THREADS": ("3", 3),
    "VERGABE_SHUTDOWN_GRACE_SECONDS": ("12", 12.0),
    "VERGABE_HOST": ("0.0.0.0", "0.0.0.0"),
    "VERGABE_PORT": ("8443", 8443),
    "VERGABE_API_PROCESSES": ("4", 4),
    "VERGABE_MAX_BODY_BYTES": ("2048", 2048),
    "VERGABE_BEHIND_TLS": ("true", True),
    "VERGABE_PUBLIC_URL": ("https://vergabe.example", "https://vergabe.example"),
    "VERGABE_STORAGE_DIR": ("{tmp}/documents", Path("{tmp}/documents")),
    "VERGABE_SMTP_URL": ("smtps://mail.example:465", "smtps://mail.example:465"),
    "VERGABE_MAIL_FROM": ("Vergabe <vergabe@mail.example>", "Vergabe <vergabe@mail.example>"),
    "VERGABE_SESSION_IDLE_MINUTES": ("15", 15),
    "VERGABE_SESSION_MAX_HOURS": ("8", 8),
    "VERGABE_SIGNATURE_MAX_BYTES": ("1048576", 1048576),
    "VERGABE_SIGNATURE_MAX_DECODED_BYTES": ("2097152", 2097152),
    "VERGABE_TRUST_CACHE_DIR": ("{tmp}/trust-cache", Path("{tmp}/trust-cache")),
    "VERGABE_SEAL_PKCS12": ("{tmp}/seal.p12", Path("{tmp}/seal.p12")),
    "VERGABE_SEAL_PKCS12_PASSWORD": ("p12-secret", "p12-secret"),
    "VERGABE_SEAL_PKCS11_MODULE": (
        "/usr/lib/softhsm/libsofthsm2.so",
        Path("/usr/lib/softhsm/libsofthsm2.so"),
    ),
    "VERGABE_SEAL_PKCS11_TOKEN": ("seal-token", "seal-token"),
    "VERGABE_SEAL_PKCS11_KEY": ("seal-key", "seal-key"),
    "VERGABE_SEAL_PKCS11_PIN": ("1234", "1234"),
    "VERGABE_TSA_URL": ("https://tsa.example/rfc3161", "https://tsa.example/rfc3161"),
    "VERGABE_BID_KEK_FILE": ("{tmp}/kek", Path("{tmp}/kek")),
    "VERGABE_OPENING_WINDOW_MINUTES": ("45", 45),
    "VERGABE_BID_MAX_DOCUMENTS": ("12", 12),
    "VERGABE_LOG_LEVEL": ("DEBUG", "DEBUG"),
    "VERGABE_LOG_FORMAT": ("text", "text"),
    "VERGABE_ASSETS_DIR": ("{tmp}/assets", Path("{tmp}/assets")),
}


# What a sample needs besides itself to make a valid deployment.
PRODUCTION_NEEDS = {
    "VERGABE_SMTP_URL": "smtp://mail.example:587",
    "VERGABE_SEAL_PKCS12": "/etc/vergabe/seal.p12",
    "VERGABE_TSA_URL": "https://tsa.example/rfc3161",
    "VERGABE_BID_KEK_FILE": "/run/secrets/bid-kek",
}
COMPANIONS: dict[str, dict[str, str]] = {
    "VERGABE_ENV": PRODUCTION_NEEDS,
    "VERGABE_SEAL_PKCS11_MODULE": {"VERGABE_SEAL_PKCS11_KEY": "seal-key"},
}


def _fill(value: Any, tmp_path: Path) -> Any:
    if isinstance(value, Path):
        return Path(str(value).replace("{tmp}", str(tmp_path)))
    if isinstance(value, str):
        return value.replace("{tmp}", str(tmp_path))
    return value


class TestEnvironmentVariables:
    def test_every_variable_has_a_sample_here(self) -> None:
        # A new variable needs a sample above, so that the test below covers it.
        assert set(SAMPLES) == set(ENVIRONMENT)

    @pytest.mark.parametrize("name", sorted(ENVIRONMENT))
    def test_given_a_valid_value_then_it_lands_in_its_setting(
        self, name: str, tmp_path: Path
    ) -> None:
        # Given
        base = {"VERGABE_DATA_DIR": str(tmp_path), "VERGABE_SECRET_KEY": DUMMY_KEY}
        raw, expected = SAMPLES[name]
        path = ENVIRONMENT[name]
        without = load_settings(base)

        # When
        settings = load_settings(base | COMPANIONS.get(name, {}) | {name: _fill(raw, tmp_path)})

        # Then
        assert _at(settings, path) == _fill(expected, tmp_path)
        assert _at(without, path) != _fill(expected, tmp_path)

    def test_given_the_hamburg_profile_then_its_rules_are_loaded(self, tmp_path: Path) -> None:
        settings = load_settings({"VERGABE_DATA_DIR": str(tmp_path), "VERGABE_PROFILE": "hamburg"})

        assert settings.profile.instance.id == "hh"
        assert settings.profile.instance.holiday_subdivision == "HH"

    def test_given_test_variables_then_they_are_not_unknown(self, tmp_path: Path) -> None:
        # VERGABE_TEST_* configure the test suite and may be present in the environment.
        settings = load_settings(
            {"VERGABE_DATA_DIR": str(tmp_path), "VERGABE_TEST_DATABASE_URL": "postgresql://x"}
        )

        assert settings.database.is_sqlite


class TestInvalidValues:
    @pytest.mark.parametrize(
        ("extra", "variable"),
        [
            ({"VERGABE_PORT": "abc"}, "VERGABE_PORT"),
            ({"VERGABE_PORT": "0"}, "VERGABE_PORT"),
            ({"VERGABE_PORT": "65536"}, "VERGABE_PORT"),
            ({"VERGABE_DATABASE_URL": "mysql://db.example/vergabe"}, "VERGABE_DATABASE_URL"),
            ({"VERGABE_DATABASE_URL": "sqlite:///vergabe.sqlite3"}, "VERGABE_DATABASE_URL"),
            (
                {"VERGABE_DATABASE_URL": "postgresql+asyncpg://db.example:port/vergabe"},
                "VERGABE_DATABASE_URL",
            ),
            ({"VERGABE_BROKER_URL": "kafka://mq.example"}, "VERGABE_BROKER_URL"),
            ({"VERGABE_BROKER_URL": "redis://mq.example:99999/0"}, "VERGABE_BROKER_URL"),
            ({"VERGABE_BROKER_NAMESPACE": "two words"}, "VERGABE_BROKER_NAMESPACE"),
            ({"VERGABE_COLOUR": "blue"}, "VERGABE_COLOUR"),
            ({"VERGABE_PROFILE": "berlin"}, "VERGABE_PROFILE"),
            ({"VERGABE_ENV": "staging"}, "VERGABE_ENV"),
            ({"VERGABE_DATABASE_ECHO": "maybe"}, "VERGABE_DATABASE_ECHO"),
            ({"VERGABE_DATABASE_POOL_SIZE": "0"}, "VERGABE_DATABASE_POOL_SIZE"),
            ({"VERGABE_LOG_LEVEL": "verbose"}, "VERGABE_LOG_LEVEL"),
            ({"VERGABE_JOB_POLL_INTERVAL": "0"}, "VERGABE_JOB_POLL_INTERVAL"),
            ({"VERGABE_JOB_LEASE_SECONDS": "nan"}, "VERGABE_JOB_LEASE_SECONDS"),
            ({"VERGABE_SHUTDOWN_GRACE_SECONDS": "inf"}, "VERGABE_SHUTDOWN_GRACE_SECONDS"),
            (
                {
                    "VERGABE_ENV": "production",
                    "VERGABE_SECRET_KEY": "too-short",
                    **PRODUCTION_NEEDS,
                },
                "VERGABE_SECRET_KEY",
            ),
        ],
    )
    def test_given_a_wrong_value_then_one_line_naming_the_variable(
        self, extra: dict[str, str], variable: str, tmp_path: Path
    ) -> None:
        with pytest.raises(SettingsError) as caught:
            load_settings({"VERGABE_DATA_DIR": str(tmp_path)} | extra)

        message = str(caught.value)
        assert message.startswith(f"{variable}: ")
        assert "\n" not in message

    def test_given_production_without_secret_key_then_refused_and_no_key_generated(
        self, tmp_path: Path
    ) -> None:
        with pytest.raises(SettingsError) as caught:
            load_settings(
                {
                    "VERGABE_DATA_DIR": str(tmp_path),
                    "VERGABE_ENV": "production",
                    **PRODUCTION_NEEDS,
                }
            )

        assert str(caught.value).startswith("VERGABE_SECRET_KEY: required in production")
        assert not (tmp_path / "development-secret.key").exists()

    def test_given_production_without_the_bid_key_then_refused_and_none_generated(
        self, tmp_path: Path
    ) -> None:
        needs = {k: v for k, v in PRODUCTION_NEEDS.items() if k != "VERGABE_BID_KEK_FILE"}
        with pytest.raises(SettingsError) as caught:
            load_settings(
                {
                    "VERGABE_DATA_DIR": str(tmp_path),
                    "VERGABE_ENV": "production",
                    "VERGABE_SECRET_KEY": "x" * 40,
                    **needs,
                }
            )

        assert str(caught.value).startswith("VERGABE_BID_KEK_FILE: production needs")
        assert not (tmp_path / "development-bid-kek.key").exists()

    def test_in_development_a_bid_key_is_generated_owner_only_and_reused(
        self, tmp_path: Path
    ) -> None:
        first = load_settings({"VERGABE_DATA_DIR": str(tmp_path)})
        second = load_settings({"VERGABE_DATA_DIR": str(tmp_path)})

        assert first.bids.kek_file == tmp_path / "development-bid-kek.key"
        assert second.bids.kek_file == first.bids.kek_file
        assert first.bids.kek_file.stat().st_mode & 0o777 == 0o600
        assert len(bytes.fromhex(first.bids.kek_file.read_text().strip())) == 32

    def test_given_an_unknown_profile_then_the_bundled_ones_are_listed(
        self, tmp_path: Path
    ) -> None:
        with pytest.raises(SettingsError) as caught:
            load_settings({"VERGABE_DATA_DIR": str(tmp_path), "VERGABE_PROFILE": "berlin"})

        assert "'berlin'" in str(caught.value)
        assert "bremen, hamburg" in str(caught.value)


class TestDevelopmentSecret:
    def test_given_no_key_then_one_is_generated_owner_only_and_reused(self, tmp_path: Path) -> None:
        # Given a fresh data directory
        environ = {"VERGABE_DATA_DIR": str(tmp_path)}

        # When the settings are loaded twice
        first = load_settings(environ)
        second = load_settings(environ)

        # Then the key is generated once, kept readable by the owner only, and reused
        key_file = tmp_path / "development-secret.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.read_text(encoding="ascii").strip() == first.secret_key
        assert second.secret_key == first.secret_key
        assert len(first.secret_key) >= 32

    def test_given_two_data_dirs_then_two_different_keys(self, tmp_path: Path) -> None:
        one = load_settings({"VERGABE_DATA_DIR": str(tmp_path / "one")})
        two = load_settings({"VERGABE_DATA_DIR": str(tmp_path / "two")})

        assert one.secret_key != two.secret_key

    def test_given_an_explicit_key_then_no_file_is_written(self, tmp_path: Path) -> None:
        settings = load_settings(
            {"VERGABE_DATA_DIR": str(tmp_path), "VERGABE_SECRET_KEY": DUMMY_KEY}
        )

        assert settings.secret_key == DUMMY_KEY
        assert not (tmp_path / "development-secret.key").exists()


class TestSource:
    def test_given_an_explicit_mapping_then_the_process_environment_is_ignored(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given a process environment that would fail
        monkeypatch.setenv("VERGABE_PORT", "abc")
        monkeypatch.setenv("VERGABE_NOT_A_SETTING", "1")

        # When an explicit mapping is passed
        settings = load_settings({"VERGABE_DATA_DIR": str(tmp_path)})

        # Then nothing of it was read
        assert settings.http.port == 8000

    def test_given_no_mapping_then_the_process_environment_is_read(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in list(os.environ):
            if name.startswith("VERGABE_") and not name.startswith("VERGABE_TEST_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("VERGABE_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("VERGABE_PORT", "8123")

        settings = load_settings()

        assert settings.http.port == 8123
        assert settings.data_dir == tmp_path
