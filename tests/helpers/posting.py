"""What a run sent to GitHub's mock, read as GitHub renders it: every text a reader sees (a
review's body and inline comments, a check run's title, summary and text, a comment, our
section of a pull request's body), with what is live in each (:func:`live_in_post`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cicd_agent.actions.rendered import live_in_post

OWN = ("https://github.com/octocat/Hello-World/",)
# The hidden lines we end a text with (markers, the review's ledger): ours, not text.
_HIDDEN_TAIL = re.compile(r"(?:\s*<!-- cicd-agent[\w-]*:[\w.:/@+ -]* -->)+\s*\Z")
_SECTION = re.compile(
    r"<!-- cicd-agent:describe:start [0-9a-f]{64} -->(.*?)<!-- cicd-agent:describe:end -->",
    re.DOTALL,
)


def posted_texts(proxy: Any) -> Iterator[tuple[str, str]]:
    """(where, text) for every text the writes recorded by ``proxy`` show on GitHub."""
    for request in proxy.requests:
        if request.method not in ("POST", "PATCH", "PUT") or not request.body:
            continue
        sent = request.json()
        if not isinstance(sent, dict):
            continue
        where = f"{request.method} {request.api_path}"
        if "/pulls/" in request.api_path and request.api_path.count("/") == 5:
            for section in _SECTION.findall(str(sent.get("body") or "")):
                yield f"{where} body", section  # the rest of a pull request's body is its author's
            continue
        if isinstance(sent.get("body"), str):
            yield f"{where} body", _HIDDEN_TAIL.sub("", sent["body"])
        for comment in sent.get("comments") or ():
            yield f"{where} comment", _HIDDEN_TAIL.sub("", comment["body"])
        output = sent.get("output") or {}
        for name in ("title", "summary", "text"):
            if output.get(name):
                yield f"{where} {name}", output[name]


def live_posts(proxy: Any) -> list[tuple[str, list[str]]]:
    """Each posted text with something live in it, and what."""
    found = [(where, live_in_post(text, OWN)) for where, text in posted_texts(proxy)]
    return [(where, live) for where, live in found if live]
