"""deploy-gate's reasons name evidence a person would accept: no word lists,
nothing read from the message, one reason for a newcomer ("first change by this author"), and
a level that differs from review's for the same change says why."""

from __future__ import annotations

from cicd_agent.analysis.changes import ChangedFile, CommitInfo
from cicd_agent.risk.floors import Identity
from cicd_agent.risk.records import HistoryFeatures
from cicd_agent.risk.score import assess_change


def _commit(subject: str) -> CommitInfo:
    return CommitInfo("a" * 40, "dev@example.com", 1_700_000_000, subject)


def test_no_reason_quotes_the_subject_and_the_subject_adds_nothing() -> None:
    """Before: "words common in later-reverted commits: support, python" (a word list, from
    text the author writes)."""
    changed = [ChangedFile("src/app/views.py", 40, 5)]
    worded = assess_change(changed, [_commit("Add support for python")])
    plain = assess_change(changed, [_commit("Tidy views")])
    assert worded.risk_score == plain.risk_score
    assert not any("support" in r.message or "python" in r.message for r in worded.reasons)


def test_a_newcomer_is_told_only_that_it_is_their_first_change() -> None:
    """Before: "100 % of the repository's other 248 author(s) have more" (true of every
    newcomer)."""
    changed = [ChangedFile("src/app/views.py", 40, 5)]
    history = HistoryFeatures.empty(("new@example.org",))
    assessed = assess_change(
        changed, [_commit("Tidy views")], history, identity=Identity.pull_author("newbie", ())
    )
    about_author = [r.message for r in assessed.reasons if r.signal == "newcomer"]
    assert about_author == ["First change by this author (pull request author newbie (GitHub))."]
    assert not any("author(s) have more" in r.message for r in assessed.reasons)
