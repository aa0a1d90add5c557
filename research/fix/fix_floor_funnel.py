"""The fix step's no-model floor on real lint and format commits from public history.

Not part of the unit-test run. One command::

    .venv/bin/python research/fix/fix_floor_funnel.py MIRROR... [--work /work/data/fixagent/floor]

Each MIRROR is a bare git directory of a Python project (the ``fetch`` tool's
``/work/.mirror/<owner>+<name>/repo``). Per project:

1. **Pairs.** Non-merge commits, newest first, whose subject names a formatter or linter (ruff,
   black, isort, reformat, format, lint, flake8, pre-commit) and that only modify existing
   ``.py`` files (at most 30 files, 600 changed lines).
2. **Reproduce.** A failing command is each of ``ruff format --check``, ``ruff check --select
   I`` (import order, isort's rules) and ``ruff check`` (the project's own rules), on the files
   the commit touched, with this venv's ruff, that passes at the commit and fails at its
   parent. The checkout is the parent: the state before the clean-up, as CI saw it. Commits
   where none does are counted as not reproducible here (another formatter version, another
   tool, a configuration this ruff rejects).
3. **Floor.** The fix step's floor runs as analyse-failure runs it: :func:`run_fixer` (the
   command's fixing form in the sandbox), then :class:`SandboxVerifier` judges the patch. No
   model, no recorded answers.
4. Count: commits, reproduced (one pair per command the commit makes pass), patches produced,
   applying, verified, and whether the verified patch leaves the touched files exactly as the
   historical commit did (it may not: a commit often fixes more than one tool's findings).

Everything fetched or built stays under ``--work``; nothing from it is committed.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WORK = Path("/work/data/fixagent/floor")
_SUBJECT = re.compile(
    r"\b(ruff|black|isort|reformat\w*|format\w*|lint\w*|flake8|pre-commit)\b", re.I
)
MAX_FILES = 30
MAX_LINES = 600
COMMANDS = (
    ("format", "ruff format --check --no-cache"),
    ("imports", "ruff check --no-cache --select I"),
    ("lint", "ruff check --no-cache"),
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=repo, capture_output=True, text=True, check=False,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])}: {done.stderr.strip()[:200]}")
    return done.stdout


@dataclass
class FloorPair:
    project: str
    sha: str
    subject: str
    files: list[str]
    kind: str = ""
    command: str = ""
    status: str = "candidate"
    patch: bool = False
    applying: bool = False
    verified: bool = False
    identical: bool = False
    reason: str = ""
    seconds: float = 0.0


def candidates(mirror: Path, project: str, limit: int) -> list[FloorPair]:
    log = git(mirror, "log", "--no-merges", "--first-parent", "--format=%x00%H %s", "--numstat",
              "--diff-filter=M", "HEAD")  # fmt: skip
    found: list[FloorPair] = []
    for entry in log.split("\0")[1:]:
        head, *stats = entry.strip().splitlines()
        sha, _, subject = head.partition(" ")
        if not _SUBJECT.search(subject) or re.search(r"\b(bump|update|upgrade)\b", subject, re.I):
            continue
        rows = [row.split("\t") for row in stats if row.count("\t") == 2]
        if not rows or any(not path.endswith(".py") or "=>" in path for _, _, path in rows):
            continue
        lines = sum(int(a) + int(r) for a, r, _ in rows if a.isdigit() and r.isdigit())
        if len(rows) <= MAX_FILES and lines <= MAX_LINES:
            found.append(FloorPair(project, sha, subject, [path for _, _, path in rows]))
        if len(found) >= limit * 4:
            break
    return found


def tool_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def passes(checkout: Path, command: str) -> int:
    done = subprocess.run(shlex.split(command), cwd=checkout, capture_output=True, env=tool_env(),
                          check=False, timeout=120)  # fmt: skip
    return done.returncode


def reproduce(mirror: Path, pair: FloorPair, work: Path) -> tuple[Path, list[FloorPair]]:
    """The parent's checkout, and one pair per ruff command the commit makes pass."""
    checkout = work / pair.project / pair.sha[:12]
    if checkout.exists():
        shutil.rmtree(checkout)
    checkout.parent.mkdir(parents=True, exist_ok=True)
    git(work, "clone", "-q", "--shared", "--no-checkout", str(mirror), str(checkout))
    git(checkout, "checkout", "-q", pair.sha)
    files = " ".join(shlex.quote(path) for path in pair.files)
    passing = [(kind, f"{tool} {files}") for kind, tool in COMMANDS]
    passing = [(kind, command) for kind, command in passing if passes(checkout, command) == 0]
    git(checkout, "checkout", "-q", f"{pair.sha}^")
    found = [
        replace(pair, kind=kind, command=command, status="reproduced")
        for kind, command in passing
        if passes(checkout, command) == 1
    ]
    if not found:
        pair.status = (
            "no ruff command fails before and passes after"
            if passing
            else "no ruff command passes at the commit"
        )
    return checkout, found


