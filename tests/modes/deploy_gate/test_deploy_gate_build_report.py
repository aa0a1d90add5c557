"""deploy-gate reads the build mode's report as evidence about the image: a new critical
vulnerability raises the risk and says so, naming the file and the commit; a report about
another commit, or one that is not the build mode's, is not used and the note says why."""

from __future__ import annotations

import json
from pathlib import Path

from cicd_agent.modes.deploy_gate.mode import MODE
from cicd_agent.modes.deploy_gate.options import phase_options
from tests.git_builder import GitRepoBuilder
from tests.helpers.context import run_context


def _run(tmp_path: Path, report: dict[str, object] | None) -> tuple[dict[str, object], str]:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"src/app.py": "def f(x):\n    return x\n"})
    head = repo.commit("Change", {"src/app.py": "def f(x):\n    return x + 1\n"})
    flags = ["--provider", "none", "--repo", str(repo.path), "--base", base, "--head", head,
             "--deploy-time", "2026-11-18T12:00:00+00:00",
             "--audit-file", str(tmp_path / "audit.jsonl")]  # fmt: skip
    if report is not None:
        written = tmp_path / "cicd-agent-build.json"
        written.write_text(json.dumps({k: head if v == "HEAD" else v for k, v in report.items()}))
        flags += ["--build-report", str(written)]
    ctx, _ = run_context("deploy-gate", flags, {}, phase_options)
    result, _ = MODE.run(ctx)
    return result.to_json(), head


REPORT = {
    "mode": "build",
    "head": "HEAD",
    "image_size": 120_000_000,
    "image_size_delta": 35_000_000,
    "new_vulnerabilities": [
        {"id": "CVE-2024-0001", "severity": "critical", "package": "pkg:deb/debian/openssl"},
        {"id": "<img src=x>", "severity": "critical", "package": "pkg:deb/debian/zlib"},
        {"id": "GHSA-aaaa-bbbb-cccc", "severity": "high", "package": "pkg:pypi/flask"},
    ],
}


def test_a_new_critical_vulnerability_raises_the_risk_and_names_its_evidence(
    tmp_path: Path,
) -> None:
    raised, head = _run(tmp_path / "raised", REPORT)
    assert raised["risk_level"] == "high"
    said = [r for r in raised["reasons"] if r["signal"] == "build"]
    assert (
        f"2 new critical vulnerabilities (cicd-agent-build.json, head {head[:12]})"
        in (said[0]["message"])
    )
    assert said[0]["evidence"] == ["CVE-2024-0001", "(an id of another shape)"]
    assert "1 new high" in said[1]["message"] and "+35,000,000" in said[2]["message"]


def test_a_report_about_another_commit_or_mode_is_not_used(tmp_path: Path) -> None:
    # the change alone scores low (both reports below are left out)
    other, _ = _run(tmp_path / "other", {**REPORT, "head": "0" * 40})
    assert other["risk_level"] == "low"
    assert any("about another commit" in note for note in other["notes"])
    review, _ = _run(tmp_path / "review", {**REPORT, "mode": "review"})
    assert review["risk_level"] == "low"
    assert any("not a report of the build mode" in note for note in review["notes"])
