"""Workflow audit recall on other auditors' fixtures: the hand rules before, zizmor after.

Run: ``python research/review/workflow_audit.py DATA`` where DATA holds the three repositories
extracted side by side (never committed; see workflow_audit.md beside this script for how they were
fetched):

- ``DATA/zizmorcore+zizmor/crates/zizmor/tests/integration/test-data``
- ``DATA/rhysd+actionlint/testdata``
- ``DATA/boostsecurityio+poutine/scanner/testdata``

Every workflow or action file there is audited as if a pull request added it (all lines new).

Labels (our judgement, written down as a rule so anyone can check it): a ``${{ … }}``
expression inside a script (``run:`` anywhere, ``actions/github-script``'s ``script:``) is an
attacker-controllable injection when it reads a field an outside contributor can write:
issue, pull request, discussion, comment and review text; commit messages and authors;
branch names (``head_ref``, ``head.ref``, ``workflow_run.head_branch``); label names;
``repository_dispatch``'s ``client_payload``; ``inputs.*`` and ``github.event.inputs.*``; or
a ``toJson`` of the event or of one of those objects. ``github.ref`` and ``ref_name`` are not
labelled (in ``pull_request`` events they are ``refs/pull/N/merge``; zizmor agrees).

A labelled injection is found when the engine reports an injection finding on its line
("after-high": only findings of high severity or more, the ones that block a merge).
A fixture with no labelled injection is "clean"; a clean fixture with any injection finding
is a false flag against these labels (listed with ``--show-flags``: several are zizmor
reporting contexts these labels leave out, such as ``env.*`` or step outputs).

"before" is the hand-grown rule set of commit f7e68b4 (``analysis/findings.py``), run in a
child process under a 2 GB address-space limit and a 10 s alarm per file, since it walks
aliased YAML without bound. "after" is ``analysis.workflows.workflow_findings``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from cicd_agent.analysis.bounded_yaml import YamlLimitError, compose  # noqa: E402
from cicd_agent.analysis.diff import Diff, parse_diff  # noqa: E402

SOURCES = {
    "zizmor": "zizmorcore+zizmor/crates/zizmor/tests/integration/test-data",
    "actionlint": "rhysd+actionlint/testdata",
    "poutine": "boostsecurityio+poutine/scanner/testdata",
}
BEFORE_COMMIT = "f7e68b4"
INJECTION_RULES = {"workflow-script-injection", "workflow-template-injection"}

_OBJECTS = (
    r"(?:issue|pull_request|discussion|comment|review|review_comment|head_commit|commits"
    r"|workflow_run|pages|label|client_payload|inputs)"
)
TAINTED = re.compile(
    r"github\.event\.(?:issue|pull_request|discussion)\.(?:title|body)"
    r"|github\.event\.(?:comment|review|review_comment)\.body"
    r"|github\.event\.pages\b[^}]*\.page_name"
    r"|github\.event\.(?:commits\b[^}]*|head_commit)\.(?:message|author\.(?:email|name))"
    r"|github\.event\.pull_request\.head\.(?:ref|label|repo\.default_branch)"
    r"|github\.event\.workflow_run\.(?:head_branch|display_title|head_commit\.(?:message|author))"
    r"|github\.head_ref"
    r"|github\.event\.(?:label|pull_request\.labels\b[^}]*|issue\.labels\b[^}]*)\.name"
    r"|github\.event\.client_payload"
    r"|(?<![\w.])inputs\.|github\.event\.inputs\."
    r"|toJson\(\s*github\.event\s*\)"
    rf"|toJson\(\s*github\.event\.{_OBJECTS}\b",
    re.IGNORECASE,
)
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}")


def fixtures(data: Path) -> list[tuple[str, Path]]:
    found = []
    for source, sub in SOURCES.items():
        for path in sorted((data / sub).rglob("*")):
            if path.suffix in (".yml", ".yaml") and path.is_file():
                found.append((source, path))
    return found


def kind_of(text: str) -> str | None:
    """'workflow', 'action' or None (not a mapping with jobs/runs, or not parseable)."""
    try:
        root = compose(text)
    except (YamlLimitError, yaml.YAMLError, ValueError):
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    keys = {str(k.value) for k, _ in root.value if isinstance(k, yaml.ScalarNode)}
    if "runs" in keys:
        return "action"
    return "workflow" if "jobs" in keys else None


def nodes(root: yaml.Node | None) -> Iterator[yaml.Node]:
    """Every node of a composed document once (an aliased node is visited once), depth first,
    each before its children; the labels' own walk, not the auditor's."""
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def last_line(first: int, end: yaml.Mark) -> int:
    """The 1-based last line of a value from 0-based line ``first`` to ``end``: a block scalar
    ends at column 0 of the line after its last, which does not count."""
    return end.line if end.column == 0 and end.line > first else end.line + 1


def script_lines(text: str) -> set[int]:
    """1-based lines inside ``run:`` values and github-script ``script:`` values."""
    lines: set[int] = set()
    for node in nodes(compose(text)):
        if isinstance(node, yaml.MappingNode):
            items = {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            uses = items.get("uses")
            github_script = isinstance(uses, yaml.ScalarNode) and str(uses.value).startswith(
                "actions/github-script"
            )
            with_node = items.get("with")
            scripts = [items.get("run")]
            if github_script and isinstance(with_node, yaml.MappingNode):
                scripts += [v for k, v in with_node.value if getattr(k, "value", None) == "script"]
            for value in scripts:
                if isinstance(value, yaml.ScalarNode):
                    start = value.start_mark.line
                    lines.update(range(start + 1, last_line(start, value.end_mark) + 1))
    return lines


def labels(text: str) -> dict[int, str]:
    """line -> the first attacker-controllable expression on it, for lines inside scripts."""
    found: dict[int, str] = {}
    rows = text.splitlines()
    for number in sorted(script_lines(text)):
        if number > len(rows):
            continue
        for match in _EXPRESSION.finditer(rows[number - 1]):
            if TAINTED.search(match.group(1)):
                found.setdefault(number, match.group(1).strip())
    return found


def repo_path(kind: str, index: int) -> str:
    return f"fixture{index}/action.yml" if kind == "action" else f".github/workflows/f{index}.yml"


def added_diff(path: str, text: str) -> Diff:
    rows = text.splitlines()
    body = "".join(f"+{row}\n" for row in rows)
    return parse_diff(
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(rows)} @@\n{body}"
    )


def run_before(items: list[tuple[str, str]]) -> dict[str, object]:
    """The old rules, in this (child) process: path -> [lines] or 'stalled' / 'memory'."""
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:src/cicd_agent/analysis/findings.py"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("old_findings", handle.name)
    assert spec and spec.loader
    old = importlib.util.module_from_spec(spec)
    sys.modules["old_findings"] = old
    spec.loader.exec_module(old)

    def stalled(signum: int, frame: object) -> None:
        raise TimeoutError

    signal.signal(signal.SIGALRM, stalled)
    results: dict[str, object] = {}
    for path, text in items:
        signal.alarm(10)
        try:
            found = old.workflow_findings(added_diff(path, text).files[0], text)
            results[path] = [f.line for f in found if f.rule in INJECTION_RULES]
        except TimeoutError:
            results[path] = "stalled"
        except MemoryError:
            results[path] = "memory"
        finally:
            signal.alarm(0)
    return results


def run_after(items: list[tuple[str, str]]) -> tuple[dict[str, object], float]:
    from cicd_agent.analysis.severity import Severity
    from cicd_agent.analysis.workflows.audit import workflow_findings
    from cicd_agent.local.zizmor import ZizmorAudit

    results: dict[str, object] = {}
    started = time.monotonic()
    for path, text in items:
        found = workflow_findings(added_diff(path, text), {path: text}, ZizmorAudit())
        skipped = [f for f in found if f.rule == "workflow-not-audited"]
        if skipped:
            results[path] = "not-audited"
            results[path + "#why"] = skipped[0].body.split(": ", 1)[-1][:120]
        else:
            results[path] = [f.line for f in found if f.rule in INJECTION_RULES]
            results[path + "#high"] = [
                f.line for f in found if f.rule in INJECTION_RULES and f.severity >= Severity.HIGH
            ]
    return results, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, nargs="?")
    parser.add_argument("--show-flags", action="store_true", help="list flags on clean fixtures")
    parser.add_argument("--before-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.before_child:
        items = json.loads(Path(args.before_child).read_text())
        print(json.dumps(run_before([tuple(i) for i in items])))
        return

    cases = []  # (source, fixture, repo path, text, labels)
    skipped = Counter()
    for index, (source, path) in enumerate(fixtures(args.data)):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            skipped[source] += 1
            continue
        kind = kind_of(text)
        if kind is None:
            skipped[source] += 1
            continue
        rel = str(path.relative_to(args.data))
        cases.append((source, rel, repo_path(kind, index), text, labels(text)))

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([(c[2], c[3]) for c in cases], handle)
    child = subprocess.run(
        [sys.executable, __file__, "--before-child", handle.name],
        capture_output=True, text=True, check=False, timeout=3600,
    )  # fmt: skip
    if child.returncode != 0:
        sys.exit(f"the 'before' child failed: {child.stderr[-2000:]}")
    before = json.loads(child.stdout.splitlines()[-1])
    after, seconds = run_after([(c[2], c[3]) for c in cases])

    table: dict[str, Counter[str]] = defaultdict(Counter)
    flags: list[tuple[str, str, str, object]] = []
    for source, rel, path, _text, labelled in cases:
        row = table[source]
        row["fixtures"] += 1
        row["labelled"] += len(labelled)
        engines = (
            ("before", before, path),
            ("after", after, path),
            ("after-high", after, path + "#high"),
        )
        for engine, results, key in engines:
            if key not in results:
                continue
            result = results[key]
            if not isinstance(result, list):
                if engine != "after-high":
                    row[f"{engine} {result}"] += 1
                    row[f"labelled in {engine} {result}"] += len(labelled)
                    why = results.get(path + "#why", "")
                    flags.append((f"{engine} {result}", source, rel, f"{len(labelled)} {why}"))
                continue
            row[f"{engine} found"] += len(set(result) & set(labelled))
            extra = set(result) - set(labelled)
            if not labelled:
                row["clean"] += engine == "before"
                if result:
                    row[f"{engine} flagged clean"] += 1
            row[f"{engine} extra lines"] += len(extra)
            if engine != "after-high":
                flags += [(engine, source, rel, line) for line in sorted(extra)]

    print(f"fixtures skipped (not a workflow/action, or not UTF-8): {dict(skipped)}")
    header = ["source", "fixtures", "labelled", "before found", "after found",
              "after-high found", "clean", "before flagged clean", "after flagged clean",
              "after-high flagged clean", "before extra lines", "after extra lines",
              "after-high extra lines", "before stalled", "before memory",
              "after not-audited", "labelled in after not-audited"]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    total: Counter[str] = Counter()
    for source in SOURCES:
        total.update(table[source])
        print("| " + " | ".join([source] + [str(table[source][h]) for h in header[1:]]) + " |")
    print("| " + " | ".join(["all"] + [str(total[h]) for h in header[1:]]) + " |")
    each = seconds / len(cases) * 1000
    print(f"after: {len(cases)} fixtures audited in {seconds:.1f} s ({each:.0f} ms each)")
    if args.show_flags:
        for engine, source, rel, line in flags:
            print(f"{engine}\t{source}\t{rel}:{line}")


if __name__ == "__main__":
    main()
