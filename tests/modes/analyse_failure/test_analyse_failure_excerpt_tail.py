"""The summary's word on the log excerpt's lines it does not show: where they are."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.result import EXCERPT_LINES_SHOWN, FailureResult, JobOutcome


def _result(excerpt_file: str) -> FailureResult:
    lines = "\n".join(f"line {n}" for n in range(EXCERPT_LINES_SHOWN + 7))
    return FailureResult(
        mode="analyse-failure", headline="", failure_type="test_failure",
        deterministic_failure_type="test_failure", root_cause="FAILED t", confidence=0.8,
        signature="s", excerpt=lines, excerpt_file=excerpt_file,
        failed_jobs=[JobOutcome(name="test", failed_step="Test", conclusion="failure",
                                failure_type="test_failure")],
    )  # fmt: skip


def test_the_lines_not_shown_are_said_to_be_where_they_are() -> None:
    """Off a runner no excerpt file is written: the summary must not send a reader to one."""
    on_runner = _result("/runner/temp/excerpt.txt").summary_body()
    assert "7 more line(s) in the excerpt file (the `excerpt_file` output)." in on_runner
    local = _result("").summary_body()
    assert "excerpt file." not in local and "7 more line(s) not shown" in local
    assert "`--json`" in local
