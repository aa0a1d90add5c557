"""A GitHub that remembers: what one run published is what the next run finds.

Prism answers every request with the description's static examples, so on its own it would
never list the comment or check run a mode posted a moment ago, and every re-run would look like
a first run. :class:`GitHubMemory` reads what a run sent through the proxy and scripts the
listings a re-run reads (issue and commit comments, a commit's check runs) to contain it, with
the ids the re-run must then update.
"""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.reliability.scenarios import Outcome
from tests.e2e.reliability.stages import REPO
from tests.harness.github_proxy import ScriptingProxy

_COMMENTS = re.compile(rf"{REPO}/(issues/\d+|commits/\w+)/comments")
_COMMENT = re.compile(rf"{REPO}/(issues/comments|comments)/(\d+)")
_CHECK_RUNS = f"{REPO}/check-runs"


class GitHubMemory:
    """Remembers published comments and check runs, and lists them back to later runs."""

    def __init__(self, proxy: ScriptingProxy) -> None:
        self.proxy = proxy
        self.comments: dict[str, dict[int, str]] = {}  # listing path → id → body
        self.check_runs: dict[str, dict[int, str]] = {}  # head sha → id → name
        self._next_id = 7001

    def learn(self, outcome: Outcome) -> None:
        """Take in what ``outcome``'s run published, then script the listings to show it."""
        for request in outcome.github:
            if request.status >= 300 or not request.body:
                continue
            sent = request.json()
            if request.method == "POST" and _COMMENTS.fullmatch(request.api_path):
                self.comments.setdefault(request.api_path, {})[self._new_id()] = sent["body"]
            elif request.method == "PATCH" and (match := _COMMENT.fullmatch(request.api_path)):
                for bodies in self.comments.values():
                    if int(match[2]) in bodies:
                        bodies[int(match[2])] = sent["body"]
            elif request.method == "POST" and request.api_path == _CHECK_RUNS:
                self.check_runs.setdefault(sent["head_sha"], {})[self._new_id()] = sent["name"]
        for path, bodies in self.comments.items():
            self.proxy.script("GET", re.escape(path), edit=_comment_listing(bodies))
        for sha, names in self.check_runs.items():
            self.proxy.script(
                "GET", re.escape(f"{REPO}/commits/{sha}/check-runs"), edit=_run_listing(names)
            )

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id


def _comment_listing(bodies: dict[int, str]) -> Any:
    def edit(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**listing[0], "id": cid, "body": body} for cid, body in bodies.items()]

    return edit


def _run_listing(names: dict[int, str]) -> Any:
    def edit(listing: dict[str, Any]) -> dict[str, Any]:
        template = listing["check_runs"][0]
        runs = [{**template, "id": rid, "name": name} for rid, name in names.items()]
        return {"total_count": len(runs), "check_runs": runs}

    return edit
