"""What publishing a review learns: the publish step's own record, taken in by
:meth:`~cicd_agent.modes.review.result.ReviewResult.as_posted` on a copy of the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cicd_agent.modes.review.items import InlineNote
    from cicd_agent.modes.review.result import ReviewDecision


@dataclass
class Posted:
    """What publishing learnt that deciding could not know: where the review and the summary
    comment are, the review as GitHub took it (an approval it refused went out as a comment,
    inline comments it refused moved into the body) and where the description went.

    Only the publish step writes it, as it goes, so a failure part-way keeps what was done;
    it comes back on a copy of the result (:meth:`ReviewResult.as_posted`), which every
    rendering reads, so the outputs say what was posted."""

    review_url: str = ""
    summary_url: str = ""
    decision: ReviewDecision | None = None
    """The event posted instead of the decided one (GitHub refused an approval)."""
    kept: list[InlineNote] | None = None
    """The inline comments GitHub took, when it refused some (None: all of them)."""
    moved: list[str] = field(default_factory=list)
    """The refused inline comments, as items of the review body."""
    unposted: bool = False
    """No review was posted this run: its findings are not recorded as posted."""
    description_in: str | None = None
    """Where the description went when not where decided (the body could not be edited)."""
