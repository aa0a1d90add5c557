"""The change under test: which files and commits the failed run brought in.

Read with git from the local checkout when it has both commits (``fetch-depth: 0``); a pull
request's file list from the API otherwise. Without either, the analysis still runs, it just
cannot rank responsible files by what changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.diff import parse_diff
from cicd_agent.local.change_set import read_change_set
from cicd_agent.modes.analyse_failure.types import Change

if TYPE_CHECKING:
    from cicd_agent.local.checkout import GitCheckout

MAX_TOUCH_LOOKUPS = 30
"""Changed files whose last commit is looked up (one ``git log`` each)."""
MAX_DIFF_BYTES = 2 << 20
"""Diff text read for the changed lines (one ``git diff`` for those files)."""
_NO_CODE = re.compile(
    r"\s*(?:$|//(?![/!])|/\*|\*(?:/|\s|$)|#(?![\[!]|(?:define|include|if|ifn?def|else|elif|endif|undef|pragma)\b))"
)
"""An added line no test can fail on: blank, or a comment (``#``, ``//``, ``/*``, a block's
``*``), not a C directive (``#define``), a Rust attribute (``#[test]``) or doc comment (its
doctests run). The multi-file blame
set (``research/failure/blame_multi_cases.py``) blamed a reworded comment over the break."""


def git_change(checkout: GitCheckout, head: str, base: str | None) -> Change:
    """``base..head`` from git (``base`` None: what ``head`` itself changed).

    Raises UsageError when the checkout lacks a commit.
    """
    repo = checkout.git
    if base is not None:
        base = repo.merge_base(checkout.resolve(base, "base"), checkout.resolve(head, "head"))
    change = read_change_set(repo, head, base)
    paths = change.paths
    last_touch: dict[str, str] = {}
    lines: dict[str, tuple[int, ...]] = {}
    if change.base is not None:
        text = repo.diff_text(
            change.base, change.head, list(paths[:MAX_TOUCH_LOOKUPS]), MAX_DIFF_BYTES
        )
        lines = {
            f.path: tuple(n for n, line in f.added_lines() if not _NO_CODE.match(line))
            for f in parse_diff(text).files
        }
        for path in paths[:MAX_TOUCH_LOOKUPS]:
            sha = repo.run(
                "log", "-1", "--format=%H", f"{change.base}..{change.head}", "--", path
            ).strip()
            if sha:
                last_touch[path] = sha
    written = {path: numbers for path, numbers in lines.items() if numbers}
    first: dict[str, str] = {}
    for path, numbers in written.items():
        blame = repo.run(
            "blame",
            "-l",
            "-s",
            "-L",
            f"{numbers[0]},{numbers[0]}",
            f"{change.base}..{change.head}",
            "--",
            path,
        )
        sha = blame.split(" ", 1)[0]
        if re.fullmatch(r"[0-9a-f]{40}", sha):  # "^sha": a line older than the range
            first[path] = sha
    return Change(
        base=change.base,
        head=change.head,
        files=paths,
        commits=tuple((c.sha, c.subject) for c in change.commits),
        last_touch=last_touch,
        lines=written,
        first_line_commit=first,
    )


def try_git_change(
    checkout: Callable[[], GitCheckout], head: str, base: str | None
) -> tuple[Change | None, str]:
    """The git change, or None with the reason (for a note) when git cannot give it: the
    checkout (the run's one, opened on first use) is no repository or lacks a commit."""
    try:
        return git_change(checkout(), head, base), ""
    except UsageError as exc:
        return None, exc.message
