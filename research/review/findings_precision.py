"""Precision of review's deterministic findings on real commits (issue 15.3).

    python research/review/findings_precision.py GIT_DIR [GIT_DIR ...] [--commits 60]
        [--judged research/review/findings_judged.csv] [--out FINDINGS.csv] [--json]

Each GIT_DIR is a clone (bare is fine) of a public repository, kept outside this repository.
For each of its last ``--commits`` non-merge commits, the commit's diff against its first
parent (``git diff -M``, as review reads a pull request) goes through ``parse_diff`` and
``deterministic_findings`` with the head versions of changed workflow files, exactly as the
offline review (``--provider none``) does. Printed: commits, findings at high or above, and
with ``--judged`` (our committed judgements: repo, commit, file, line, rule, severity,
true/false, reason) how many of those are false, per 100 commits. A finding with no judgement
is counted and listed as unjudged, so a change in the rules cannot hide behind an old list.
``--out`` writes every finding (any severity) as CSV, to judge.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "src"))

from cicd_agent.analysis.diff import parse_diff  # noqa: E402
from cicd_agent.analysis.findings import deterministic_findings  # noqa: E402
from cicd_agent.analysis.severity import Severity  # noqa: E402
from cicd_agent.analysis.workflows import workflow_paths  # noqa: E402
from cicd_agent.local.zizmor import ZizmorAudit  # noqa: E402

FIELDS = ["repo", "commit", "file", "line", "rule", "severity", "title"]
JUDGED_FIELDS = ["repo", "commit", "file", "line", "rule", "severity", "verdict", "reason"]


def git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args],
        check=True, capture_output=True, text=True, errors="replace",
    ).stdout  # fmt: skip


def repo_name(git_dir: Path) -> str:
    """``owner/name`` from a mirror folder ``owner+name/repo`` (or the folder's name)."""
    folder = git_dir.parent.name if git_dir.name == "repo" else git_dir.name
    return folder.replace("+", "/").removesuffix(".git")


def commit_findings(git_dir: Path, commit: str) -> list[dict[str, Any]]:
    parents = git(git_dir, "rev-list", "--parents", "-n", "1", commit).split()[1:]
    base = parents[0] if parents else git(git_dir, "hash-object", "-t", "tree", "/dev/null").strip()
    text = git(git_dir, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", base, commit)
    diff = parse_diff(text)
    workflows = {}
    for path in workflow_paths(diff):
        try:
            workflows[path] = git(git_dir, "show", f"{commit}:{path}")
        except subprocess.CalledProcessError:
            continue
    return [
        {
            "repo": repo_name(git_dir),
            "commit": commit[:12],
            "file": f.path,
            "line": f.line or "",
            "rule": f.rule,
            "severity": f.severity.label,
            "title": f.title,
        }
        for f in deterministic_findings(diff, workflows, ZizmorAudit())
    ]


def load_judged(path: Path | None) -> dict[tuple[str, ...], dict[str, str]]:
    if path is None:
        return {}
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {_key(row): row for row in rows}


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["repo"], row["commit"], row["file"], str(row["line"]), row["rule"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("git_dirs", type=Path, nargs="+")
    parser.add_argument("--commits", type=int, default=60)
    parser.add_argument("--judged", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    judged = load_judged(args.judged)
    found: list[dict[str, Any]] = []
    commits = 0
    started = time.perf_counter()
    for git_dir in args.git_dirs:
        shas = git(git_dir, "rev-list", "--no-merges", "-n", str(args.commits), "HEAD").split()
        commits += len(shas)
        for sha in shas:
            found += commit_findings(git_dir, sha)
    seconds = time.perf_counter() - started
    high = [f for f in found if Severity[f["severity"].upper()] >= Severity.HIGH]
    verdicts = [judged.get(_key(f), {}).get("verdict", "unjudged") for f in high]
    false = verdicts.count("false")
    unjudged = [f for f, v in zip(high, verdicts, strict=True) if v == "unjudged"]
    per100 = 100 / commits if commits else 0.0
    print(f"repositories: {len(args.git_dirs)}, commits: {commits}, {seconds:.1f} s")
    print(f"findings (any severity): {len(found)}")
    print(f"findings at high or above: {len(high)} ({len(high) * per100:.2f} per 100 commits)")
    print(f"judged false: {false} ({false * per100:.2f} per 100 commits)")
    print(f"judged true: {verdicts.count('true')}, unjudged: {len(unjudged)}")
    for f in unjudged:
        print(
            f"  unjudged: {f['repo']} {f['commit']} {f['file']}:{f['line']} {f['rule']} {f['severity']}"
        )
    if args.out:
        with args.out.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, FIELDS)
            writer.writeheader()
            writer.writerows(found)
    if args.json:
        print(json.dumps({
            "commits": commits, "findings": len(found), "high_or_above": len(high),
            "false": false, "unjudged": len(unjudged),
            "high_per_100": round(len(high) * per100, 2), "false_per_100": round(false * per100, 2),
        }))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
