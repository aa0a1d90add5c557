"""Count the deploys a version of deploy.yml lets through that the gate did not allow.

Usage: ``PYTHONPATH=. python research/deploy/deploy_example_gates.py WORKFLOW.yml [...]`` (e.g. the
old file from ``git show f7e68b4:examples/workflows/deploy.yml``). Plays every combination of the
gate's outputs, its exit code, the ends of the test and approve jobs and the point of cancellation
(2,592 runs) through the same simulator and rule as ``tests/e2e/test_deploy_example_gates.py``, and
prints, per file, the deploys that ran when not allowed by cause, and the allowed deploys that did
not run.
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from pathlib import Path

import yaml
from tests.harness.workflows import Workflow, simulate
from tests.test_deploy_example_gates import (
    APPROVAL,
    CONTEXTS,
    RECOMMENDATIONS,
    SCOPES,
    gate,
    may_deploy,
)

ENDS = ("success", "failure", "cancelled")


def count(path: Path) -> tuple[int, Counter[str], int]:
    workflow = Workflow(path, yaml.safe_load(path.read_text()))
    wrong: Counter[str] = Counter()
    blocked = total = 0
    for approval, scope, recommendation, code, test, approve, cancel in itertools.product(
        APPROVAL, SCOPES, RECOMMENDATIONS, (0, 1), ENDS, ENDS, (None, "test", "approve", "deploy")
    ):
        outputs = {"risk_level": "high", "recommendation": recommendation, "strategy": "canary",
                   "canary_percentage": "10", "requires_approval": approval, "test_scope": scope,
                   "test_paths": "[]", "audit_file": ""}  # fmt: skip
        jobs = simulate(workflow, CONTEXTS, gate(outputs, code),
                        ends={"test": test, "approve": approve}, cancel_before=cancel)  # fmt: skip
        results = {job: outcome.result for job, outcome in jobs.items()}
        total += 1
        cancelled = cancel is not None or "cancelled" in results.values()
        ran = results["deploy"] != "skipped"
        allowed = may_deploy(analyse=results["analyse"], outputs=outputs, test=results["test"],
                             approve=results["approve"], cancelled=cancelled)  # fmt: skip
        if ran and not allowed:
            if cancelled:
                wrong["cancelled run"] += 1
            elif approval == "true" and results["approve"] != "success":
                wrong["approval required, not given"] += 1
            elif scope != "none" and results["test"] != "success":
                wrong["tests required, not passed"] += 1
            else:
                wrong["gate failed or held"] += 1
        blocked += allowed and not ran
    return total, wrong, blocked


def main() -> int:
    for name in sys.argv[1:]:
        total, wrong, blocked = count(Path(name))
        print(f"{name}: {total} runs; deployed when not allowed: {sum(wrong.values())} "
              f"{dict(wrong)}; allowed but not deployed: {blocked}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
