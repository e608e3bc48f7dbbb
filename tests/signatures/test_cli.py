"""``vergabe signatures verify``, run as an operator runs it, offline.

One check runs the installed console script (a real process); the others call the same entry
point in this process (:func:`tests.support.run_cli`), without a new interpreter each.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from infra.cli import _parser, cmd_signatures_verify
from infra.settings import Settings
from signatures.cli import verify_command
from tests.signatures.factories import SIGNED_AT, make_pdf, sign_cades_detached, sign_pdf
from tests.signatures.pki import PKI_NOW, TestPki
from tests.signatures.trusted_list import install_test_trust, make_trusted_list
from tests.support import Result, run_cli, vergabe_process

AT = PKI_NOW.isoformat()
REPORT_KEYS = {
    "label",
    "indication",
    "subindication",
    "signer",
    "signing_time",
    "level",
    "coverage",
    "modification_level",
}


@pytest.fixture(scope="module")
def files(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The inputs on disk: signed and unsigned files, the root, a trusted list and its signer."""
    directory = tmp_path_factory.mktemp("cli")
    text = b"Angebot als Textdatei\n"
    contents = {
        "qes.pdf": sign_pdf(pki, make_pdf(), signer="signer-qes", level="B-LTA"),
        "unsigned.pdf": make_pdf(),
        "picture.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        "offer.txt": text,
        "offer.p7s": sign_cades_detached(pki, text),
        "root.pem": pki.pem(["root"]),
        "tl.xml": make_trusted_list(pki, issued_at=SIGNED_AT - timedelta(days=30)),
        "tlso.pem": pki.pem(["tlso"]),
    }
    for name, data in contents.items():
        (directory / name).write_bytes(data)
    return {name: directory / name for name in contents}


async def vergabe(*args: str, env: dict[str, str]) -> Result:
    """``vergabe args`` in this process."""
    return run_cli(args, env=env)


def _json(stdout: str) -> dict[str, object]:
    (line,) = stdout.strip().splitlines()
    report: dict[str, object] = json.loads(line)
    return report


class TestVerify:
    async def test_json_is_one_report_object_and_accepted_exits_0(
        self, environment: dict[str, str], files: dict[str, Path]
    ) -> None:
        # the installed console script, as a real process
        done = await vergabe_process(
            "signatures", "verify", str(files["qes.pdf"]),
            "--trust-anchor", str(files["root.pem"]), "--at", AT, "--json",
            env=environment,
        )  # fmt: skip
        assert done.exit_code == 0, done.stderr
        report = _json(done.stdout)
        assert report["verdict"] == "accepted"
        (signature,) = report["signatures"]  # type: ignore[misc]
        assert set(signature) >= REPORT_KEYS
        assert signature["indication"] == "TOTAL-PASSED"
        assert signature["level"] == "PAdES-B-LTA"

    async def test_a_trusted_list_makes_the_signature_qualified(
        self, environment: dict[str, str], files: dict[str, Path]
    ) -> None:
        done = await vergabe(
            "signatures", "verify", str(files["qes.pdf"]),
            "--trusted-list", str(files["tl.xml"]), "--tl-signer", str(files["tlso.pem"]),
            "--trust-anchor", str(files["root.pem"]), "--at", AT, "--json",
            env=environment,
        )  # fmt: skip
        assert done.exit_code == 0, done.stderr
        (signature,) = _json(done.stdout)["signatures"]  # type: ignore[misc]
        assert signature["label"] == "QESig"

    async def test_without_trust_options_the_instance_trust_is_used(
        self, environment: dict[str, str], settings: Settings, pki: TestPki, files: dict[str, Path]
    ) -> None:
        # Given the instance's trust cache holds the test PKI's trusted list
        install_test_trust(settings, pki)
        # When a file is verified without naming any trust
        done = await vergabe(
            "signatures", "verify", str(files["qes.pdf"]), "--at", AT, "--json", env=environment
        )
        # Then it is qualified by that list
        assert done.exit_code == 0, done.stderr
        (signature,) = _json(done.stdout)["signatures"]  # type: ignore[misc]
        assert signature["label"] == "QESig"

    async def test_human_output_names_verdict_and_signer(
        self, environment: dict[str, str], files: dict[str, Path], pki: TestPki
    ) -> None:
        done = await vergabe(
            "signatures", "verify", str(files["qes.pdf"]),
            "--trust-anchor", str(files["root.pem"]), "--at", AT,
            env=environment,
        )  # fmt: skip
        assert done.exit_code == 0, done.stderr
        assert done.stdout.splitlines()[0] == "verdict: accepted"
        assert pki.cert("signer-qes").subject.native["common_name"] in done.stdout

    async def test_unsigned_pdf_exits_1_with_no_signature(
        self, environment: dict[str, str], files: dict[str, Path]
    ) -> None:
        done = await vergabe(
            "signatures", "verify", str(files["unsigned.pdf"]),
            "--trust-anchor", str(files["root.pem"]), "--at", AT, "--json",
            env=environment,
        )  # fmt: skip
        assert done.exit_code == 1
        assert _json(done.stdout)["verdict"] == "no_signature"

    async def test_detached_signature_is_checked_against_its_file(
        self, environment: dict[str, str], files: dict[str, Path]
    ) -> None:
        done = await vergabe(
            "signatures", "verify", str(files["offer.txt"]),
            "--detached", str(files["offer.p7s"]),
            "--trust-anchor", str(files["root.pem"]), "--at", AT, "--json",
            env=environment,
        )  # fmt: skip
        (signature,) = _json(done.stdout)["signatures"]  # type: ignore[misc]
        assert signature["coverage"] == "detached"
        # without revocation data in a CAdES-B-T it needs review: exit code 1
        assert done.exit_code == 1

    async def test_a_signature_checked_before_it_was_made_is_not_accepted(
        self, environment: dict[str, str], files: dict[str, Path]
    ) -> None:
        done = await vergabe(
            "signatures", "verify", str(files["qes.pdf"]),
            "--trust-anchor", str(files["root.pem"]),
            "--at", (SIGNED_AT - timedelta(days=1)).isoformat(), "--json",
            env=environment,
        )  # fmt: skip
        assert done.exit_code == 1
        assert _json(done.stdout)["verdict"] != "accepted"


class TestUnusableInput:
    """In process (the command's parser and function, without a new interpreter each)."""

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (["picture.png"], "not a PDF"),
            (["missing.pdf"], "missing.pdf"),
            (["qes.pdf", "--at", "yesterday"], "--at"),
            (["qes.pdf", "--trusted-list", "tl.xml"], "--tl-signer"),
            (["qes.pdf", "--trust-anchor", "picture.png"], "picture.png"),
        ],
    )
    def test_exit_2_with_one_line_on_stderr(
        self,
        settings: Settings,
        files: dict[str, Path],
        capsys: pytest.CaptureFixture[str],
        arguments: list[str],
        message: str,
    ) -> None:
        directory = files["qes.pdf"].parent
        argv = [str(directory / a) if (directory / a).suffix else a for a in arguments]
        args = _parser().parse_args(["signatures", "verify", *argv])
        assert args.fn is cmd_signatures_verify
        exit_code = verify_command(args, settings)
        out, err = capsys.readouterr()
        assert exit_code == 2
        assert out == ""
        (line,) = err.splitlines()
        assert line.startswith("vergabe: ")
        assert message in line

    def test_help_documents_the_exit_codes(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit):
            _parser().parse_args(["signatures", "verify", "--help"])
        assert "exit codes: 0 accepted; 1 rejected" in " ".join(capsys.readouterr().out.split())
