"""What a fix may never touch: checked on the patch text before anything applies it.

Every patch is attacker-influenced (a model read the pull request; a fixer ran the pull
request's own configuration), so the rules are refusals, not warnings: a patch that breaks one
is never offered, and the summary says which rule it broke. Warnings were considered and
rejected for each:

- a path outside the checkout (absolute, ``..``, or through a symbolic link in the checkout),
  into ``.git``, a symlink the patch creates, a mode change or a binary patch: the patch could
  write where no reviewer looks;
- a workflow file (``.github/workflows/``) or an action definition (``action.yml``): it would
  change what CI runs with the repository's secrets, and verifying it proves nothing;
- a lock file, every one that review knows (:func:`~cicd_agent.analysis.diff.is_lockfile`): it
  swaps dependencies no test in the sandbox can vouch for (no network);
- the failing test itself: a patch that edits the test it is judged by proves nothing;
- more than :data:`MAX_CHANGED_LINES` changed lines or :data:`MAX_FILES` files: too much to
  review as a suggestion.

``git apply`` in the sandbox refuses paths beyond symbolic links and outside its folder too;
this check comes first so the reason can be told, and so nothing unreviewable runs at all.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from cicd_agent.analysis.diff import is_lockfile

MAX_CHANGED_LINES = 200
MAX_FILES = 10
MAX_PATCH_BYTES = 256 * 1024

ACTION_FILES = frozenset({"action.yml", "action.yaml"})
_MODE_HEADER = re.compile(r"^(new file mode|new mode|old mode|deleted file mode) (\d+)$")
_PATH_HEADER = re.compile(r"^(rename|copy) (from|to) (.+)$")
_REGULAR_MODES = frozenset({"100644"})


@dataclass(frozen=True)
class PolicyVerdict:
    """Whether a patch may go on to verification; ``reason`` says why not (one line)."""

    allowed: bool
    reason: str = ""
    paths: tuple[str, ...] = ()


def check_patch(diff: str, checkout: Path, *, failing_tests: Collection[str] = ()) -> PolicyVerdict:
    """Refuse ``diff`` if it touches anything in the module doc; list the paths it changes.

    ``failing_tests`` are the files of the tests that failed (``tests/test_x.py``), relative to
    the checkout root.
    """
    if len(diff.encode("utf-8", "surrogateescape")) > MAX_PATCH_BYTES:
        return _no(f"the patch is larger than {MAX_PATCH_BYTES >> 10} KiB")
    header_problem = _header_problem(diff)
    if header_problem:
        return _no(header_problem)
    try:
        files = PatchSet(diff)
    except UnidiffParseError as exc:
        return _no(f"the patch is not a unified diff ({str(exc)[:120]})")
    if not files:
        return _no("the patch changes nothing")
    if len(files) > MAX_FILES:
        return _no(f"the patch changes {len(files)} files (at most {MAX_FILES} are offered)")
    changed = sum(patched.added + patched.removed for patched in files)
    if changed > MAX_CHANGED_LINES:
        return _no(f"the patch changes {changed} lines (at most {MAX_CHANGED_LINES} are offered)")
    paths: list[str] = []
    for patched in files:
        if patched.is_binary_file:
            return _no(f"the patch holds a binary change ({patched.path})")
        for raw in (patched.source_file, patched.target_file):
            if raw == "/dev/null":
                continue
            problem, path = _path_problem(raw, checkout, failing_tests)
            if problem:
                return _no(problem)
            if path not in paths:
                paths.append(path)
    return PolicyVerdict(True, paths=tuple(paths))


def _no(reason: str) -> PolicyVerdict:
    return PolicyVerdict(False, reason)


def _header_problem(diff: str) -> str:
    """A git header no offered patch carries: binary data, a symlink, a mode change."""
    for line in diff.splitlines():
        if line.startswith(("GIT binary patch", "Binary files ")):
            return "the patch holds a binary change"
        mode = _MODE_HEADER.match(line)
        if mode and (mode.group(1) in ("new mode", "old mode") or mode.group(2) == "120000"):
            return "the patch changes a file's mode or creates a symbolic link"
        if mode and mode.group(2) not in _REGULAR_MODES:
            return f"the patch creates or deletes a file with mode {mode.group(2)}"
        renamed = _PATH_HEADER.match(line)
        if renamed and (_unsafe_text(renamed.group(3)) or _in_git(renamed.group(3))):
            return f"the patch renames or copies outside the checkout ({renamed.group(3)[:80]})"
        if line.startswith("diff --git "):
            named = line.removeprefix("diff --git ").replace(" b/", "\0", 1).split("\0")
            for name in (name.removeprefix("a/") for name in named):
                if _unsafe_text(name):
                    return f"the patch writes outside the checkout ({name[:80]})"
                if _in_git(name):
                    return f"the patch edits git metadata ({name[:80]})"
    return ""


def _unsafe_text(path: str) -> bool:
    """An absolute path or one climbing out with ``..`` (as git's extended headers name it)."""
    parts = PurePosixPath(path.strip('"')).parts
    return path.startswith(("/", '"/')) or ".." in parts


def _in_git(path: str) -> bool:
    return any(_is_git(part) for part in PurePosixPath(path.strip('"')).parts)


def _is_git(part: str) -> bool:
    return part.lower().rstrip(". ") == ".git"


def _path_problem(raw: str, checkout: Path, failing_tests: Collection[str]) -> tuple[str, str]:
    """Why one path of the patch is refused ("" when it is not), and the path itself."""
    text = raw
    if text.startswith('"'):
        return f"the patch names a quoted path ({text[:80]})", text
    for prefix in ("a/", "b/"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    else:
        return f"the patch names a path without a/ or b/ ({text[:80]})", text
    pure = PurePosixPath(text)
    if text.startswith("/") or pure.is_absolute():
        return f"the patch writes outside the checkout ({text[:80]})", text
    parts = pure.parts
    if not parts or ".." in parts or "\\" in text or "\0" in text:
        return f"the patch writes outside the checkout ({text[:80]})", text
    if any(_is_git(part) for part in parts):
        return f"the patch edits git metadata ({text[:80]})", text
    lowered = [part.lower() for part in parts]
    if lowered[:2] == [".github", "workflows"]:
        return f"the patch edits a workflow file ({text})", text
    if lowered[-1] in ACTION_FILES:
        return f"the patch edits an action definition ({text})", text
    if is_lockfile(text):
        return f"the patch edits a lock file ({text})", text
    if text in set(failing_tests):
        return f"the patch edits the failing test itself ({text})", text
    link = _through_link(checkout, parts)
    if link:
        return f"the patch writes through a symbolic link ({link})", text
    return "", text


def _through_link(checkout: Path, parts: tuple[str, ...]) -> str:
    """The first symbolic link on the way to the path inside the checkout ("" when none)."""
    here = checkout
    for index, part in enumerate(parts):
        here = here / part
        if here.is_symlink():
            return "/".join(parts[: index + 1])
        if not here.exists():
            return ""
    return ""
