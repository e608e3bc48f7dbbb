"""The README stays true: every variable the platform reads is documented, and only those."""

from __future__ import annotations

import re
from pathlib import Path

from infra.settings import ENVIRONMENT

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
MAKEFILE = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")


class TestReadme:
    def test_every_variable_the_platform_reads_is_in_the_configuration_table(self) -> None:
        table = set(re.findall(r"^\| `(VERGABE_[A-Z0-9_]+)` \|", README, flags=re.MULTILINE))
        assert table == set(ENVIRONMENT)

    def test_the_two_commands_are_make_targets(self) -> None:
        for target in ("run", "test"):
            assert f"make {target}" in README
            assert re.search(rf"^{target}:", MAKEFILE, flags=re.MULTILINE)
