"""Lent to analyse-failure and review, and may change with them: comments on GitHub. A sticky
comment's hidden marker (:func:`marker`, analyse-failure); the longest pull request body and a
text cut to a limit (:data:`PULL_BODY_MAX`, :func:`fit`), and the heading review's threads
start with (:data:`REVIEW_HEADING`, review)."""

from __future__ import annotations

from cicd_agent.github.comments import marker
from cicd_agent.github.limits import PULL_BODY_MAX, fit
from cicd_agent.github.review_threads import REVIEW_HEADING

__all__ = ["PULL_BODY_MAX", "REVIEW_HEADING", "fit", "marker"]
