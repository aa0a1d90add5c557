"""Where a review goes (``PublishPlan``, in ``modes/review/types.py``): what earlier runs
reviewed is read from our summary comment's ledger, so the plan and the comment cannot
disagree, and a head reviewed before is known as such."""

from __future__ import annotations

from cicd_agent.github.comments import Found
from cicd_agent.modes.review.ledger import Ledger
from cicd_agent.modes.review.types import PublishPlan

OLD, NEW = "a" * 40, "b" * 40


def _summary(heads: tuple[str, ...]) -> Found:
    return Found(id=7, body="### cicd-agent review\n\nAll good.\n\n" + Ledger(heads=heads).render())


def test_the_heads_earlier_runs_reviewed_come_from_the_summary_comment() -> None:
    plan = PublishPlan(number=12, head=NEW, summary=_summary((OLD,)))
    assert plan.previous.heads == (OLD,)
    assert not plan.already_reviewed
    again = PublishPlan(number=12, head=OLD, summary=_summary((OLD,)))
    assert again.already_reviewed


def test_without_a_summary_comment_nothing_was_reviewed_before() -> None:
    plan = PublishPlan(number=12, head=NEW)
    assert plan.previous == Ledger()
    assert plan.previous.heads == () and not plan.already_reviewed


def test_a_summary_someone_edited_without_our_ledger_reads_as_nothing_reviewed() -> None:
    plan = PublishPlan(number=12, head=OLD, summary=Found(id=7, body=f"reviewed {OLD}"))
    assert plan.previous.heads == () and not plan.already_reviewed
