"""Label a history's defect-inducing commits by SZZ, line level.

Usage: python -m research.risk.szz --last 1500 --out DIR BATCH/owner+name...

For each bare clone: the last ``--last`` non-merge commits of HEAD (the window, oldest first).
A commit of the window is a *fix* when its message says so (:func:`records.is_fix`'s words) or
links an issue it closes (``fixes #12``, ``closes #12``, ``resolves #12``). For each fix that
is not a revert and touches at most :data:`MAX_FIX_FILES` runtime files (not tests, not docs;
more is a refactor or a mass change and blames nothing), every line it deleted or changed is
blamed on the fix's parent with whitespace ignored (``git blame -w``); blank lines and comment
lines (by their first characters) are not blamed, nor lines whose only change is whitespace
(``git diff -w --ignore-blank-lines``). The commit blamed is a *candidate*, dropped when it is
outside the window (a boundary), is itself a mass change (more than :data:`MASS_FILES` files),
or was committed more than :data:`MAX_AGE_DAYS` before the fix. Each remaining candidate is
*defect-inducing*, as of the time of the earliest fix that blamed it (so a time-ordered
evaluation trains only on what was known at its cut).

Writes ``DIR/owner+name.json``: the window (SHAs oldest first), each commit's time, and
``induced``: SHA -> the time of the first fix that blamed it. Nothing here is committed; the
clones are the public repositories named in ``batch_H.txt`` at the HEADs it records.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from cicd_agent.analysis.change_types import ChangeType, classify_path
from cicd_agent.risk.records import is_fix, is_revert

MAX_FIX_FILES = 10
MASS_FILES = 100
MAX_AGE_DAYS = 3 * 365
MAX_BLAMED_LINES = 200
"""Most lines blamed per file of a fix (a huge rewrite blames the same few commits anyway)."""
_ISSUE_LINK = re.compile(r"\b(fix(e[sd])?|close[sd]?|resolve[sd]?)\s*:?\s+(\S+/\S+)?#\d+", re.I)
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")
_COMMENT = ("#", "//", "/*", "*", "--", ";", "<!--", '"""', "'''", "%")
_NOT_RUNTIME = frozenset({ChangeType.TESTS, ChangeType.DOCS})


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "--git-dir", str(repo), *args],
        capture_output=True,
        check=False,
        timeout=300,
    )
    return out.stdout.decode("utf-8", "replace")


def is_fix_message(message: str) -> bool:
    """A fix by its words or by an issue it closes."""
    return is_fix(message) or bool(_ISSUE_LINK.search(message))


def window(repo: Path, last: int) -> list[tuple[str, int, int, str]]:
    """(sha, time, files changed, message) of the last ``last`` non-merge commits, oldest first."""
    out = git(
        repo, "log", "--no-merges", f"--max-count={last}", "--format=%x00%H %ct%n%B%x01",
        "--shortstat", "HEAD",
    )  # fmt: skip
    rows = []
    for chunk in out.split("\x00")[1:]:
        head, _, rest = chunk.partition("\n")
        sha, when = head.split()
        message, _, stat = rest.partition("\x01")
        found = re.search(r"(\d+) files? changed", stat)
        rows.append((sha, int(when), int(found.group(1)) if found else 0, message))
    return rows[::-1]


def blamed_lines(repo: Path, fix: str) -> dict[str, list[int]]:
    """Old path -> the lines of the fix's parent that the fix deleted or changed (not blank,
    not comments, not whitespace-only), for its runtime files; {} for a mass fix."""
    names = git(repo, "diff", "--name-only", "--no-renames", f"{fix}^", fix).split("\n")
    runtime = [p for p in names if p and not classify_path(p) & _NOT_RUNTIME]
    if not runtime or len(runtime) > MAX_FIX_FILES:
        return {}
    diff = git(
        repo, "diff", "-U0", "--no-color", "--no-renames", "-w", "--ignore-blank-lines",
        f"{fix}^", fix, "--", *runtime,
    )  # fmt: skip
    lines: dict[str, list[int]] = {}
    path = ""
    number = 0
    for line in diff.splitlines():
        if line.startswith("--- "):
            path = line[6:] if line.startswith("--- a/") else ""
        elif line.startswith("+++ "):
            continue
        elif (hunk := _HUNK.match(line)) is not None:
            number = int(hunk.group(1))
        elif line.startswith("-") and path:
            text = line[1:].strip()
            if text and not text.startswith(_COMMENT):
                kept = lines.setdefault(path, [])
                if len(kept) < MAX_BLAMED_LINES:
                    kept.append(number)
            number += 1
    return lines


def blame(repo: Path, fix: str, path: str, numbers: list[int], start: str) -> set[str]:
    """The commits ``git blame -w`` gives for ``numbers`` of ``path`` at the fix's parent,
    walking back no further than ``start`` (its lines are the boundary's: dropped)."""
    ranges = [arg for n in numbers for arg in ("-L", f"{n},{n}")]
    out = git(repo, "blame", "-w", "--porcelain", *ranges, f"{start}..{fix}^", "--", path)
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


def label(repo: Path, last: int) -> dict[str, object]:
    rows = window(repo, last)
    times = {sha: when for sha, when, _, _ in rows}
    files = {sha: n for sha, _, n, _ in rows}
    start = rows[0][0]
    induced: dict[str, int] = {}
    fixes = 0
    for sha, when, _, message in rows[1:]:
        subject = message.strip().split("\n", 1)[0]
        if not is_fix_message(message) or is_revert(subject):
            continue
        fixes += 1
        for path, numbers in blamed_lines(repo, sha).items():
            for culprit in blame(repo, sha, path, numbers, start):
                if (
                    culprit in times
                    and culprit != sha
                    and files[culprit] <= MASS_FILES
                    and when - times[culprit] <= MAX_AGE_DAYS * 86_400
                ):
                    induced[culprit] = min(induced.get(culprit, when), when)
    return {
        "head": git(repo, "rev-parse", "HEAD").strip(),
        "window": [sha for sha, _, _, _ in rows],
        "times": times,
        "fixes": fixes,
        "induced": induced,
        "rule": {
            "max_fix_files": MAX_FIX_FILES, "mass_files": MASS_FILES,
            "max_age_days": MAX_AGE_DAYS, "max_blamed_lines": MAX_BLAMED_LINES,
        },
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--last", type=int, default=1500)
    parser.add_argument("--out", type=Path, required=True)
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
        data = label(repo, args.last)
        target.write_text(json.dumps(data))
        claim.unlink()
        print(
            f"{repo.name}: {len(data['window'])} commits, {data['fixes']} fixes, "  # type: ignore[arg-type]
            f"{len(data['induced'])} defect-inducing, {time.perf_counter() - started:.0f}s",  # type: ignore[arg-type]
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
