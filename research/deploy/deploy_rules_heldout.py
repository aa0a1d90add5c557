"""deploy-gate's rules on real commits of known kinds: migrations and dependency bumps.

    python research/deploy/deploy_rules_heldout.py CASES.json MIRRORS [--show]

CASES.json lists ``{"repo": "owner+name", "commit": "...", "kind": "..."}``; MIRRORS holds
``owner+name/repo`` git directories (the ``fetch`` tool's layout). Each commit is judged as
deploy-gate judges a push (``--head`` alone: against its first parent), ``--provider none``,
on a weekday noon so off-hours rules stay out of it. What each kind must get:

- ``migration`` (a schema migration: Django, Alembic, Rails, Flyway, Liquibase, SQL DDL): risk
  high or critical, and a human approval;
- ``dependencies`` (a manifest or lock file bump): risk at least medium, and a full build;
- ``docs`` (a control): risk low, no approval.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEEKDAY_NOON = "2026-11-18T12:00:00+00:00"
_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def judge(kind: str, result: dict[str, object]) -> bool:
    level = _RANK[str(result["risk_level"])]
    if kind == "migration":
        return level >= _RANK["high"] and result["requires_approval"] is True
    if kind == "dependencies":
        return level >= _RANK["medium"] and result["build_strategy"] == "full"
    if kind == "docs":
        return level == _RANK["low"] and result["requires_approval"] is False
    raise ValueError(f"unknown kind {kind!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path)
    parser.add_argument("mirrors", type=Path)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    cases = json.loads(args.cases.read_text())
    right: dict[str, list[bool]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        clones: dict[str, Path] = {}
        for case in cases:
            repo = case["repo"]
            if repo not in clones:
                clones[repo] = Path(scratch) / repo
                subprocess.run(
                    ["git", "clone", "-q", "--no-checkout", str(args.mirrors / repo / "repo"),
                     str(clones[repo])], check=True,
                )  # fmt: skip
            done = subprocess.run(
                [sys.executable, "-m", "cicd_agent", "deploy-gate", "--provider", "none",
                 "--repo", str(clones[repo]), "--head", case["commit"],
                 "--deploy-time", WEEKDAY_NOON, "--json"],
                capture_output=True, text=True, check=False, cwd=scratch,
            )  # fmt: skip
            result = json.loads(done.stdout)
            ok = judge(case["kind"], result)
            right.setdefault(case["kind"], []).append(ok)
            if args.show or not ok:
                print(f"{'ok  ' if ok else 'MISS'} {case['kind']:12} {repo} {case['commit']}: "
                      f"{result['risk_level']}, approval {result['requires_approval']}, build "
                      f"{result['build_strategy']}, {result['change_types']}")  # fmt: skip
    for kind, oks in right.items():
        print(f"{kind}: {sum(oks)}/{len(oks)}")
    total = [ok for oks in right.values() for ok in oks]
    print(f"all: {sum(total)}/{len(total)}")


if __name__ == "__main__":
    main()
