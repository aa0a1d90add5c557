"""The API's GitHub facet: the client a run holds (:attr:`RunContext.github`), for a mode's
type annotations and its own calls. Loaded only by a mode that imports it: the client brings
PyGithub."""

from __future__ import annotations

from cicd_agent.github.client import GitHubClient

__all__ = ["GitHubClient"]
