"""The one answer to "which program runs as this tool": the job's install, never a file of the pull
request.

Every runner, linter and fixer asks :func:`job_tool` (tests/project/test_outcome_seam.py): a
committed ``.venv/bin/ruff`` that prints ``[]``, or a ``bin/go`` on the job's ``PATH``, would
otherwise call the change clean or its tests passed. The repository's own untracked installs
(``npm ci``) still run."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.analysis.file_names import folded, name_span
from cicd_agent.local import git, git_ops
from cicd_agent.local.processes import MAX_LINKS

INSTALLS = (".venv/bin", "venv/bin", "node_modules/.bin")
"""Where a repository's own CI installs its tools inside the checkout."""


@dataclass(frozen=True)
class Refused:
    """A tool found where only the pull request put it, and why it does not run (the Tools
    line: "ruff could not run: ``reason``")."""

    reason: str


def job_tool(
    name: str, checkout: Path, environ: Mapping[str, str], *, installs: bool = False
) -> str | Refused | None:
    """The program to run as ``name`` over ``checkout``: the job's, a :class:`Refused` saying why
    the one found is not, or None. A name with a folder is that file; else it is looked up on
    ``PATH``'s absolute entries, then (``installs``) in :data:`INSTALLS`. Every name on the way
    to the file that runs is asked of the checkout's index, whatever its case (a case-insensitive
    file system runs the index's ``BIN/go`` as ``bin/go``); when git cannot answer, the tool does
    not run."""
    if "/" in name:
        named = checkout / name
        found = str(named) if named.is_file() and os.access(named, os.X_OK) else None
    else:
        entries = environ.get("PATH", os.defpath).split(os.pathsep)
        places = [entry for entry in entries if os.path.isabs(entry)]
        places += [str(checkout / place) for place in INSTALLS] if installs else []
        found = shutil.which(name, path=os.pathsep.join(places))
    return None if found is None else _the_jobs(found, checkout)


def job_python(checkout: Path, environ: Mapping[str, str]) -> str:
    """The Python a Python project's tests run with: the checkout's own environment (the first
    of :data:`INSTALLS` holding a ``python`` the pull request did not commit), where review
    finds the linters the project installed with it (``uv sync``, ``python -m venv .venv``);
    "" for the job's ``python`` on ``PATH``, which has not the project installed."""
    for folder in INSTALLS:
        found = job_tool(f"{folder}/python", checkout, environ)
        if isinstance(found, str):
            return f"{folder}/python"
    return ""


def _the_jobs(program: str, checkout: Path) -> str | Refused:
    """``program`` unless a name on its way is tracked by the checkout's index."""
    names = _names_on_the_way(Path(program), checkout)
    if not names:
        return program  # outside the checkout: the job's own
    place = git.in_checkout(checkout, ceiling=Path(os.path.abspath(checkout)).parent)
    try:
        done = git_ops.index_entries(place, stages=True, timeout=60)
    except (OSError, git.GitTimedOut) as exc:
        done = git.GitResult(-1, b"", str(exc).encode())
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1] or ["no answer"]
        return Refused(
            f"git cannot say whether the checkout's {_shown(names[-1])} is a file of "
            f"the pull request ({said[0][:200]}), so it does not run"
        )
    entries = (entry.partition(b"\t")[2] for entry in done.stdout.split(b"\0"))
    tracked = {folded(os.fsdecode(name)): os.fsdecode(name) for name in entries if name}
    owned = next((tracked[folded(n)] for n in names if folded(n) in tracked), None)
    if owned is None:
        return program
    return Refused(f"the checkout's {_shown(owned)} is a file of the pull request, not an install")


def _names_on_the_way(program: Path, checkout: Path) -> list[str]:
    """The checkout-relative names a run of ``program`` passes through: every folder and link
    from the program's own name to the file it resolves to, as written and as resolved."""
    roots = {Path(os.path.abspath(checkout)), checkout.resolve()}
    hop = Path(os.path.abspath(program))
    names: list[str] = []
    for _ in range(MAX_LINKS):
        for at in (hop, hop.parent.resolve() / hop.name):
            for root in roots:
                parts = at.relative_to(root).parts if at.is_relative_to(root) else ()
                names += ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        if not hop.is_symlink():
            break
        hop = Path(os.path.abspath(hop.parent / os.readlink(hop)))
    return list(dict.fromkeys(names))


def _shown(name: str) -> str:
    """A checkout's file name as a sentence may hold it (the pull request chose it)."""
    return name if re.fullmatch(r"[\w.@+/-]{1,200}", name) else name_span(name, 200)
