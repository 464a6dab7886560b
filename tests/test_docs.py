"""The README's command table against click's own parameters, as sqlite-utils checks its CLI
reference: every command and option is documented, and nothing documented is stale."""

from __future__ import annotations

import re

import click
import pytest
from conftest import ROOT

from indexer.cli import main

README = (ROOT / "README.md").read_text(encoding="utf-8")
# The command table's rows: | `splib NAME [OPTIONS...]` | what it does |
ROWS = {m.group(1): m.group(2) for m in re.finditer(r"^\| `splib (\w+)([^`]*)` \|", README,
                                                     re.M)}
COMMANDS_SECTION = README.split("## Commands", 1)[1].split("\n## ", 1)[0]


def long_options(params: list[click.Parameter]) -> set[str]:
    return {o for p in params if isinstance(p, click.Option)
            for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}


# Options every command takes, documented once in the paragraph above the table.
SHARED = long_options(main.params)


def test_every_command_has_a_row_and_no_row_is_stale() -> None:
    assert set(ROWS) == set(main.commands)


@pytest.mark.parametrize("name", sorted(main.commands))
def test_each_commands_options_are_in_its_row(name: str) -> None:
    command = main.commands[name]
    documented = set(re.findall(r"--[\w-]+", ROWS[name]))
    own = long_options(command.params) - SHARED - {"--help"}
    assert own - documented == set(), f"undocumented options of splib {name}"
    assert documented - own == set(), f"options of splib {name} the README names but it lacks"
    assert "Examples:" in (command.help or ""), f"splib {name} --help shows no example"


def test_the_shared_options_are_in_the_commands_paragraph() -> None:
    for option in SHARED:
        assert re.search(rf"`(splib )?{option}\b", COMMANDS_SECTION), option
