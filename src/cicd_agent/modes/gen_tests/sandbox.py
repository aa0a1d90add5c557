"""Where generated code runs: a temporary copy of the repository, no secrets, a clock, no network.

Generated tests are attacker-influenced code (the model read the pull request), so every run
of the user's test command or of a candidate goes through :meth:`Sandbox.run`:

- the working folder is a copy of the checkout made for that candidate alone; the user's
  checkout is never written (byte code goes nowhere: ``PYTHONDONTWRITEBYTECODE``);
- the environment is scrubbed: the GitHub token, the model key, ``ACTIONS_*`` runtime tokens,
  the runner's file-command paths, every action input, every secret-named variable, every
  value holding a known secret or a credential's shape, and the names the user lists;
  ``HOME`` and ``TMPDIR`` point into the candidate's own folder;
- every run has a timeout, after which its whole process group is killed;
- where the kernel allows unprivileged user namespaces (``unshare``), the run also gets no
  network (a private loopback only), a read-only filesystem except its own folder, its own
  ``/proc`` (no other process's environment to read), credential files and the checkout's
  ``.git`` hidden, and a PID namespace the kernel kills as a whole — so even a daemon a test
  starts dies with the run. Where it does not, :class:`Isolation` says so and the report shows it.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from cicd_agent.analysis.redact import find_secrets, is_secret_name

_CONFINE = Path(__file__).with_name("confine.py")
_BOOT_FILES = ("sitecustomize.py", "cicd_gentests_plugin.py")
_UNSHARE_FLAGS = (
    "--user",
    "--map-root-user",
    "--net",
    "--mount",
    "--pid",
    "--fork",
    "--mount-proc",
    "--kill-child",
)
_PROBE_TIMEOUT = 20.0
MAX_OUTPUT_CHARS = 64_000
MAX_FILE_BYTES = 1 << 30
"""Largest file a run may write (a runaway test must not fill the runner's disk)."""

# Never copied into a sandbox: git metadata (it may hold credentials) and caches.
_SKIPPED_NAMES = frozenset(
    {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox"}
)
# Variables a generated test never sees. Prefixes cover the runner's tokens and file-command
# paths (GITHUB_ENV/GITHUB_OUTPUT would let a test steer later steps), action inputs, model
# and cloud credentials, git's credential helpers, and our own coverage switch.
_DROPPED_PREFIXES = (
    "GITHUB_",
    "RUNNER_",
    "ACTIONS_",
    "INPUT_",
    "CICD_AGENT_",
    "OPENAI_",
    "AZURE_",
    "AWS_",
    "GOOGLE_",
    "GH_",
    "GIT_",
    "SSH_",
    "GPG_",
    "COVERAGE_",
)
_DROPPED_NAMES = frozenset({"DBUS_SESSION_BUS_ADDRESS", "KUBECONFIG", "NETRC", "DOCKER_CONFIG"})
_KEPT_NAMES = frozenset({"GITHUB_ACTIONS"})
# Credential files and folders under the real home, hidden inside the namespaces.
_CREDENTIAL_PATHS = (
    ".ssh",
    ".gnupg",
    ".git-credentials",
    ".gitconfig",
    ".config/git",
    ".config/gh",
    ".config/gcloud",
    ".netrc",
    ".pypirc",
    ".npmrc",
    ".yarnrc",
    ".docker",
    ".aws",
    ".azure",
    ".kube",
    ".cargo/credentials",
    ".cargo/credentials.toml",
)


@dataclass(frozen=True)
class Isolation:
    """What confinement this machine allows, found by trying it once."""

    namespaces: bool
    network_blocked: bool = False
    filesystem_readonly: bool = False
    private_proc: bool = False
    detail: str = ""

    def describe(self) -> str:
        """One sentence for the job summary."""
        if not self.namespaces:
            return (
                "Sandbox: temporary copy, scrubbed environment, temporary HOME and TMPDIR, "
                f"timeouts; no namespaces ({self.detail}), so the network was not blocked and "
                "the filesystem was not made read-only."
            )
        parts = [
            "network blocked" if self.network_blocked else "network NOT blocked",
            "filesystem read-only except the candidate's copy"
            if self.filesystem_readonly
            else "filesystem NOT read-only",
            "private /proc" if self.private_proc else "shared /proc",
        ]
        extra = f" ({self.detail})" if self.detail else ""
        return (
            "Sandbox: temporary copy, scrubbed environment, temporary HOME and TMPDIR, "
            f"timeouts, user namespaces: {', '.join(parts)}{extra}."
        )


@cache
def probe_isolation() -> Isolation:
    """Try the namespace confinement once; fall back (and say why) when the kernel refuses it."""
    unshare = shutil.which("unshare")
    if unshare is None or not sys.platform.startswith("linux"):
        return Isolation(False, detail="unshare is not available")
    with tempfile.TemporaryDirectory(prefix="cicd-agent-probe-") as folder:
        argv = [unshare, *_UNSHARE_FLAGS, sys.executable, "-I", "-S", str(_CONFINE)]
        argv += ["--probe", "--writable", folder]
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Isolation(False, detail=f"unshare failed: {exc}")
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return Isolation(False, detail=reason[:200])
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return Isolation(False, detail="the confinement probe printed no report")
    failures = [str(item) for item in found.get("failures", [])]
    return Isolation(
        True,
        network_blocked=bool(found.get("network_blocked")),
        filesystem_readonly=bool(found.get("readonly")) and bool(found.get("writable")),
        private_proc=bool(found.get("private_proc")),
        detail=f"could not confine: {'; '.join(failures)[:300]}" if failures else "",
    )


def scrub_environment(
    environ: Mapping[str, str],
    *,
    known_secrets: Iterable[str] = (),
    secret_names: Iterable[str] = (),
) -> dict[str, str]:
    """``environ`` without anything a generated test must not see (see the module doc)."""
    extra = {name.strip().upper() for name in secret_names if name.strip()}
    known = [value for value in known_secrets if value]
    kept: dict[str, str] = {}
    for name, value in environ.items():
        upper = name.upper()
        if upper not in _KEPT_NAMES and (
            upper.startswith(_DROPPED_PREFIXES)
            or upper in _DROPPED_NAMES
            or upper in extra
            or is_secret_name(name)
            or any(secret in value for secret in known)
            or find_secrets(f"{name}={value}")
        ):
            continue
        kept[name] = value
    return kept


@dataclass(frozen=True)
class RunResult:
    """One finished (or killed) run. ``output`` is the tail of stdout and stderr together."""

    command: tuple[str, ...]
    returncode: int
    timed_out: bool
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def describe(self) -> str:
        """How the run ended, in words (for feedback and reports)."""
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s and was killed"
        return f"exited with status {self.returncode}"


@dataclass
class Workspace:
    """One candidate's own folder: its copy of the repository, home, temp and data files."""

    root: Path
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def scratch(self, stem: str, suffix: str) -> Path:
        """A new file name in the workspace (outside the repository copy)."""
        return self.root / f"{stem}-{next(self._numbers)}{suffix}"


def copy_repository(source: Path, target: Path) -> None:
    """Copy a checkout without git metadata or caches; virtual environments are linked, not copied.

    A project's ``.venv`` (or any top-level folder holding ``pyvenv.cfg``) and ``node_modules``
    are symlinked: they are large, used read-only, and inside the namespaces they are read-only.
    """
    linked = {
        entry.name
        for entry in source.iterdir()
        if entry.is_dir()
        and not entry.is_symlink()
        and (entry.name == "node_modules" or (entry.joinpath("pyvenv.cfg")).is_file())
    }

    def skipped(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == source
        return {
            name
            for name in names
            if name in _SKIPPED_NAMES or name.startswith(".coverage") or (top and name in linked)
        }

    shutil.copytree(source, target, symlinks=True, ignore=skipped)
    for name in linked:
        (target / name).symlink_to(source / name, target_is_directory=True)


def _protect_own_environment() -> None:
    """Without a PID namespace, stop same-user processes reading our environment in /proc."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_dumpable = 4
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_dumpable, 0, 0, 0, 0)


class Sandbox:
    """Temporary copies of one checkout and the means to run commands in them safely."""

    def __init__(
        self,
        checkout: Path,
        environ: Mapping[str, str],
        *,
        known_secrets: Iterable[str] = (),
        secret_names: Iterable[str] = (),
        isolation: Isolation | None = None,
    ) -> None:
        self.checkout = checkout.resolve()
        self.isolation = isolation if isolation is not None else probe_isolation()
        self._tempdir = tempfile.TemporaryDirectory(
            prefix="cicd-agent-gentests-", ignore_cleanup_errors=True
        )
        self.root = Path(self._tempdir.name).resolve()
        self.boot = self.root / "boot"
        self.pristine = self.root / "pristine"
        self._environment = scrub_environment(
            environ, known_secrets=known_secrets, secret_names=secret_names
        )
        self._hidden = self._hidden_paths(environ)
        self._names = 0
        self._write_boot()
        copy_repository(self.checkout, self.pristine)
        if not self.isolation.namespaces:
            _protect_own_environment()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete every copy; runs are over (their process groups were killed or ended)."""
        self._tempdir.cleanup()

    def _write_boot(self) -> None:
        self.boot.mkdir()
        package = resources.files("cicd_agent.modes.gen_tests.boot")
        for name in _BOOT_FILES:
            (self.boot / name).write_text(package.joinpath(name).read_text("utf-8"), "utf-8")
        import coverage

        covlib = self.boot / "covlib"
        covlib.mkdir()
        (covlib / "coverage").symlink_to(Path(coverage.__file__).parent, target_is_directory=True)

    def _hidden_paths(self, environ: Mapping[str, str]) -> list[str]:
        home = Path(environ.get("HOME") or Path.home())
        hidden = [home / name for name in _CREDENTIAL_PATHS]
        hidden += [self.checkout / ".git", Path("/run/secrets")]
        runner_temp = environ.get("RUNNER_TEMP")
        if runner_temp and not self.root.is_relative_to(Path(runner_temp).resolve()):
            hidden.append(Path(runner_temp))
        return [str(path) for path in hidden if path.exists()]

    def add_file(self, relative: str, text: str) -> None:
        """Add an accepted test to the pristine copy, so later candidates run beside it."""
        target = self.pristine / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def workspace(self, label: str) -> Workspace:
        """A fresh folder with its own copy of the repository (and accepted tests so far)."""
        self._names += 1
        safe = "".join(ch if ch.isalnum() else "-" for ch in label)[:40]
        space = Workspace(self.root / "work" / f"{self._names:03d}-{safe}")
        space.root.mkdir(parents=True)
        copy_repository(self.pristine, space.repo)
        space.home.mkdir()
        space.tmp.mkdir()
        return space

    def environment(
        self, space: Workspace, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The scrubbed environment of one run in ``space``."""
        env = dict(self._environment)
        user_path = env.get("PYTHONPATH")
        env.update(
            {
                "HOME": str(space.home),
                "TMPDIR": str(space.tmp),
                "TMP": str(space.tmp),
                "TEMP": str(space.tmp),
                "XDG_CACHE_HOME": str(space.home / ".cache"),
                "XDG_CONFIG_HOME": str(space.home / ".config"),
                "XDG_DATA_HOME": str(space.home / ".local" / "share"),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(self.boot), user_path])),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONNOUSERSITE": "1",
            }
        )
        env.update(extra or {})
        return env

    def run(
        self,
        command: Sequence[str],
        space: Workspace,
        *,
        timeout: float,
        extra_env: Mapping[str, str] | None = None,
    ) -> RunResult:
        """Run ``command`` in ``space``'s repository copy; killed with its group at ``timeout``."""
        argv = list(command)
        if self.isolation.namespaces:
            confine = [sys.executable, "-I", "-S", str(_CONFINE), "--writable", str(space.root)]
            for path in self._hidden:
                confine += ["--hide", path]
            confine += ["--max-file-bytes", str(MAX_FILE_BYTES), "--"]
            argv = ["unshare", *_UNSHARE_FLAGS, *confine, *argv]
        log = space.scratch("run", ".log")
        started = time.monotonic()
        with log.open("wb") as sink:
            try:
                process = subprocess.Popen(
                    argv,
                    cwd=space.repo,
                    env=self.environment(space, extra_env),
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                return RunResult(tuple(command), 127, False, f"cannot run {argv[0]}: {exc}", 0.0)
            timed_out = False
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(process.pid)
                returncode = process.wait()
        seconds = time.monotonic() - started
        return RunResult(tuple(command), returncode, timed_out, _tail(log), seconds)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _tail(path: Path) -> str:
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - MAX_OUTPUT_CHARS))
        return handle.read().decode("utf-8", "replace")
