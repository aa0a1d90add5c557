"""The API's GitHub facet: the client a run holds (:attr:`RunContext.github`), for a mode's
type annotations and its own calls, and the review thread a comment is in
(:data:`CommentKind`, :class:`ThreadStart`). Loaded only by a mode that imports it: the
client brings PyGithub."""

from __future__ import annotations

from cicd_agent.github.client import GitHubClient
from cicd_agent.github.run_history import History
from cicd_agent.github.threads import CommentKind, ThreadStart

__all__ = ["CommentKind", "GitHubClient", "History", "ThreadStart"]
