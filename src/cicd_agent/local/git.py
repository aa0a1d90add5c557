"""The one place this package starts git: every command line and environment is built here.

Every file of a checkout is the pull request's, and git reads some of them as instructions:
``.gitattributes`` can make every file binary or name a textconv program, so the review's rules see
no added line; ``.mailmap`` rewrites the authors deploy-gate learns from; settings can name hooks,
an fsmonitor, a pager or an external diff. The flags are set here once, so an unhardened git cannot
be written (a project test keeps other modules from starting git).

Every call gets, on the command line: hooks off, no fsmonitor, pager, user attributes file or
mailmap, no signature checks or replace refs, and for diffs
``--no-ext-diff --no-textconv --ignore-submodules=none``; in its environment no transport unless
named, and none of the process's ``GIT_*`` variables. The user's global and system settings still
count (``safe.directory``, CA bundles). Where the seam ends: git does not re-hash an object it
reads, so whoever can write ``objects/`` or the refs decides what a commit holds.

Where a call runs (a :class:`Place`):

- :func:`objects_of` reads the object store alone, in an empty working tree and index and a git
  directory without ``info/``, so no attributes or mailmap exist for it; the base commit's ``-diff``
  and ``linguist-generated`` are applied after. (git 2.40's ``--attr-source`` could do that in one
  step; Debian 12's 2.39 has no such option.)
- :func:`in_checkout` sees the working tree, for the few questions about it, with every filter
  driver turned off for commands that read its files.
- :func:`nowhere` is outside any repository and configuration; :func:`sandboxed` is git's command
  line inside the sandbox."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.local import processes

HARDENING: tuple[str, ...] = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.attributesFile=/dev/null",
    "-c",
    "core.pager=cat",
    "-c",
    "log.mailmap=false",
    "-c",
    "mailmap.file=/dev/null",
    "-c",
    "mailmap.blob=",
    "-c",
    "log.showSignature=false",
    "-c",
    "core.bigFileThreshold=512m",
    "--no-pager",
    "--no-replace-objects",
)
"""Options before the command: each one turns off a way a repository's files or settings make
git run a program or read the pull request's own words as git's."""

_DIFF_FLAGS = ("--no-ext-diff", "--no-textconv", "--ignore-submodules=none")
_COMMAND_FLAGS: dict[str, tuple[str, ...]] = {
    "diff": _DIFF_FLAGS,
    "diff-tree": _DIFF_FLAGS,
    "diff-index": ("--ignore-submodules=none",),
    "log": (*_DIFF_FLAGS, "--no-mailmap"),
    "show": (*_DIFF_FLAGS, "--no-mailmap"),
    "blame": ("--no-textconv",),
    "grep": ("--no-textconv",),
}
"""Options right after the command: an external diff or a textconv program named by a diff
driver would decide what text the rules see, and ``ignore = all`` in the head's
``.gitmodules`` (git reads it from ``HEAD`` when no working tree has one) would hide a
submodule's new commit."""

_FIXED_ENVIRONMENT = {
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "LC_ALL": "C",
    "GIT_ALLOW_PROTOCOL": "none",
    "GIT_NO_REPLACE_OBJECTS": "1",
}
"""``GIT_ALLOW_PROTOCOL``: no transport at all unless a caller names one (a push), so a
partial clone's promisor remote, named in a settings file the pull request's build could
write, is never fetched from (git runs its ``uploadpack`` or ``sshCommand`` to do that)."""
_KEPT_GIT_VARIABLES = frozenset({"GIT_SSL_CAINFO", "GIT_SSL_CAPATH"})
"""The only ``GIT_*`` variables a call takes from the process's own environment: a step before
ours can write any variable (``$GITHUB_ENV``), and ``GIT_CONFIG_COUNT``,
``GIT_CONFIG_PARAMETERS``, ``GIT_GRAFT_FILE``, ``GIT_REPLACE_REF_BASE`` or ``GIT_TRACE`` each
change what git reads, runs or writes. A CA bundle is what GitHub Enterprise Server may need."""
_INHERITED_OUT = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_EXTERNAL_DIFF",
        "GIT_ATTR_SOURCE",
        "GIT_DIFF_OPTS",
        "GIT_PAGER",
        "PAGER",
        "GIT_CEILING_DIRECTORIES",
    }
)
"""Variables of an environment the caller built (``base``) that would point git at another
repository, index or program than the one this call names."""


class GitTimedOut(Exception):
    """git ran longer than the caller's timeout (it has been killed)."""


@dataclass(frozen=True)
class GitResult:
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True)
class Place:
    """Where a git process runs and which parts of a checkout it can see."""

    cwd: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    isolated: bool = False
    """Outside every repository and configuration: nothing of the caller's environment."""
    contents: bool = False
    """The command reads the working tree's files (``diff-index``): every filter driver the
    configuration names is turned off first, since the checkout's attributes pick them."""


