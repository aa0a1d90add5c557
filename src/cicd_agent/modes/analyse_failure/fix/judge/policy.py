"""What a fix may never touch: judged on what ``git apply`` would write, before anything applies it.

Every patch is attacker-influenced (a model read the pull request; a fixer ran the pull
request's own configuration), so the rules are refusals, not warnings: a patch that breaks one
is never offered, and the summary says which rule it broke. Warnings were considered and
rejected for each:

- a path outside the checkout (absolute, ``..``, or through a symbolic link in the checkout),
  into ``.git``, a symlink the patch creates, a mode change, a rename, a copy or a binary
  patch: the patch could write where no reviewer looks (a fix never needs one);
- a workflow file (``.github/workflows/``) or an action definition (``action.yml``): it would
  change what CI runs with the repository's secrets, and verifying it proves nothing;
- a lock file, every one that review knows (:func:`~cicd_agent.analysis.diff.is_lockfile`): it
  swaps dependencies no test in the sandbox can vouch for (no network);
- what governs review (:func:`~cicd_agent.analysis.governing.governs_review`: the agent's settings,
  the guidance files the review shows the model, ``CODEOWNERS``, any ``.gitattributes``, whose
  ``linguist-generated`` keeps files from the model): a verified fix proves the
  failing command passes, nothing about a loosened review, and it would loosen every later one;
- a ``conftest.py``, anywhere: its hooks decide how the tests below it run and are reported (one
  can turn every failure into a pass), so a patch to it changes the judge, not the code;
- a package's metadata (a ``*.dist-info`` or ``*.egg-info`` folder or file) or a ``.pth``
  file: ``python -m pytest`` puts the checkout on ``sys.path``, and pytest loads every
  ``pytest11`` entry point of every distribution found there, a plugin as strong as a
  ``conftest.py`` (a fix never needs one);
- a module named like the test runner (a ``pytest``, ``_pytest`` or ``pluggy`` folder, a
  ``pytest.py``, ``py.py``) or one Python imports at start (``sitecustomize.py``,
  ``usercustomize.py``), in any folder: ``python -m pytest`` puts the working folder first on
  ``sys.path`` and a step's ``PYTHONPATH`` adds others, so the patch's module would run in
  pytest's place and report what it likes (the verifier's in-run check checks where pytest came
  from too: :mod:`cicd_agent.runners.pytest.in_run_records`); so is a module named like one of
  Python's own or of pytest's dependencies (``shlex.py``, ``iniconfig.py``) in a folder that is
  no package: pytest imports them before its ``-p`` plugins, so such a file runs before the
  in-run check loads;
- the test runner's settings: ``pytest.toml``, ``pytest.ini``, ``tox.ini`` and their dotted
  names here; the runner's part of ``pyproject.toml`` and ``setup.cfg`` after the patch
  applies, in the verifier (:mod:`.runner_settings` says why each): a patch to them changes
  the judge, not the code;
  so does a patch to the target of a committed link with one of these names, or
  ``conftest.py`` (:func:`linked_targets`: pytest reads the target through the link, so
  ``pytest.ini -> ci/settings.txt`` makes ``ci/settings.txt`` the runner's settings under a name
  no rule knows);
- when the failed step runs a linter or formatter, its settings (``ruff.toml``, ``.flake8``,
  ``mypy.ini``, ``.isort.cfg``, ``eslint.config.*``, ``.eslintrc*``, ``.prettierrc*``,
  ``.golangci.*``, their ignore files; the ``[tool.ruff]``, ``[tool.black]``, ``[tool.isort]``,
  ``[tool.mypy]`` parts of ``pyproject.toml`` and the ``mypy``, ``isort``, ``flake8`` sections
  of ``setup.cfg`` in the verifier): ``ignore = ["F401"]`` passes a lint step with the code
  unchanged;
- a build runner's file that defines commands (``Makefile``, ``*.mk``, ``justfile``,
  ``noxfile.py``, ``Taskfile.yml``; a ``package.json``'s ``scripts`` in the verifier): ``make
  test`` runs what it says, so a patch to it can add ``-p plugin`` (:mod:`.runner_settings`);
- what the failed step names as part of its judge (:mod:`.step_files`): a module it loads as
  a pytest plugin by name (``PYTEST_PLUGINS`` in its ``env:``, ``-p NAME``), the script it runs
  and a settings file it names (``pytest -c pytest-ci.ini``);
- the failing test itself, and every other test file
  (:func:`~cicd_agent.analysis.diff.is_test_path`: ``test_*.py``, ``*_test.py``, anything under
  a ``tests``, ``test`` or ``testing`` folder, a test package's ``__init__.py``): a patch that
  edits the test it is judged by proves nothing, and pytest imports every test module (and
  its package's ``__init__.py``) before the failing test runs, so any of them can replace the
  code under test (``calc.ops.add = ...``) and the test passes with the bug left in. A fix
  changes code, not what judges it;
- more than :data:`MAX_CHANGED_LINES` changed lines or :data:`MAX_FILES` files: too much to
  review as a suggestion.

Two parsers read the patch: unidiff (hunks, line counts, the ``---``/``+++`` names) and git's
own (``git apply --numstat --summary``, which reads ``rename``/``copy`` lines, modes and the
``diff --git`` line exactly as ``git apply`` will). Every name either of them finds passes the
same rules; a patch on which they disagree (a ``diff --git`` line naming one file and ``rename
from`` another) is refused, and the paths offered are the files git would write.
``git apply`` in the sandbox refuses paths beyond symbolic links and outside its folder too;
this check comes first so the reason can be told, and so nothing unreviewable runs at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from cicd_agent.analysis.diff import is_lockfile, is_test_path
from cicd_agent.analysis.governing import governs_review
from cicd_agent.local import git, git_ops
from cicd_agent.modes.analyse_failure.fix.judge.runner_settings import (
    SHARED_FILES,
    is_command_file,
    is_linter_file,
    is_runner_file,
)
from cicd_agent.modes.analyse_failure.fix.judge.step_files import named_problem
from cicd_agent.runners.judge_files import NamedFile
from cicd_agent.runners.table import PYTEST

MAX_CHANGED_LINES = 200
MAX_FILES = 10
MAX_PATCH_BYTES = 256 * 1024
GIT_TIMEOUT = 30.0

ACTION_FILES = frozenset({"action.yml", "action.yaml"})
_PLAIN_SUMMARY = (" create mode 100644 ", " delete mode 100644 ")
_DEV_NULL = "/dev/null"
_METADATA = (".dist-info", ".egg-info")
"""Where ``importlib.metadata`` finds distributions, and pytest its ``pytest11`` plugins."""


@dataclass(frozen=True)
class PolicyVerdict:
    """Whether a patch may go on to verification; ``reason`` says why not (one line)."""

    allowed: bool
    reason: str = ""
    paths: tuple[str, ...] = ()


def policy_verdict(
    diff: str,
    checkout: Path,
    *,
    failing_test_files: Collection[str] = (),
    named: Collection[NamedFile] = (),
    linted: bool = True,
) -> PolicyVerdict:
    """Refuse ``diff`` if it touches anything in the module doc; list the paths git would write.

    ``failing_test_files`` are the files of the tests that failed (``tests/test_x.py``), relative to
    the checkout root or to where the runner ran (refused with their own reason; every test
    file is refused). ``named``: what the failed step names as its judge (:mod:`.step_files`);
    ``linted``: whether the step runs a linter or formatter, whose settings then judge too.
    """
    if len(diff.encode("utf-8", "surrogateescape")) > MAX_PATCH_BYTES:
        return _no(f"the patch is larger than {MAX_PATCH_BYTES >> 10} KiB")
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
    pairs: list[list[str]] = []
    for patched in files:
        if patched.is_binary_file:
            return _no(f"the patch holds a binary change ({patched.path})")
        pairs.append([])
        for raw in (patched.source_file, patched.target_file):
            if raw == _DEV_NULL:
                continue
            problem, path = _path_problem(raw, checkout, failing_test_files, named)
            if problem:
                return _no(problem)
            pairs[-1].append(path)
    git = _git_view(diff)
    if isinstance(git, str):
        return _no(git)
    written, summary = git
    for path in written:
        problem, _ = _path_problem(f"b/{path}", checkout, failing_test_files, named)
        if problem:
            return _no(problem)
        if linted and is_linter_file(path):  # ignore = ["F401"] passes the lint step
            return _no(
                f"the patch edits a linter's settings ({path}), and the step's linter "
                "judges the fix: a fix changes the code, not the rules that judge it"
            )
    linked = linked_targets(checkout, _judges)
    for path in written:
        if path in linked:
            return _no(
                f"the patch edits the test runner's settings through a link ({linked[path]})"
            )
    for pair in pairs:
        if len(set(pair)) > 1:
            return _no(f"the patch writes one file from another ({pair[0]}, {pair[1]})")
    headers = [path for pair in pairs for path in pair]
    for line in summary:
        problem = _summary_problem(line)
        if problem:
            return _no(problem)
    if set(written) != set(headers):
        return _no("git would write other files than the patch's headers name")
    return PolicyVerdict(True, paths=tuple(dict.fromkeys(written)))


def _no(reason: str) -> PolicyVerdict:
    return PolicyVerdict(False, reason)


def written_files(diff: str) -> list[str] | str:
    """The files ``diff`` writes, named as ``git apply`` reads them (a quoted name, a space,
    any byte: git's own parse, never a header pattern); or why git cannot read it."""
    view = _git_view(diff)
    return view if isinstance(view, str) else view[0]


def _git_view(diff: str) -> tuple[list[str], list[str]] | str:
    """What ``git apply`` reads in ``diff``: the files it would write (``--numstat -z``) and
    its summary of creations, deletions, renames, copies and mode changes; or why it cannot
    read the patch. Run outside any repository, with no configuration of anyone's."""
    if not git.installed():
        return "git is not installed, so the patch cannot be read as git would apply it"
    data = diff.encode("utf-8", "surrogateescape")
    views: list[bytes] = []
    for flags in (["--numstat", "-z"], ["--summary"]):
        try:
            done = git_ops.read_patch(data, flags, timeout=GIT_TIMEOUT)
        except (OSError, git.GitTimedOut) as exc:
            return f"git could not read the patch ({exc})"
        if done.returncode != 0:
            why = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"]
            return f"git cannot read the patch ({why[0][:120]})"
        views.append(done.stdout)
    written: list[str] = []
    for record in views[0].split(b"\0"):
        if not record:
            continue
        added, _, rest = record.partition(b"\t")
        path = rest.partition(b"\t")[2].decode("utf-8", "surrogateescape")
        if added == b"-":
            return f"the patch holds a binary change ({path[:80]})"
        written.append(path)
    summary = views[1].decode("utf-8", "replace").splitlines()
    return written, summary


def _summary_problem(line: str) -> str:
    """Why a line of git's ``--summary`` is refused ("" for a plain file created or deleted)."""
    if not line.strip() or line.startswith(_PLAIN_SUMMARY):
        return ""
    words = line.split()
    if words[0] in ("rename", "copy"):
        return f"the patch renames or copies a file ({line.strip()[:120]})"
    if words[:2] == ["mode", "change"] or (len(words) > 2 and words[2] == "120000"):
        return "the patch changes a file's mode or creates a symbolic link"
    if words[0] in ("create", "delete") and len(words) > 2:
        return f"the patch creates or deletes a file with mode {words[2][:12]}"
    return f"the patch does more than change files' text ({line.strip()[:120]})"


def _judges(path: str) -> bool:
    """Whether ``path`` names a file that decides how the tests run: a link with such a name
    pins its target (:func:`linked_targets`)."""
    name = PurePosixPath(path).name.lower()
    return (
        name in PYTEST.runner.settings
        or is_command_file(path)
        or is_linter_file(path)
        or name in SHARED_FILES
    )


_RUNNER_PACKAGES = frozenset({"pytest", "_pytest", "pluggy"})
_RUNNER_MODULES = _RUNNER_PACKAGES | {"py", "sitecustomize", "usercustomize"}
_IMPORTABLE = (".py", ".pyc", ".pyw", ".so", ".pyd")


def _shadows_the_runner(lowered: list[str]) -> bool:
    """Whether a file at ``lowered`` could be imported as pytest, pluggy, ``py`` or a module
    Python imports at start: ``python -m pytest`` puts the working folder first on
    ``sys.path``, a step's ``PYTHONPATH`` puts others, and a ``_pytest/`` there is pytest."""
    if not lowered[-1].endswith(_IMPORTABLE):
        return False
    return (
        any(part in _RUNNER_PACKAGES for part in lowered[:-1])
        or lowered[-1].split(".")[0] in _RUNNER_MODULES
    )


_LIBRARIES = frozenset(sys.stdlib_module_names) | {
    "iniconfig",
    "packaging",
    "exceptiongroup",
    "tomli",
    "colorama",
    "pygments",
}
"""What ``python -m pytest`` imports before its ``-p`` plugins load (Python's own modules and
pytest's dependencies), resolved through ``sys.path``, whose first entry is the working folder."""


def _shadows_a_library(checkout: Path, parts: tuple[str, ...]) -> str:
    """The library module a file at ``parts`` would stand in for, on ``sys.path`` as a
    top-level name ("" for none): a part named like one, in a folder that is no package
    (``shlex.py`` at the root, ``src/json/``). ``python -m pytest`` puts the working folder
    first on ``sys.path`` and a step's ``PYTHONPATH`` others, so such a file runs before the
    in-run check, free to take its place; a module inside a package (``calc/json.py``) does not."""
    if not parts[-1].lower().endswith(_IMPORTABLE):
        return ""
    for index, part in enumerate(parts):
        name = part.split(".")[0] if index == len(parts) - 1 else part
        if name in _LIBRARIES and not checkout.joinpath(*parts[:index], "__init__.py").is_file():
            return name
    return ""


def _path_problem(
    raw: str, checkout: Path, failing_test_files: Collection[str], named: Collection[NamedFile]
) -> tuple[str, str]:
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
    if any(part.lower().rstrip(". ") == ".git" for part in parts):
        return f"the patch edits git metadata ({text[:80]})", text
    lowered = [part.lower() for part in parts]
    if lowered[:2] == [".github", "workflows"]:
        return f"the patch edits a workflow file ({text})", text
    if lowered[-1] in ACTION_FILES:
        return f"the patch edits an action definition ({text})", text
    if is_lockfile(text):
        return f"the patch edits a lock file ({text})", text
    if governs_review(text) or lowered[-1] == ".gitattributes":  # linguist-generated hides code
        return f"the patch edits a file that governs review ({text})", text
    if lowered[-1] == "conftest.py":  # a hook there can report any failure as a pass
        return f"the patch edits a test runner's conftest.py ({text})", text
    if any(part.endswith(_METADATA) for part in lowered) or lowered[-1].endswith(".pth"):
        return f"the patch edits a package's metadata, where pytest finds plugins ({text})", text
    if _shadows_the_runner(lowered):
        return (
            f"the patch adds or edits a module named like the test runner or one Python "
            f"imports at start ({text}): it would run in pytest's place"
        ), text
    shadowed = _shadows_a_library(checkout, parts)
    if shadowed:
        return (
            f"the patch adds or edits {text}, which can be imported as {shadowed} (a module of "
            "Python's own or of pytest's) before the fix step's in-run check loads: it would run "
            "before anything watches"
        ), text
    if is_runner_file(text):  # addopts = --collect-only passes every test
        return f"the patch edits the test runner's settings ({text})", text
    if is_command_file(text):  # ``make test`` runs what the Makefile says
        return f"the patch edits a build runner's file, which defines what CI runs ({text})", text
    named_by_step = named_problem(text, named)
    if named_by_step:
        return named_by_step, text
    if any(text == test or text.endswith(f"/{test}") for test in failing_test_files):
        # a runner names the test from where it ran (``cd backend && pytest``): any file of
        # that name below a folder of the checkout may be it
        return f"the patch edits the failing test itself ({text})", text
    if is_test_path(text) or is_test_path(text.lower()):
        return (
            f"the patch edits a test file ({text}): tests judge the fix, and any test module "
            "pytest imports can replace the code under test"
        ), text
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
