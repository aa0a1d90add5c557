"""The API's description facet: what a diff changes, grouped for a reader (files, lines and
functions touched), and that description placed in a pull request's body beside the author's
text."""

from __future__ import annotations

from cicd_agent.analysis.description import GROUP_TITLES, ChangeFacts, describe_diff
from cicd_agent.analysis.pr_body import ModelText, render

__all__ = ["GROUP_TITLES", "ChangeFacts", "ModelText", "describe_diff", "render"]
