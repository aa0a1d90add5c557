"""The Python files that import a changed module, handed to mypy beside the changed files.

mypy checks the files it is named, and the modules they import; never a module that imports
them. A changed signature breaks its callers, and a caller in a file the change did not touch
went unchecked: the change that does not type-check passed. So the head's Python files whose
import lines name a changed module, or one the change deletes or renames away (its last part:
``maths`` of ``app/maths.py``, ``app`` of ``app/__init__.py``), are checked too. The match
is by words, so it may take a file that imports another module of that name: that costs time,
never a finding (an error there that no change explains is only counted). The files read are
bounded each and in all, and reading stops once enough callers are found: a head of thousands
of large files costs a bounded read. A changed link named as a package can be (``src/pkg``,
at the base or the head) is a changed module too: re-pointed at nothing, it breaks every
``import pkg`` though no Python file changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from cicd_agent.analysis.diff import Diff
from cicd_agent.local.checkout import GitCheckout

MAX_SCANNED = 5_000
"""Python files of the head read for their imports, at the most."""
MAX_BYTES = 256 * 1024
"""A larger file is not read for its imports."""
MAX_TOTAL = 32 * 1024 * 1024
"""The files read for their imports, in all: once past it, no more is read."""
CHUNK = 200
"""Files read by one ``git cat-file``, between the checks of the bounds."""


def importers(repo: GitCheckout, head: str, changed: Sequence[str], limit: int) -> list[str]:
    """Up to ``limit`` of the head's Python files, other than ``changed``, whose import lines
    name a changed module (module doc)."""
    names = {_module(path) for path in changed if path.endswith(".py")} - {""}
    if not names or limit <= 0:
        return []
    words = "|".join(re.escape(name) for name in sorted(names))
    imports = re.compile(rf"^[ \t]*(?:from|import)[ \t][^\n]*\b(?:{words})\b", re.MULTILINE)
    others = [
        path
        for path in repo.git.tracked_files(repo.resolve(head))
        if path.endswith(".py") and path not in changed
    ][:MAX_SCANNED]
    found: list[str] = []
    total = 0
    for start in range(0, len(others), CHUNK):
        texts = repo.read_texts(head, others[start : start + CHUNK], MAX_BYTES)
        found += sorted(path for path, text in texts.items() if imports.search(text))
        total += sum(len(text) for text in texts.values())
        if len(found) >= limit or total >= MAX_TOTAL:
            break
    return found[:limit]


def _module(path: str) -> str:
    """The last part of the module ``path`` is (its package's for an ``__init__.py``)."""
    name = PurePosixPath(path)
    return name.parent.name if name.stem == "__init__" else name.stem


def linked_packages(repo: GitCheckout, commit: str, diff: Diff) -> list[str]:
    """The changed links that are packages at ``commit``, each as its ``__init__.py`` (the
    module its importers import): links the diff names whose target, read as a path inside
    the tree (never followed), is a folder holding one there. Only the paths the diff names
    are listed, never the whole tree."""
    names = sorted(
        {
            path
            for f in diff.files
            for path in (f.path, f.old_path)
            if path and PurePosixPath(path).name.isidentifier()
        }
    )
    if not names:
        return []
    resolved = repo.resolve(commit)
    links = list(repo.git.link_ids(resolved, names))
    inits = {path: _inside(path, text) for path, text in repo.read_texts(resolved, links).items()}
    found = repo.git.blob_ids(resolved, [i for i in inits.values() if i])
    return [f"{path}/__init__.py" for path, init in inits.items() if init in found]


def _inside(link: str, target: str) -> str:
    """The ``__init__.py`` of the folder ``target`` names from ``link``'s folder, when that
    stays inside the tree ("" when it is absolute or climbs out)."""
    if not target or target.startswith("/") or "\0" in target:
        return ""
    parts: list[str] = []
    for part in [*PurePosixPath(link).parent.parts, *target.split("/")]:
        if part == "..":
            if not parts:
                return ""
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join([*parts, "__init__.py"]) if parts else ""