_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []
_SHADOWS: dict[tuple[Path, Path], Path] = {}
_SHARED = ("refs", "packed-refs", "reftable", "shallow")
"""What a shadow git directory borrows from the real one (objects come by
``GIT_OBJECT_DIRECTORY``): refs and the shallow list, never ``info/`` and never the settings
(:func:`_settings_of`)."""


def _scratch() -> Path:
    """This process's folder for the empty working tree and the shadow git directories
    (removed when the interpreter exits)."""
    if not _SCRATCH:
        _SCRATCH.append(tempfile.TemporaryDirectory(prefix="cicd-agent-git-"))
    return Path(_SCRATCH[0].name)


def _empty_folder() -> Path:
    """A folder that stays empty for the life of the process: the working tree git sees when it
    should see none."""
    empty = _scratch() / "empty"
    empty.mkdir(exist_ok=True)
    return empty


def _settings_of(common_dir: Path) -> str:
    """The shadow's settings file: the repository's format and hash alone. The real one may be
    the pull request's build's work like ``info/``, and a key the command line does not
    override still steers git: ``core.bigFileThreshold=1`` makes every file binary,
    ``log.showSignature`` with ``gpg.program`` runs a program, ``extensions.partialClone``
    fetches from a remote it names, ``include.path`` brings any of them from elsewhere."""
    found = run(
        nowhere(), ["config", "--file", str(common_dir / "config"), "extensions.objectFormat"]
    )
    hash_name = found.stdout.decode("ascii", "replace").strip()
    if hash_name and found.ok and hash_name.isalnum():
        return (
            f"[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectFormat = {hash_name}\n"
        )
    return "[core]\n\trepositoryformatversion = 0\n"


def _shadow(git_dir: Path, common_dir: Path) -> Path:
    """A git directory that is ``git_dir`` less its ``info/``: ``info/attributes`` is read
    whatever the working tree, and the pull request's build could have written it. Refs and the
    shallow list link to the real ones; ``HEAD`` is a copy (a link would read as a symbolic ref),
    renewed when the real one changes."""
    key = (git_dir, common_dir)
    if key not in _SHADOWS:
        folder = Path(tempfile.mkdtemp(prefix="gitdir-", dir=_scratch()))
        for name in _SHARED:
            if os.path.lexists(common_dir / name):
                os.symlink(common_dir / name, folder / name)
        (folder / "objects").mkdir()  # what git checks a git directory by; unused
        (folder / "config").write_text(_settings_of(common_dir), encoding="ascii")
        _SHADOWS[key] = folder
    folder = _SHADOWS[key]
    head = (git_dir / "HEAD").read_bytes()
    if not (folder / "HEAD").is_file() or (folder / "HEAD").read_bytes() != head:
        fresh = folder / f"HEAD.{os.getpid()}.{threading.get_ident()}"
        fresh.write_bytes(head)
        os.replace(
            fresh, folder / "HEAD"
        )  # atomic: a git reading it meanwhile sees one or the other
    return folder


def objects_of(git_dir: Path, common_dir: Path | None = None) -> Place:
    """The repository whose git directory is ``git_dir`` (``common_dir`` for a linked
    worktree's), without its working tree, index or ``info/``: the checkout's
    ``.gitattributes`` and ``.mailmap`` and the git directory's ``info/attributes`` are not
    there for git to read."""
    common = common_dir or git_dir
    empty = _empty_folder()
    return Place(
        empty,
        {
            "GIT_DIR": str(_shadow(git_dir, common)),
            "GIT_OBJECT_DIRECTORY": str(common / "objects"),
            "GIT_WORK_TREE": str(empty),
            "GIT_INDEX_FILE": str(empty / "index"),
        },
    )


def in_checkout(path: Path, *, ceiling: Path | None = None, contents: bool = False) -> Place:
    """The checkout at ``path`` with its working tree (git finds the repository from there;
    ``ceiling`` stops that search above ``path``). ``contents``: the command reads the working
    tree's files, so no clean, smudge or process filter may run on them."""
    environ = {"GIT_CEILING_DIRECTORIES": str(ceiling)} if ceiling else {}
    return Place(Path(path), environ, contents=contents)


def nowhere() -> Place:
    """Outside any repository, with nobody's configuration (an empty home, no system file)."""
    empty = _empty_folder()
    return Place(
        empty,
        {
            "PATH": os.defpath,
            "HOME": str(empty),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CEILING_DIRECTORIES": str(empty),
        },
        isolated=True,
    )


def installed() -> bool:
    """Whether a git is on ``PATH`` at all (a message can then say so instead of failing)."""
    return processes.find("git", os.environ) is not None


