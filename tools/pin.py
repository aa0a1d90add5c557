"""Pin the README, the examples and the docs to one commit of cicd-agent: ``python tools/pin.py REV``.

A user copies ``uses: org/cicd-agent@SHA`` and runs that commit, whatever the docs beside it
describe. The pin was left 318 commits behind: users ran code older than the docs. This
rewrites every ``org/cicd-agent@<40 hex>`` in ``README.md``, ``examples/`` and ``docs/`` to the
full SHA of ``REV`` (default ``HEAD``); the comment after it stays. Re-running it with the same
commit changes nothing. ``--check`` changes nothing and says how many commits after the pin
changed ``src/``, ``action.yml`` or ``docs/`` (``tests/project/test_pin_fresh.py`` fails past
``MAX_BEHIND``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"(?<=org/cicd-agent@)[0-9a-f]{40}\b")
PLACES = ("README.md", "examples", "docs")
SUFFIXES = {".md", ".yml", ".yaml"}
WATCHED = ("src", "action.yml", "docs")
"""What users run or read: a commit after the pin that changes these leaves the pin behind."""
MAX_BEHIND = 20


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def pinned_files(root: Path) -> list[Path]:
    """The files that may hold a pin: the README, and every page and workflow under examples/
    and docs/."""
    found: list[Path] = []
    for place in PLACES:
        path = root / place
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    return found


def pins(root: Path) -> dict[Path, set[str]]:
    """Each file that pins a commit → the commits it pins."""
    found = {path: set(PIN.findall(path.read_text())) for path in pinned_files(root)}
    return {path: shas for path, shas in found.items() if shas}


def behind(root: Path, sha: str) -> int:
    """How many commits after ``sha`` (to HEAD) changed what users run or read."""
    return int(git(root, "rev-list", "--count", f"{sha}..HEAD", "--", *WATCHED))


def repin(root: Path, rev: str) -> tuple[str, list[Path]]:
    """Rewrite every pin under ``root`` to ``rev``'s full SHA; the SHA and the files changed."""
    sha = git(root, "rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}")
    changed = []
    for path in pins(root):
        text = path.read_text()
        new = PIN.sub(sha, text)
        if new != text:
            path.write_text(new)
            changed.append(path)
    return sha, changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", nargs="?", default="HEAD", help="the commit to pin (default HEAD)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help="change nothing; report the pins")
    args = parser.parse_args(argv)
    if args.check:
        shas = set().union(*pins(args.root).values())
        for sha in sorted(shas):
            print(f"{sha}: {behind(args.root, sha)} commit(s) since changed {', '.join(WATCHED)}")
        return 0 if len(shas) == 1 and behind(args.root, shas.pop()) <= MAX_BEHIND else 1
    sha, changed = repin(args.root, args.rev)
    for path in changed:
        print(f"pinned {path.relative_to(args.root)} to {sha}")
    if not changed:
        print(f"every pin is already {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
