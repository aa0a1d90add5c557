"""Label a history's defect-inducing commits by B-SZZ as PySZZ defines it.

Usage: python -m research.risk.bszz --last 1500 --out DIR BATCH/owner+name...

PySZZ (Rosa et al., "Evaluating SZZ implementations through a developer-informed oracle",
ICSE 2021) has no package on PyPI, so its B-SZZ is written again here, step for step:

- a *fix* is a commit of the window whose message has one of the keywords of the JIT
  literature (Kamei et al. 2013: "bug", "fix", "defect", "patch") or links an issue it closes
  (``fixes #12``, ``closes #12``, ``resolves #12``); reverts are fixes like any other;
- every file the fix modified that existed before it (any extension: PySZZ's
  ``file_ext_to_parse`` left unset), every line the fix deleted (``only_deleted_lines: true``);
- each such line is blamed on the fix's parent by plain ``git blame`` (no ``-w``, no move or
  copy detection, comments and blank lines kept: PySZZ's ``BaseSZZ``);
- every commit blamed is defect-inducing; no filter on its size or age (PySZZ has none).

What differs from PySZZ, and why it does not change a label: blame stops at the parent of the
window's first commit (a line older than the window is blamed on a commit outside it, which
is not labelled either way), and each commit remembers the time of the earliest fix that
blamed it, so a time-ordered evaluation trains only on what was known at its cut.

``--skip-comments`` takes MA-SZZ's line filters instead (AG-SZZ's, which MA-SZZ extends):
blank lines and comment lines (by their first characters) are not blamed, and blame ignores
whitespace (``git blame -w``); MA-SZZ's annotation graph and meta-change skipping are not
written (blame runs on a history without merge commits in the window anyway).

Writes ``DIR/owner+name.json`` in the format of :mod:`research.risk.szz` (``window``,
``times``, ``fixes``, ``induced``), which :mod:`research.risk.eval_szz` reads.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from research.risk.szz import git, window

KEYWORDS = re.compile(r"\b(fix(e[sd]|ing)?|bug(s|fix(es)?)?|defects?|patch(e[sd])?)\b", re.I)
_ISSUE_LINK = re.compile(r"\b(fix(e[sd])?|close[sd]?|resolve[sd]?)\s*:?\s+(\S+/\S+)?#\d+", re.I)
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")
_COMMENT = ("#", "//", "/*", "*", "--", ";", "<!--", '"""', "'''", "%")


def is_fix_message(message: str) -> bool:
    return bool(KEYWORDS.search(message) or _ISSUE_LINK.search(message))


def deleted_lines(repo: Path, fix: str, skip_comments: bool = False) -> dict[str, list[int]]:
    """Old path -> the numbers, in the fix's parent, of every line the fix deleted, for the
    files that existed before the fix (renames followed as git's default diff does)."""
    quiet = ["-w", "--ignore-blank-lines"] if skip_comments else []
    diff = git(repo, "diff", "-U0", "--no-color", "--no-ext-diff", *quiet, f"{fix}^", fix)
    lines: dict[str, list[int]] = {}
    path = ""
    number = 0
    for line in diff.splitlines():
        if line.startswith("--- "):
            path = line[6:] if line.startswith("--- a/") else ""
        elif line.startswith("+++ ") or line.startswith("diff --git"):
            continue
        elif (hunk := _HUNK.match(line)) is not None:
            number = int(hunk.group(1))
        elif line.startswith("-") and path:
            text = line[1:].strip()
            if not skip_comments or (text and not text.startswith(_COMMENT)):
                lines.setdefault(path, []).append(number)
            number += 1
    return lines


def ranges(numbers: list[int]) -> list[str]:
    """``-L`` arguments for runs of consecutive lines (PySZZ's ``_parse_line_ranges``)."""
    out: list[str] = []
    start = end = numbers[0]
    for n in numbers[1:]:
        if n == end + 1:
            end = n
            continue
        out += ["-L", f"{start},{end}"]
        start = end = n
    return [*out, "-L", f"{start},{end}"]


def blame(
    repo: Path, fix: str, path: str, numbers: list[int], stop: str | None, whitespace: bool
) -> set[str]:
    """The commits ``git blame`` gives for ``numbers`` of ``path`` at the fix's parent (plain,
    or ignoring whitespace when ``whitespace`` is False)."""
    span = f"{stop}..{fix}^" if stop else f"{fix}^"
    flags = [] if whitespace else ["-w"]
    out = git(repo, "blame", "--porcelain", *flags, *ranges(numbers), span, "--", path)
    found: set[str] = set()
    current = ""
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and len(parts[0]) == 40 and parts[1].isdigit():
            current = parts[0]
            found.add(current)
        elif line == "boundary":
            found.discard(current)
    return found


def label(repo: Path, last: int, skip_comments: bool = False) -> dict[str, Any]:
    rows = window(repo, last)
    times = {sha: when for sha, when, _, _ in rows}
    parent = git(repo, "rev-parse", "--verify", "-q", f"{rows[0][0]}^").strip() or None
    induced: dict[str, int] = {}
    fixes = 0
    for sha, when, _, message in rows[1:]:
        if not is_fix_message(message):
            continue
        fixes += 1
        for path, numbers in deleted_lines(repo, sha, skip_comments).items():
            for culprit in blame(repo, sha, path, numbers, parent, not skip_comments):
                if culprit in times and culprit != sha:
                    induced[culprit] = min(induced.get(culprit, when), when)
    return {
        "head": git(repo, "rev-parse", "HEAD").strip(),
        "window": [sha for sha, _, _, _ in rows],
        "times": times,
        "fixes": fixes,
        "induced": induced,
        "rule": {
            "variant": "B-SZZ (PySZZ BaseSZZ, only_deleted_lines, all files)"
            + (", MA-SZZ's line filters (blank, comment, whitespace)" if skip_comments else "")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--last", type=int, default=1500)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--skip-comments", action="store_true", help="MA-SZZ's line filters")
    parser.add_argument("repos", type=Path, nargs="+")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for repo in args.repos:
        target = args.out / f"{repo.name}.json"
        claim = target.with_suffix(".part")
        if target.exists() or claim.exists():
            continue  # done, or under way in another worker
        claim.touch()
        started = time.perf_counter()
        data = label(repo, args.last, args.skip_comments)
        target.write_text(json.dumps(data))
        claim.unlink()
        print(
            f"{repo.name}: {len(data['window'])} commits, {data['fixes']} fixes, "
            f"{len(data['induced'])} defect-inducing, {time.perf_counter() - started:.0f}s",
            file=sys.stderr,
            flush=True,
        )


if __name__ == "__main__":
    main()
