"""The summary's first sentence when ``fail-on`` was met: the one place every mode's
summary gets it from."""

from __future__ import annotations

from cicd_agent.job.first_sentence import fail_on_sentence
from cicd_agent.job.pipeline import PlainResult


def test_the_sentence_names_the_threshold_the_exit_code_and_why() -> None:
    reason = "1 finding(s) at or above low; the most severe: high Secret (<b>a.py</b>:3)."
    sentence = fail_on_sentence("low", reason, 1)
    assert sentence.startswith("**fail-on low was met, so this step fails with exit 1:** ")
    # the reason quotes titles and paths: made inert
    assert sentence.endswith("high Secret (&lt;b&gt;a.py&lt;/b&gt;:3).")
    assert fail_on_sentence("low", reason, 3).startswith("**fail-on low was met** (")
    assert "exits 3" in fail_on_sentence("low", reason, 3)


def test_no_sentence_when_nothing_was_met() -> None:
    assert fail_on_sentence(None, None, 0) == ""
    assert fail_on_sentence("high", None, 0) == ""
    result = PlainResult(mode="review", headline="Review decision: comment.")
    assert result.summary_markdown().split("\n\n")[1] == "Review decision: comment."
    first = fail_on_sentence("high", "2 finding(s) at or above high", 1)
    assert result.summary_markdown(first).split("\n\n")[1] == first
