"""The test runner's settings behind a symbolic link: judged by the link's name, not by where
it points.

The policy refuses a patch to ``conftest.py``, ``pytest.ini`` and the like by their names. A
pull request can commit ``pytest.ini -> ci/settings.txt`` (or ``conftest.py -> qa/hooks.py``):
pytest reads the target through the link, so a patch to ``ci/settings.txt`` changes the
runner's settings as surely as a patch to ``pytest.ini``, under a name no rule knows. Every
link in the checkout with such a name pins its target: a patch to the target is refused too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from cicd_agent.local import git, git_ops

_SYMLINK_MODE = "120000"


def linked_targets(checkout: Path, guarded: Callable[[str], bool]) -> dict[str, str]:
    """The files of ``checkout`` that a symbolic link whose name ``guarded`` accepts points
    to (path relative to the checkout -> the link's path). Targets outside the checkout are
    left out: no patch can write there."""
    root = Path(os.path.realpath(checkout))
    targets: dict[str, str] = {}
    for link in _links(checkout):
        if not guarded(link):
            continue
        resolved = Path(os.path.realpath(checkout / link))
        if resolved.is_relative_to(root) and resolved != root:
            targets[resolved.relative_to(root).as_posix()] = link
    return targets


def _links(checkout: Path) -> Iterator[str]:
    """The symbolic links git tracks in ``checkout`` (its index: no hooks, no filters run),
    else those a walk of the folder finds (the pull request chooses how deep it goes)."""
    try:
        done = git_ops.index_entries(git.in_checkout(checkout), stages=True, timeout=60)
    except (OSError, git.GitTimedOut):
        done = None
    if done is not None and done.ok:
        for record in done.stdout.split(b"\0"):
            head, _, tracked = record.partition(b"\t")
            if head.startswith(_SYMLINK_MODE.encode()):
                yield os.fsdecode(tracked)
        return
    folders = [str(checkout)]  # no recursion: os.walk recurses once a level before 3.12
    while folders:
        try:
            entries = list(os.scandir(folders.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                yield Path(os.path.relpath(entry.path, checkout)).as_posix()
            elif entry.is_dir(follow_symlinks=False) and entry.name != ".git":
                folders.append(entry.path)
