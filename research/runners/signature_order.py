"""The log signature table before and after the test runners' rows moved into their folders:
the order of the rows, and the first signature each line takes, on every line of the logs under
``tests/fixtures`` and ``research`` and every example of the table.

``nice .venv/bin/python -m research.runners.signature_order OLD_TABLE.toml`` (``OLD_TABLE``:
``logs/signatures.toml`` as it was, ``git show REV:src/cicd_agent/logs/signatures.toml``)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from cicd_agent.logs.runner_format import clean_line
from cicd_agent.logs.signatures import SIGNATURES, Signature, _signature


def first(table: tuple[Signature, ...], text: str) -> str:
    """The name of the first row of ``table`` that takes ``text`` ("" when none does)."""
    return next((row.name for row in table if (not row.needles or any(n in text for n in row.needles))
                 and row.pattern.search(text)), "")  # fmt: skip


def main(old_path: str) -> None:
    old_table = tomllib.loads(Path(old_path).read_text(encoding="utf-8"))
    old = tuple(_signature(row, old_table["golangci-linters"])
                for part in ("verdicts", "tools") for row in old_table[part])  # fmt: skip
    print(f"rows: {len(old)} before, {len(SIGNATURES)} after;",
          "same names" if {r.name for r in old} == {r.name for r in SIGNATURES} else "NAMES DIFFER")
    moved = [(i, r.name, [s.name for s in SIGNATURES].index(r.name)) for i, r in enumerate(old)
             if [s.name for s in SIGNATURES].index(r.name) != i]  # fmt: skip
    print(f"rows at another place: {len(moved)}")
    lines = [example for row in old for example in row.examples]
    files = sorted(p for folder in ("tests/fixtures", "research") for p in Path(folder).rglob("*")
                   if p.suffix in (".log", ".txt") and p.is_file())  # fmt: skip
    for path in files:
        lines += [clean_line(line) for line in path.read_bytes().splitlines()]
    differ = [(text, first(old, text), first(SIGNATURES, text)) for text in lines
              if first(old, text) != first(SIGNATURES, text)]  # fmt: skip
    print(f"lines: {len(lines)} from {len(files)} files and the examples; taken otherwise: {len(differ)}")
    for text, before, after in differ[:20]:
        print(f"  {before} -> {after}: {text[:160]!r}")


if __name__ == "__main__":
    main(sys.argv[1])
