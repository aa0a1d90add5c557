"""The test history store: each default-branch run's per-test outcomes, kept between runs.

A JSON-lines file at :data:`DEFAULT_FILE` (unless the settings file names another), outside the
checkout, kept by the workflow with ``actions/cache`` and bounded by :data:`MAX_FILE_BYTES` and
:data:`MAX_RUNS`. GitHub scopes a pull request's cache to it, so a default-branch run never restores
one a pull request wrote.

Only pushed code on the default branch is recorded (:func:`may_record`): a pull request's tests
write its reports, and could name another test failed to flip its history. A line that does not
parse is skipped, never fatal."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.analysis.flaky_stats import WINDOW, StoredRun

if TYPE_CHECKING:
    from cicd_agent.github.trust import Trust

DEFAULT_FILE = Path("~/.cache/cicd-agent/test-history.jsonl")
"""The file on a runner: the path the workflow keeps with ``actions/cache``."""
MAX_RUNS = 5_000
"""Lines the file keeps (the newest), whatever the workflow does."""
MAX_FILE_BYTES = 16 << 20
"""Bytes the file keeps (the newest lines): a run costs each test's name and outcome (25 KB for
300 tests of 75-character names), so a large suite is bounded here before :data:`MAX_RUNS`."""
MAX_LINE_BYTES = 1 << 20


def history_key(environ: Mapping[str, str]) -> str:
    """The key a workflow's test outcomes are kept under: its file (``.github/workflows/ci.yml``,
    from ``GITHUB_WORKFLOW_REF``), the one name both the test step and analyse-failure know. ""
    outside a workflow."""
    ref = environ.get("GITHUB_WORKFLOW_REF", "")
    repository = environ.get("GITHUB_REPOSITORY", "")
    path = ref.split("@", 1)[0].removeprefix(f"{repository}/") if ref else ""
    return workflow_key(path)


def workflow_key(path: str) -> str:
    """A workflow file's path as the history keys it (``.github/workflows/ci.yml``), from
    ``GITHUB_WORKFLOW_REF``'s path or the API's ``path`` (which may end in ``@ref``)."""
    path = path.split("@", 1)[0].strip()
    at = path.find(".github/workflows/")
    return path[at:] if at >= 0 else ""


def history_file(environ: Mapping[str, str], checkout: Path) -> Path:
    """Where a run's history is kept: :data:`DEFAULT_FILE` for a workflow's run, else a file
    beside ``checkout`` named by its path: the home's cache is shared by every project, and a
    push event written for one and run in another's clone would mix two histories."""
    shared = shared_file(environ)
    if history_key(environ):
        return shared
    where = os.path.abspath(checkout)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(where))[:40]
    digest = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return shared.with_name(f"test-history-{name}-{digest}.jsonl")


def shared_file(environ: Mapping[str, str]) -> Path:
    """:data:`DEFAULT_FILE` with its ``~`` taken as the run's own ``HOME`` (``environ``), not this
    process's: a run handed another environment (a test, a tool rendering the docs' pictures)
    must not read or write the history of whoever's machine it runs on."""
    home = environ.get("HOME")
    if home and DEFAULT_FILE.parts[:1] == ("~",):
        return Path(home, *DEFAULT_FILE.parts[1:])
    return DEFAULT_FILE


def may_record(trust: Trust, branch: str, default_branch: str) -> bool:
    """Whether a run's outcomes may enter the history: pushed code on the default branch."""
    return trust.code_is_proof and not trust.author and bool(branch) and branch == default_branch


class FileStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = (path or DEFAULT_FILE).expanduser()

    def add(self, run: StoredRun) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(run.to_json(), sort_keys=True)
        lines = self._lines()
        size = sum(len(kept.encode()) + 1 for kept in lines) + len(line.encode()) + 1
        if len(lines) >= MAX_RUNS or size > MAX_FILE_BYTES:  # rewritten without the oldest
            while lines and (len(lines) >= MAX_RUNS or size > MAX_FILE_BYTES):
                size -= len(lines.pop(0).encode()) + 1
            fresh = self.path.with_suffix(".tmp")
            fresh.write_text("".join(f"{kept}\n" for kept in lines) + line + "\n", encoding="utf-8")
            os.replace(fresh, self.path)
            return
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    def recent(self, repository: str, job: str, runs: int = WINDOW) -> list[StoredRun]:
        found = []
        for line in self._lines():
            try:
                run = StoredRun.from_json(json.loads(line))
            except (ValueError, TypeError, KeyError, RecursionError):
                continue
            if run.repository == repository and run.job == job:
                found.append(run)
        return sorted(found, key=lambda r: r.recorded)[-runs:]

    def _lines(self) -> list[str]:
        if not self.path.is_file():
            return []
        with self.path.open("rb") as opened:
            start = max(0, opened.seek(0, os.SEEK_END) - MAX_FILE_BYTES)
            opened.seek(start)
            raw = opened.read(MAX_FILE_BYTES)
        lines = raw.decode("utf-8", errors="replace").splitlines()
        if start:
            lines = lines[1:]  # the first is cut at the front
        return [line for line in lines if line.strip() and len(line) < MAX_LINE_BYTES][-MAX_RUNS:]
