"""Workflow audit against each auditor's own verdict on its own fixtures: found, missed, false.

    python research/review/workflow_audit_heldout.py DATA [--freeze FILE | --labels FILE] [--show]

DATA holds zizmor, actionlint and poutine extracted side by side, as for
``workflow_audit.py``. Unlike that script, whose labels are one rule of ours, the labels
here are the auditors' own, so nobody on this project chose them:

- zizmor's fixtures: the ``template-injection`` findings of high severity that zizmor itself
  reports on each file, run alone, at its default persona (the installed zizmor);
- actionlint's fixtures: the lines its expected-output files (``*.out``) call "potentially
  untrusted";
- poutine's fixtures: the GitHub Actions ``injection`` findings its scanner test expects
  (``scanner/inventory_test.go``: path and line).

A fixture is *clean* when its auditor reports no injection in it at any severity. Per source:
*found* is a labelled injection our audit reports as a high (or worse) injection in the same
script (the auditors point at different lines of one: zizmor at the expression, actionlint and
poutine at a block's ``run: |`` or ``script: |`` line, so a label and a finding count as the same
when they fall in one ``run:``/``script:`` value, its key line included), *missed* one it does
not, *false* a clean fixture with at least one high injection finding. ``--exact-lines``
counts only findings on the labelled line itself.
``--freeze FILE`` writes the labels (with the commits of the data) and stops; ``--labels FILE``
scores against a frozen file, so later zizmor upgrades or rule changes cannot move the labels.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from workflow_audit import (  # noqa: E402
    SOURCES,
    added_diff,
    fixtures,
    kind_of,
    last_line,
    nodes,
    repo_path,
)

from cicd_agent.analysis.bounded_yaml import compose  # noqa: E402
from cicd_agent.local.zizmor import ZizmorAudit, zizmor_binary  # noqa: E402

INJECTION = re.compile(r"^workflow-(?:template|script)-injection$")
_ACTIONLINT_LINE = re.compile(r"^/?(?:[\w./\\-]*?)test\\?\.yaml:(\d+):\d+: .*potentially untrusted")
_POUTINE_FINDING = re.compile(
    r'RuleId:\s*"injection",.*?Path:\s*"(?P<path>\.github/[^"]+)",.*?Line:\s*(?P<line>\d+)', re.S
)


def _zizmor_labels(path: str, text: str) -> tuple[list[int], bool]:
    """zizmor's own high template-injection lines in one file, and whether it flags any."""
    binary = zizmor_binary()
    if binary is None:
        sys.exit("zizmor is not installed")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / path
        target.parent.mkdir(parents=True)
        target.write_text(text, encoding="utf-8")
        done = subprocess.run(
            [binary, "--offline", "--no-config", "--no-exit-codes", "--format", "json", path],
            cwd=folder, capture_output=True, text=True, check=False,
            env={"PATH": os.defpath, "HOME": folder, "NO_COLOR": "1"},
        )  # fmt: skip
    try:
        results = json.loads(done.stdout or "[]")
    except ValueError:
        return [], False
    high: set[int] = set()
    flagged = False
    for result in results:
        if result.get("ident") != "template-injection":
            continue
        flagged = True
        if result["determinations"]["severity"] != "High":
            continue
        for location in result["locations"]:
            if location["symbolic"]["kind"] == "Primary":
                high.add(location["concrete"]["location"]["start_point"]["row"] + 1)
    return sorted(high), flagged


def _actionlint_labels(fixture: Path) -> list[int]:
    out = fixture.with_suffix(".out")
    if not out.is_file():
        return []
    lines = set()
    for row in out.read_text(encoding="utf-8").splitlines():
        match = _ACTIONLINT_LINE.match(row)
        if match:
            lines.add(int(match.group(1)))
    return sorted(lines)


def _poutine_labels(data: Path) -> dict[str, list[int]]:
    test = data / "boostsecurityio+poutine/scanner/inventory_test.go"
    found: dict[str, set[int]] = {}
    # One expected finding per struct literal: split on RuleId so fields stay in their own.
    for chunk in re.split(r"(?=RuleId:)", test.read_text(encoding="utf-8")):
        match = _POUTINE_FINDING.search(chunk)
        if match:
            found.setdefault(match["path"], set()).add(int(match["line"]))
    return {path: sorted(lines) for path, lines in found.items()}


