"""deploy-gate's reasons name evidence a person would accept (issue 34, item 6): stop-words are
never evidence, the author's revert share is said beside the repository's, and a level that
differs from review's for the same change says why."""

from __future__ import annotations

from cicd_agent.analysis.changes import ChangedFile, CommitInfo
from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.risk import fit as risk_fit
from cicd_agent.risk import jit
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk.score import assess_change


def _commit(subject: str) -> CommitInfo:
    return CommitInfo("a" * 40, "dev@example.com", "Dev", 1_700_000_000, subject)


def test_stop_words_are_not_subject_words_and_add_nothing() -> None:
    """Before: "the commit subject uses words common in later-reverted commits: of, to,
    support (+0.38)"."""
    assert risk_prior.subject_words("Add support of the proxy to the client") == {
        "add", "support", "proxy", "client",
    }  # fmt: skip
    prior = risk_prior.CrossRepoPrior(
        coef=(0.0,) * len(jit.FEATURES), intercept=0.0, repositories=(),
        words={"of": 0.19, "to": 0.1, "support": 0.05},
    )  # fmt: skip
    logit, raising = risk_fit._subject_words(prior, [_commit("Add support of X to Y")])
    assert raising == ["support"]
    assert logit == 0.05
    assert risk_fit._subject_words(prior, [_commit("Move of it to them")]) == (0.0, [])


def test_the_shipped_prior_names_no_stop_word_as_a_reason() -> None:
    prior = risk_prior.load_prior()
    assert prior is not None
    _, raising = risk_fit._subject_words(prior, [_commit("Use the state of the object for data")])
    assert raising and not set(raising) & risk_prior.STOP_WORDS


def test_the_authors_revert_share_is_said_beside_the_repositorys() -> None:
    """Before: "1% of the author's past commits (smoothed) were later reverted", alone."""
    row = [0.0] * len(jit.FEATURES)
    row[jit.FEATURES.index("author_reverted_share")] = 0.012
    (reason,) = risk_fit._history_reasons(row, {"author_reverted_share": 0.44}, 0.004)
    assert reason.message == (
        "1.2% of the author's past commits (smoothed) were later reverted, against 0.4% of the "
        "repository's"
    )


def test_a_level_other_than_reviews_says_why() -> None:
    """Before: review said "risk medium" and deploy-gate "critical" for the same change, with
    nothing explaining the difference."""
    review = assess_change([ChangedFile("src/app/views.py", 40, 5)], [_commit("Tidy views")])
    higher = review.model_copy(update={"risk_level": RiskLevel.CRITICAL})
    explained = risk_fit._explain_difference(higher, review)
    assert explained.reasons[0].message.endswith(
        f"Review rates the same change {review.risk_level.value} from its diff and rules alone; "
        "this level also ranks it against the repository's own history."
    )
    assert risk_fit._explain_difference(review, review) == review
