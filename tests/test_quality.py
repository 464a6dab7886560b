"""The code stays lint- and type-clean: ruff and mypy --strict, as configured in pyproject."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.parametrize("tool", [["ruff", "check", "indexer", "tests"], ["mypy", "indexer"]])
def test_tool_is_clean(tool: list[str]) -> None:
    if shutil.which(tool[0]) is None and not (ROOT / ".venv" / "bin" / tool[0]).exists():
        pytest.fail(f"{tool[0]} is missing; install the test extras: pip install -e '.[test]'")
    result = subprocess.run([sys.executable, "-m", *tool], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_command_is_in_the_readme_with_an_example() -> None:
    from click.testing import CliRunner

    from indexer.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"splib {name}" in readme, f"`splib {name}` missing from the README"
        help_text = CliRunner().invoke(main, [name, "--help"]).output
        assert "Example" in help_text and f"splib {name}" in help_text, name
