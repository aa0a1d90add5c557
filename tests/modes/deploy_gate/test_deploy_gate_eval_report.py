"""deploy-gate reads the eval mode's report as evidence about the change: a ``regressed``
verdict about this head raises the risk to at least high, naming the file, the commit and the
drop; any other verdict, a report about another commit or of another mode moves nothing (the
report can only raise the risk, so a forged one adds caution and nothing else). The fields
read are the ones the eval mode's tests hold its report to (``REPORT_FIELDS`` there)."""

from __future__ import annotations

import json
from pathlib import Path

from cicd_agent.modes.deploy_gate.eval_report import with_eval
from cicd_agent.modes.deploy_gate.mode import MODE
from cicd_agent.modes.deploy_gate.options import phase_options
from tests.git_builder import GitRepoBuilder
from tests.helpers.context import run_context


def _written(about: str, verdict: str, **changed: object) -> dict[str, object]:
    """A report as the eval mode writes one (the fields deploy-gate reads, and others)."""
    return {"mode": "eval", "head": about, "verdict": verdict, "delta": -0.12,
            "pass_rate_base": 0.9, "pass_rate_head": 0.78, "cases": 200, **changed}  # fmt: skip


def _run(tmp_path: Path, verdict: str, **changed: object) -> tuple[dict[str, object], str]:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"src/app.py": "def f(x):\n    return x\n"})
    head = repo.commit("Change", {"src/app.py": "def f(x):\n    return x + 1\n"})
    report = tmp_path / "cicd-agent-eval.json"
    report.write_text(json.dumps(_written(head, verdict, **changed)))
    flags = ["--provider", "none", "--repo", str(repo.path), "--base", base, "--head", head,
             "--deploy-time", "2026-11-18T12:00:00+00:00", "--eval-report", str(report),
             "--audit-file", str(tmp_path / "audit.jsonl")]  # fmt: skip
    ctx, _ = run_context("deploy-gate", flags, {}, phase_options)
    result, _ = MODE.run(ctx)
    return result.to_json(), head


def test_a_regressed_eval_raises_the_risk_and_names_its_evidence(tmp_path: Path) -> None:
    raised, head = _run(tmp_path / "raised", "regressed")
    assert raised["risk_level"] == "high"
    (said,) = [r for r in raised["reasons"] if r["signal"] == "eval"]
    assert f"regressed by 12.0 points (cicd-agent-eval.json, head {head[:12]})" in said["message"]


def test_any_other_verdict_or_a_report_about_another_commit_moves_nothing(
    tmp_path: Path,
) -> None:
    # the change alone scores low
    passed, _ = _run(tmp_path / "passed", "passed")
    assert passed["risk_level"] == "low"
    other, _ = _run(tmp_path / "other", "regressed", head="0" * 40)
    assert other["risk_level"] == "low"
    assert any("about another commit" in note for note in other["notes"])
    build, _ = _run(tmp_path / "build", "regressed", mode="build")
    assert build["risk_level"] == "low"
    assert any("not a report of the eval mode" in note for note in build["notes"])


def test_a_report_that_cannot_be_read_is_a_note_and_moves_nothing(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    head = repo.commit("Initial", {"a.txt": "a\n"})
    (tmp_path / "linked.json").symlink_to(tmp_path / "nowhere.json")
    assessment = object()  # returned as it came: nothing read, nothing raised
    same, why = with_eval(assessment, repo.path, str(tmp_path / "linked.json"), head)  # type: ignore[arg-type]
    assert same is assessment and "not used" in why