def freeze(data: Path) -> dict[str, object]:
    poutine = _poutine_labels(data)
    cases = []
    for index, (source, path) in enumerate(fixtures(data)):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        kind = kind_of(text)
        if kind is None:
            continue
        rel = str(path.relative_to(data))
        where = repo_path(kind, index)
        if source == "zizmor":
            lines, flagged = _zizmor_labels(where, text)
        elif source == "actionlint":
            lines = _actionlint_labels(path)
            flagged = bool(lines)
        else:
            inside = rel.split("scanner/testdata/", 1)[-1]
            lines = poutine.get(inside, [])
            flagged = bool(lines)
        cases.append({"source": source, "fixture": rel, "path": where, "labelled": lines,
                      "auditor_flags_injection": flagged})  # fmt: skip
    commits = {}
    for name in SOURCES:
        repo = SOURCES[name].split("/", 1)[0]
        commits[name] = (
            (data / repo / ".commit").read_text().strip()
            if (data / repo / ".commit").is_file()
            else "unknown"
        )
    return {"data_commits": commits, "cases": cases}


def script_blocks(text: str) -> list[range]:
    """1-based lines of each ``run:``/``script:`` value, from its key's line to its end."""
    blocks: list[range] = []
    for node in nodes(compose(text)):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if getattr(key, "value", None) in ("run", "script") and isinstance(
                    value, yaml.ScalarNode
                ):
                    first = key.start_mark.line
                    blocks.append(range(first + 1, last_line(first, value.end_mark) + 1))
    return blocks


def _same_script(label: int, lines: set[int], blocks: list[range], exact: bool) -> bool:
    if label in lines:
        return True
    if exact:
        return False
    return any(label in block and lines & set(block) for block in blocks)


def score(data: Path, frozen: dict[str, object], show: bool, exact: bool = False) -> None:
    from cicd_agent.analysis.severity import Severity
    from cicd_agent.analysis.workflows.audit import workflow_findings

    table: dict[str, Counter[str]] = {name: Counter() for name in SOURCES}
    notes: list[str] = []
    for case in frozen["cases"]:  # type: ignore[index]
        text = (data / case["fixture"]).read_text(encoding="utf-8")
        found = workflow_findings(
            added_diff(case["path"], text), {case["path"]: text}, ZizmorAudit()
        )
        high = {f.line for f in found if INJECTION.match(f.rule) and f.severity >= Severity.HIGH}
        row = table[case["source"]]
        row["fixtures"] += 1
        labelled = set(case["labelled"])
        blocks = script_blocks(text) if labelled else []
        missed = {n for n in labelled if not _same_script(n, high, blocks, exact)}
        row["labelled"] += len(labelled)
        row["found"] += len(labelled) - len(missed)
        row["missed"] += len(missed)
        for line in sorted(missed):
            notes.append(f"missed\t{case['source']}\t{case['fixture']}:{line}")
        if not case["auditor_flags_injection"]:
            row["clean"] += 1
            if high:
                row["false"] += 1
                for line in sorted(high):
                    rule = next(f for f in found if f.line == line and INJECTION.match(f.rule))
                    notes.append(f"false\t{case['source']}\t{case['fixture']}:{line}\t"
                                 f"{rule.body[:140]}")  # fmt: skip
    header = ["source", "fixtures", "labelled", "found", "missed", "clean", "false"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    total: Counter[str] = Counter()
    for name in SOURCES:
        total.update(table[name])
        print("| " + " | ".join([name] + [str(table[name][h]) for h in header[1:]]) + " |")
    print("| " + " | ".join(["all"] + [str(total[h]) for h in header[1:]]) + " |")
    if show:
        print("\n".join(notes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--freeze", type=Path, help="write the labels to this file and stop")
    parser.add_argument("--labels", type=Path, help="score against labels frozen earlier")
    parser.add_argument("--show", action="store_true", help="list every miss and false flag")
    parser.add_argument("--exact-lines", action="store_true", help="no matching by script")
    args = parser.parse_args()
    if args.freeze:
        args.freeze.write_text(json.dumps(freeze(args.data), indent=1))
        return
    frozen = json.loads(args.labels.read_text()) if args.labels else freeze(args.data)
    score(args.data, frozen, args.show, args.exact_lines)


if __name__ == "__main__":
    main()
