"""The risk floor deploy-gate takes from a range's secrets and workflow findings: an added
secret is at least high and holds the deployment; a serious workflow finding is at least high;
hygiene findings are review's business, not a deployment's."""

from __future__ import annotations

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.findings import is_security_finding, security_floor
from cicd_agent.analysis.severity import Severity


def _finding(rule: str, severity: Severity, path: str = "app.py", line: int | None = 3) -> Finding:
    return Finding(rule=rule, severity=severity, category="security", path=path, line=line,
                   title=f"{rule} found", body="explained")  # fmt: skip


def test_secrets_and_workflow_findings_are_the_security_ones() -> None:
    assert is_security_finding(_finding("secret", Severity.HIGH))
    assert is_security_finding(_finding("workflow-pwn-request", Severity.CRITICAL))
    assert not is_security_finding(_finding("debug-statement", Severity.HIGH))


def test_nothing_or_hygiene_only_sets_no_floor() -> None:
    assert security_floor([]) == (None, [], [])
    unpinned = _finding("workflow-unpinned-action", Severity.MEDIUM, ".github/workflows/ci.yml")
    assert security_floor([unpinned, _finding("debug-statement", Severity.HIGH)]) == (None, [], [])


def test_an_added_secret_is_at_least_high_and_holds_the_deployment() -> None:
    floor, lines, holds = security_floor([_finding("secret", Severity.MEDIUM)])
    assert floor is Severity.HIGH
    assert lines == ["secret found (app.py:3)"]
    assert holds == ["1 secret(s) added (`app.py:3`): revoke and remove before deploying"]


def test_a_critical_workflow_finding_raises_the_floor_to_critical_without_a_hold() -> None:
    pwn = _finding("workflow-pwn-request", Severity.CRITICAL, ".github/workflows/pr.yml", None)
    floor, lines, holds = security_floor([pwn])
    assert floor is Severity.CRITICAL
    assert lines == ["workflow-pwn-request found (.github/workflows/pr.yml)"]
    assert holds == []


def test_a_hold_names_at_most_five_places_and_counts_them_all() -> None:
    secrets = [_finding("secret", Severity.HIGH, f"f{n}.py", n + 1) for n in range(7)]
    _, lines, (hold,) = security_floor(secrets)
    assert len(lines) == 7
    assert hold.startswith("7 secret(s) added (") and "f4.py:5" in hold and "f5.py" not in hold
