"""``# zizmor: ignore[rule]`` comments, and the one rule for when a run honours one.

zizmor runs with ``--no-ignores``: it cannot know who wrote a comment, and a stranger's pull request
could exempt its own new ``pull_request_target`` workflow. Here:

- a comment counts only as a YAML comment outside every scalar (a ``#`` in a ``run:`` block is the
  script's text);
- :class:`Exemptions` says which comments this run honours: every one (a local run, or a pull
  request from the repository itself, whose author can push the workflow anyway), only those the
  base version of the same file holds word for word on lines the change did not add (a fork cannot
  exempt its own change; a comment the maintainers removed since, or one in a file the fork moved
  here, is refused by the base's own text), or none;
- a base comment covers only the lines the finding marks, not the whole block zizmor also searches,
  so an old comment for ``workflow_run`` does not cover a ``pull_request_target`` added beside it.

Every honoured comment is returned as :class:`HonouredIgnore`, for the summary to list."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import yaml

_IGNORE = re.compile(r"# zizmor: ignore\[([^\]]+)\](?:\s|$)")
"""zizmor's syntax (``# zizmor: ignore[a, b] why``), searched in the comment's text."""

Scope = Literal["none", "base", "all"]


@dataclass(frozen=True)
class Exemptions:
    """Which ignore comments this run honours (``scope``), and why, in words for the summary."""

    scope: Scope
    why: str = ""
    base_lines: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """For scope ``base``: per path, the lines (stripped) of the version the pull request
    targets that hold an ignore comment (:func:`base_ignore_lines`)."""

    def trusted(
        self, path: str, text: str, comments: Mapping[int, frozenset[str]]
    ) -> Mapping[int, frozenset[str]]:
        """The ``comments`` of ``path`` (its head ``text``) this run may honour: in scope
        ``base``, only those whose line the base version of ``path`` holds word for word."""
        if self.scope != "base":
            return comments
        held = self.base_lines.get(path, frozenset())
        lines = text.split("\n")
        return {n: rules for n, rules in comments.items() if lines[n - 1].strip() in held}


def base_ignore_lines(texts: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Per path of ``texts`` (the base versions), its stripped lines that mention an ignore."""
    return {
        path: frozenset(line.strip() for line in text.split("\n") if "zizmor: ignore[" in line)
        for path, text in texts.items()
    }


NO_EXEMPTIONS = Exemptions("none")
"""No comment honoured: the audit as zizmor's ``--no-ignores`` gives it."""


@dataclass(frozen=True)
class HonouredIgnore:
    """A finding left out because an ignore comment the run trusts names its audit."""

    path: str
    comment_line: int
    audit: str
    """zizmor's audit id (``dangerous-triggers``)."""
    finding_line: int | None
    severity: str
    title: str
    why: str


def ignore_comments(text: str, root: yaml.Node) -> dict[int, frozenset[str]]:
    """Line (1-based) → the audit ids a YAML comment on it ignores. ``root`` is ``text``
    composed; a ``#`` inside any of its scalars is text, not a comment."""
    spans = sorted(_scalar_spans(root, text))
    found: dict[int, frozenset[str]] = {}
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        start, offset = offset, offset + len(line) + 1
        if "zizmor: ignore[" not in line:
            continue
        comment = _comment(line, start, spans)
        match = _IGNORE.search(comment) if comment else None
        if match:
            rules = frozenset(rule.strip() for rule in match.group(1).split(",") if rule.strip())
            if rules:
                found[number] = rules
    return found


def _comment(line: str, start: int, spans: list[tuple[int, int]]) -> str:
    """The comment ending ``line`` (which starts at offset ``start``), or "": the first ``#``
    at the line's start or after a blank that no scalar holds."""
    for column, char in enumerate(line):
        if char != "#" or (column and line[column - 1] not in " \t"):
            continue
        at = start + column
        if not any(first <= at < last for first, last in spans):
            return line[column:]
    return ""


def _scalar_spans(root: yaml.Node, text: str) -> Iterator[tuple[int, int]]:
    """Character spans of every scalar (keys included). A block scalar (``|``, ``>``) starts
    on the line after its indicator, whose rest may hold a real comment."""
    import yaml  # loaded already: ``root`` is a parsed workflow (the audit parsed it)

    seen: set[int] = set()
    pending: list[yaml.Node] = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            first = node.start_mark.index
            if node.style in ("|", ">"):
                first = text.find("\n", first) + 1 or node.end_mark.index
            yield first, node.end_mark.index
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                pending += [key, value]


def honoured(
    audit: str,
    *,
    marked: set[int],
    enclosing: set[int],
    comments: Mapping[int, frozenset[str]],
    added: set[int],
    exemptions: Exemptions,
) -> int | None:
    """The line of the comment that exempts a finding of ``audit``, or None.

    ``marked``: the lines of the finding's primary and related locations; ``enclosing``: its
    hidden ones (the block zizmor searches too); ``added``: the lines the change added.
    """
    if exemptions.scope == "none":
        return None
    lines = marked | enclosing if exemptions.scope == "all" else marked - added
    return next((n for n in sorted(lines) if audit in comments.get(n, ())), None)