def command(args: Sequence[str], settings: Sequence[str] = ()) -> list[str]:
    """``git`` with the hardening options (and ``settings``, more ``-c`` pairs), then ``args``
    with the command's own ones added."""
    if not args:
        raise ValueError("a git command needs a subcommand")
    name, rest = args[0], list(args[1:])
    return ["git", *HARDENING, *settings, name, *_COMMAND_FLAGS.get(name, ()), *rest]


_GIT_LFS = frozenset(
    {
        "clean=git-lfs clean -- %f",
        "smudge=git-lfs smudge -- %f",
        "smudge=git-lfs smudge --skip -- %f",
        "process=git-lfs filter-process",
        "process=git-lfs filter-process --skip",
        "required=true",
    }
)
"""What ``git lfs install`` writes: the one driver kept, since an LFS checkout's files are not
the committed pointers and only git-lfs tells that they match. Any other value (a settings file
that names another program under the same driver) turns the driver off."""


def _filters_off(place: Place, env: Mapping[str, str], timeout: float | None) -> list[str]:
    """``-c filter.NAME.clean=`` (and smudge, process) for each filter driver the repository's
    configuration defines, but git-lfs's own: an empty command is no filter. No switch turns
    all filters off, and on a working tree (before git 2.40's ``--attr-source``) the checkout's
    ``.gitattributes`` decides which driver runs on which file."""
    listing = command(["config", "-z", "--get-regexp", r"^filter\."])
    try:
        done = processes.run(
            listing,
            capture_output=True,
            cwd=place.cwd,
            env=env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitTimedOut(f"git config took longer than {timeout:g} s") from exc
    settings: dict[str, set[str]] = {}
    for record in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
        key, _, value = record.partition("\n")
        driver, _, part = key.removeprefix("filter.").rpartition(".")
        if key.startswith("filter.") and driver:
            settings.setdefault(driver, set()).add(f"{part}={value}")
    return [
        setting
        for driver, parts in sorted(settings.items())
        if not (driver == "lfs" and parts <= _GIT_LFS)
        for part in ("clean=", "smudge=", "process=", "required=false")
        for setting in ("-c", f"filter.{driver}.{part}")
    ]


def environment(place: Place, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a git process at ``place`` over ``base`` (the process's own by
    default, less its ``GIT_*`` variables), with the variables that would redirect git taken
    out."""
    if place.isolated:
        source: dict[str, str] = {}
    elif base is None:
        source = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("GIT_") or name in _KEPT_GIT_VARIABLES
        }
    else:
        source = dict(base)
    kept = {name: value for name, value in source.items() if name not in _INHERITED_OUT}
    return {**kept, **_FIXED_ENVIRONMENT, **place.environ}


def sandboxed(args: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """argv and the extra environment of a git command run inside the sandbox, where the
    working tree is the copy being patched (no user's configuration there either)."""
    extra = {"GIT_CONFIG_NOSYSTEM": "1", **_FIXED_ENVIRONMENT}
    return command(args), extra


def _hardened(
    place: Place, args: Sequence[str], base: Mapping[str, str] | None, timeout: float | None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of ``git ARGS`` at ``place``, the one place both are
    built for a process this module starts (:func:`run`, :func:`read`): the hardening options,
    the environment over ``base``, and every filter driver off where the command reads the
    working tree's files."""
    env = environment(place, base)
    return command(args, _filters_off(place, env, timeout) if place.contents else ()), env


def run(
    place: Place,
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    timeout: float | None = None,
    base: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> GitResult:
    """Run ``git ARGS`` at ``place``; ``environ`` adds variables (an index file of one's own,
    the bot's identity). Raises OSError when git cannot start, :class:`GitTimedOut` past
    ``timeout``."""
    argv, env = _hardened(place, args, base, timeout)
    try:
        done = processes.run(
            argv,
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            cwd=place.cwd,
            env=env,
            added=environ,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitTimedOut(f"git {args[0]} took longer than {timeout:g} s") from exc
    return GitResult(done.returncode, done.stdout, done.stderr)


def read(place: Place, args: Sequence[str], limit: int) -> GitResult:
    """:func:`run` for a caller that keeps only the first ``limit`` bytes of stdout: git is
    stopped once they are read (a diff of megabytes cut at a bound is not written out whole,
    then dropped), and that cut read is status 0, whatever the stopped process says."""
    argv, env = _hardened(place, args, None, None)
    with tempfile.TemporaryFile() as errors:  # a file: a pipe nobody reads could stall git
        process = processes.start(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=place.cwd,
        )
        with process:
            assert process.stdout is not None
            chunks: list[bytes] = []
            size = 0
            while size < limit and (chunk := process.stdout.read(min(1 << 20, limit - size))):
                chunks.append(chunk)
                size += len(chunk)
            out = b"".join(chunks)
            if size == limit and process.stdout.read(1):
                process.kill()
                return GitResult(0, out, b"")
        errors.seek(0)
        return GitResult(process.returncode, out, errors.read())
