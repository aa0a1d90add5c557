"""Whose code a dispatched run's log comes from, re-checked by an attacker of the
trust decisions. ``repository_dispatch`` is how chat-ops bots run a fork's pull request on a
maintainer's ``/test`` (the head's ref travels in ``client_payload``; the workflow checks it
out): GitHub records the run at the default branch's last commit, as it records an
``issue_comment``'s ``/ok-to-test`` run, so GitHub's answer for that commit says nothing of
the code that wrote the log."""

from __future__ import annotations

from cicd_agent.github.trust import code_trust
from cicd_agent.modes.analyse_failure.collect import failed_code
from cicd_agent.modes.analyse_failure.types import RunTarget
from tests.modes.analyse_failure.fix.test_fix_outcome import NO_RUN, Answers


def test_attack_a_dispatched_run_is_judged_as_an_ok_to_test_comments_run() -> None:
    answers = Answers()  # the default branch holds the commit GitHub recorded
    comment = RunTarget(1, 1, 1, "abc", "main", "issue_comment", "", "main")
    dispatch = RunTarget(1, 1, 1, "abc", "main", "repository_dispatch", "", "main")
    assert not code_trust(failed_code(NO_RUN, comment), answers).code_is_proof
    assert not code_trust(failed_code(NO_RUN, dispatch), answers).code_is_proof
    assert answers.asked == []
