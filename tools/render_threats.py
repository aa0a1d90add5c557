"""Render the threat table (``docs/threats.toml``) into ``docs/threats.md``.

The table is data so that a row cannot name a test nobody runs: the suite reads the same file
and checks each test it names. Rows are written as short entries, not a Markdown table, so no
line of the page is longer than a person reads. ``--check`` fails when the page is not the
render of the data (run the tool without it to rewrite the page).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "docs" / "threats.toml"
PAGE = ROOT / "docs" / "threats.md"
WIDTH = 100

HEAD = """\
# The threat table

<!-- Rendered from docs/threats.toml by `python tools/render_threats.py`: edit that file. -->

One entry for every place an input a pull request controls can reach: the guard that stands
there, and the tests that fail when the guard goes. [Security](security.md) is the guide to read
first. "Host process" is cicd-agent's own process and anything it starts outside the sandbox;
"sandbox" is a bubblewrap run ([the sandbox](sandbox.md)); an "in-run check" is code of ours
loaded into a test run before the project's own (pytest's plugin, Go's example and benchmark,
jest's reporter, a Rust test module) that records which tests really ran and how they ended, so
a report the tested code could forge is never believed alone.
"""

_STARTS_A_BLOCK = re.compile(r"^(?:[-+*>#|]|\d+[.)])(?:\s|$)")
"""A wrapped line starting like this would open a list, a quote, a heading or a table."""


def load(path: Path = DATA) -> list[dict[str, Any]]:
    with path.open("rb") as data:
        rows: list[dict[str, Any]] = tomllib.load(data)["threat"]
    return rows


def wrap(text: str, indent: str = "") -> list[str]:
    """``text`` wrapped at :data:`WIDTH`, no continuation line read as the start of a block."""
    lines = textwrap.wrap(
        text, WIDTH - len(indent), break_long_words=False, break_on_hyphens=False
    )
    for at in range(1, len(lines)):
        while _STARTS_A_BLOCK.match(lines[at]) and " " in lines[at - 1]:
            before, _, last = lines[at - 1].rpartition(" ")
            lines[at - 1], lines[at] = before, f"{last} {lines[at]}"
    return [indent + line for line in lines]


def render(rows: list[dict[str, Any]]) -> str:
    out = [HEAD]
    for number, row in enumerate(rows, 1):
        out += wrap(f"**{number}. {row['controls']}** reaches **{row['reaches']}**.")
        out += ["", *wrap(f"Guard: {row['guard']}")]
        if row.get("note"):
            out += ["", *wrap(f"Note: {row['note']}")]
        out += ["", "Tests:", ""] + [f"- `{test}`" for test in row["tests"]] + [""]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the page is stale")
    args = parser.parse_args()
    text = render(load())
    if args.check:
        if PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE.relative_to(ROOT)} is stale: run python tools/render_threats.py",
                  file=sys.stderr)  # fmt: skip
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