def floor(pair: FloorPair, checkout: Path) -> None:
    from cicd_agent.analysis.redact import Redactor
    from cicd_agent.modes.analyse_failure.fix.fixers import run_fixer
    from cicd_agent.modes.analyse_failure.fix.judge import SandboxVerifier
    from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand
    from cicd_agent.sandbox.run import Sandbox

    environ = {"PATH": tool_env()["PATH"], "HOME": str(checkout.parent)}
    failing = FailingCommand(job="lint", step="Lint", script=pair.command, failing=pair.command)
    started = time.perf_counter()
    with Sandbox(checkout, environ) as sandbox:
        made = run_fixer(sandbox, failing, environ)
        if made.patch is None:
            pair.reason = made.note
            return
        pair.patch = True
        pair.applying = subprocess.run(
            ["git", "apply", "--check", "-"], cwd=checkout, input=made.patch.diff, text=True,
            capture_output=True, check=False,
        ).returncode == 0  # fmt: skip
        verdict = SandboxVerifier(sandbox, failing, redact=Redactor().redact).verify(made.patch)
    pair.seconds = time.perf_counter() - started
    pair.verified, pair.reason = verdict.verified, verdict.reason
    if verdict.verified:
        subprocess.run(["git", "apply", "-"], cwd=checkout, input=made.patch.diff, text=True,
                       check=True, capture_output=True)  # fmt: skip
        pair.identical = git(checkout, "diff", "--stat", pair.sha, "--", *pair.files) == ""
        git(checkout, "checkout", "-q", "--", ".")


def report(pairs: list[FloorPair]) -> str:
    commits = {(p.project, p.sha): p.status for p in pairs}
    out = ["| commits | count |", "|---|---|"]
    out += [f"| {status} | {count} |" for status, count in Counter(commits.values()).most_common()]
    out += ["", "| failing command | reproduced | patch made | applying | verified | same as the commit |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for kind, _ in COMMANDS:
        rows = [p for p in pairs if p.kind == kind]
        if rows:
            counts = [len(rows), *(sum(getattr(p, name) for p in rows)
                                   for name in ("patch", "applying", "verified", "identical"))]  # fmt: skip
            out.append(f"| {kind} | " + " | ".join(map(str, counts)) + " |")
    reasons = Counter(p.reason.split(" (")[0] for p in pairs if p.kind and not p.verified)
    if reasons:
        out += ["", "| why not verified | count |", "|---|---|"]
        out += [f"| {reason} | {count} |" for reason, count in reasons.most_common()]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirrors", nargs="+", type=Path)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--pairs", type=int, default=6, help="reproduced pairs per project")
    args = parser.parse_args(argv)
    pairs: list[FloorPair] = []
    for mirror in args.mirrors:
        project = mirror.parent.name.split("+", 1)[-1] if mirror.name == "repo" else mirror.name
        reproduced = 0
        try:
            listed = candidates(mirror, project, args.pairs)
        except RuntimeError as exc:  # an incomplete mirror: say so, go on with the others
            print(f"{project}: history unreadable ({exc})", flush=True)
            continue
        for pair in listed:
            if reproduced >= args.pairs:
                break
            try:
                checkout, found = reproduce(mirror, pair, args.work)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                pair.status, found = f"could not build ({str(exc)[:50]})", []
            reproduced += bool(found)
            for each in found or [pair]:
                if found:
                    floor(each, checkout)
                pairs.append(each)
                print(f"{project}@{each.sha[:10]} {each.status} {each.kind} patch={each.patch} "
                      f"verified={each.verified} same={each.identical} {each.seconds:.1f}s "
                      f"{each.reason[:100]} — {each.subject[:60]}", flush=True)  # fmt: skip
    print()
    print(report(pairs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
