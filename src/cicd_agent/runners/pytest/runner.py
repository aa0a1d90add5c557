"""pytest behind the test-runner seam: every pytest run we start is a
:class:`PytestSandbox`'s, with our plugin, coverage and the in-run check read-only on ``PYTHONPATH``
(read as package data by name: the engine imports no mode)."""

from __future__ import annotations

import compileall
import json
import os
import re
import secrets
import shlex
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.changed_lines import Touched, traced
from cicd_agent.analysis.known_tools import tools_named
from cicd_agent.local.checkout_files import CheckoutFileError, python_root, read_text
from cicd_agent.local.job_tools import job_tool
from cicd_agent.runners.base import Layout, Reach, Selection, TestReport, nearest, unusable
from cicd_agent.runners.junit import REPORT_NAME, read_report, runner_outcomes
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.protocol import PlainStep
from cicd_agent.runners.pytest.in_run_records import GUARD_VARIABLE, STREAM_VARIABLE, InRunCheck
from cicd_agent.runners.pytest.report import import_error, parse_evidence, why_no_result
from cicd_agent.runners.pytest.step import PytestTracer, tracer, usage_error
from cicd_agent.runners.sessions import Evidence, SessionSandbox
from cicd_agent.sandbox import RunResult, Sandbox, Workspace

_BOOT_FILES = ("sitecustomize.py", "cicd_agent_pytest_plugin.py")
PLUGIN = ("-p", "cicd_agent_pytest_plugin")
COMMAND = ("python", "-m", "pytest", "-q", "--tb=short", *PLUGIN)
"""pytest as the seam runs it: our plugin loaded (each run's cache is its own: the sandbox's)."""


def _compiled_coverage() -> Path:
    """Compiled once per process, source times kept so the compiled files stay valid in each
    sandbox's copy: runs write no bytecode, so each measured run would compile coverage again."""
    return Path(_coverage_folder().name) / "coverage"


@cache
def _coverage_folder() -> tempfile.TemporaryDirectory[str]:
    # Imported here: only a sandbox that runs needs coverage, not gen-tests' other steps nor
    # the tests that import this module.
    import coverage

    folder = tempfile.TemporaryDirectory(prefix="cicd-agent-coverage-", ignore_cleanup_errors=True)
    copy = Path(folder.name) / "coverage"
    shutil.copytree(
        Path(coverage.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    compileall.compile_dir(copy, quiet=2)
    return folder


class PytestSandbox(SessionSandbox):
    """The shared sandbox with our plugin, coverage and the in-run check on ``PYTHONPATH``."""

    temp_prefix = "cicd-agent-gentests-"
    evidence_variable = "CICD_GENTESTS_EVIDENCE_FD"
    """Names the write end of the evidence pipe in a run's environment (the plugin reads it)."""

    @property
    def boot(self) -> Path:
        return self.root / "boot"

    def prepare(self) -> None:
        self.boot.mkdir()
        package = resources.files("cicd_agent.runners.pytest.boot")
        for name in _BOOT_FILES:
            (self.boot / name).write_text(package.joinpath(name).read_text("utf-8"), "utf-8")
        self.in_run_check = InRunCheck.install(self.root)
        self.cov_stand_in = f"cicd_no_cov_{secrets.token_hex(8)}"
        (self.boot / f"{self.cov_stand_in}.py").write_text(
            package.joinpath("pytest_cov_stand_in.py").read_text("utf-8"), "utf-8"
        )
        for source in self.boot.glob("*.py"):  # compiled once here: a run writes no bytecode
            compileall.compile_file(source, quiet=2)
        # A copy, not a link: our own install may sit in a folder the sandbox hides.
        shutil.copytree(_compiled_coverage(), self.boot / "covlib" / "coverage")

    def python_path(self) -> list[str]:
        return [str(self.boot), str(self.in_run_check.folder)]

    def session(
        self,
        argv: Sequence[str],
        space: Workspace,
        *,
        timeout: float,
        extra_env: Mapping[str, str] | None = None,
        shared: Sequence[Path] = (),
        patched: PatchedLines | None = None,
    ) -> tuple[RunResult, Evidence]:
        """A killed run's exit status is not compared with pytest's. pytest-cov is blocked, its
        options accepted and ignored: its tracer would pause the coverage ours measures."""
        given = {**self.environment(space), **(extra_env or {})}
        # pytest-cov by both its entry-point name and its module's (a `-p pytest_cov.plugin` or
        # a conftest's pytest_plugins loads it by the module's), and no run ends on a project's
        # `required_plugins` naming it (a check of the job's install, not of the tests)
        ours = [
            "-p",
            "no:cov",
            "-p",
            "no:pytest_cov.plugin",
            "-o",
            "required_plugins=",
            "-p",
            self.cov_stand_in,
            "-p",
            self.in_run_check.module,
        ]
        watched = {
            STREAM_VARIABLE: self.evidence_variable,
            "PYTEST_ADDOPTS": " ".join(
                filter(None, [given.get("PYTEST_ADDOPTS", ""), shlex.join(ours)])
            ),
        }
        if patched is not None:
            watched[GUARD_VARIABLE] = json.dumps(
                {
                    "repo": str(patched.repo),
                    "lines": {
                        str(patched.repo / name): lines for name, lines in patched.lines.items()
                    },
                }
            )
        result = self.run(
            argv,
            space,
            timeout=timeout,
            evidence=True,
            extra_env={**(extra_env or {}), **watched},
            shared=shared,
        )
        return result, parse_evidence(
            result.evidence,
            None if result.timed_out else result.returncode,
            space.repo,
            patched.lines if patched is not None else None,
            self.installed,
        )


def selecting(space: Workspace, tests: Sequence[str]) -> list[str]:
    """Test ids go in a file our plugin reads: one id past 128 KiB, or many, on a command line would
    stop the round from starting. The file is named in the option's own word
    (``--cicd-select=FILE``): a bare path word counts toward pytest's root, and a root above the
    copy renames every id, so none is selected."""
    chosen = space.scratch("select", ".json")
    chosen.write_text(json.dumps(list(tests)), encoding="utf-8")
    files = dict.fromkeys(os.path.join(".", test.split("::", 1)[0]) for test in tests)
    return [f"--cicd-select={chosen}", *files]


def repeated(words: Sequence[str], times: int) -> list[str]:
    """Each file named ``times`` times (``--keep-duplicates``): each test runs that often in one
    process, at the cost of one start. Our plugin and the in-run check report its worst outcome."""
    if times <= 1:
        return list(words)
    options = [word for word in words if word.startswith("-")]
    return [
        "--keep-duplicates",
        *options,
        *[word for word in words if not word.startswith("-")] * times,
    ]


def varied(
    *, shuffle: int | None = None, noise: int = 0, repeat: int = 1, repeat_for: float = 0.0
) -> list[str]:
    """Our plugin's options: a seed's order, noise processes, runs per test."""
    shuffled = [] if shuffle is None else ["--cicd-shuffle", str(shuffle)]
    repeated = ["--cicd-repeat", str(repeat)] if repeat > 1 else []
    if repeat > 1 and repeat_for > 0:
        repeated += ["--cicd-repeat-for", f"{repeat_for:.1f}"]
    return [*shuffled, *(["--cicd-noise", str(noise)] if noise else []), *repeated]


_SETTINGS = (
    ("pytest.ini", ""),
    ("pytest.toml", ""),
    ("pyproject.toml", "[tool.pytest"),
    ("setup.cfg", "[tool:pytest]"),
    ("tox.ini", "[pytest]"),
    ("conftest.py", ""),
)


RETRY_ONLY_FAILED = ("--last-failed", "--last-failed-no-failures", "none")
"""The options that make pytest run again only what failed in its previous run."""


class Pytest(PlainStep):
    name = "pytest"
    suffixes: tuple[str, ...] = (".py",)
    declares_a_test = re.compile(r"\s*(?:async\s+)?def\s+test|\s*class\s+Test")
    """A ``test…`` function or a ``Test…`` class, as pytest collects them by default."""
    repeats: str | None = "pytest --keep-duplicates, each file named N times"
    settings: tuple[str, ...] = (
        "pytest.ini",
        "pytest.toml",
        ".pytest.ini",
        ".pytest.toml",
        "tox.ini",
        "setup.cfg",
        "pyproject.toml",
        "conftest.py",
    )

    step_captures = False
    """The test step reads its outcomes from the report its run writes."""
    unshuffled = ""
    builds: tuple[str, ...] = ()

    def unshuffled_in(self, checkout: Path) -> str:
        return self.unshuffled

    def reach(self, checkout: Path) -> Callable[[str], Reach]:
        return lambda path: "tests"

    def layout(self, checkout: Path) -> Layout:
        """{}: a test file's name says which source it tests."""
        return {}

    def new_test_problem(self, checkout: Path, path: str) -> str:
        return ""

    def unasserted(self, checkout: Path, path: str, text: str) -> str:
        """Every candidate refused: without a reading of its tests' assertions, nothing shows
        that one checks anything."""
        return f"{self.name} has no reading of what its tests assert, so none is shown to check"

    def configured(self, checkout: Path) -> bool:
        for name, inside in _SETTINGS:
            try:
                text = read_text(checkout, name)
            except CheckoutFileError:
                continue
            if inside in text:
                return True
        return False

    def runs(self, command: str) -> bool:
        return "pytest" in tools_named(command)

    def tests_of(self, path: str, files: Sequence[str]) -> tuple[str, ...]:
        """pytest's naming convention: ``test_<module>.py`` or ``<module>_test.py`` anywhere;
        for a ``conftest.py``, the test files it serves (its folder and below)."""
        name = PurePosixPath(path)
        if name.suffix != ".py":
            return ()
        if _is_test(name):
            return (path,)
        if name.name == "conftest.py":
            below = name.parent.parts
            found = [
                f
                for f in files
                if _is_test(PurePosixPath(f)) and PurePosixPath(f).parts[: len(below)] == below
            ]
            return tuple(sorted(found, key=lambda f: (f.count("/"), f)))
        wanted = {f"test_{name.stem}.py", f"{name.stem}_test.py"}
        return nearest([f for f in files if PurePosixPath(f).name in wanted], path)

    def test_file_for(self, source: str, related: str, taken: Callable[[str], bool]) -> str:
        """None: gen-tests' Python loop names pytest's files itself (the ``test-dir`` input)."""
        return ""

    def test_style(self, source_text: str, related_text: str) -> str:
        """None here: the Python loop's prompt says how a pytest module is written."""
        return ""

    def step_command(
        self, command: Sequence[str], folder: Path, failed: Sequence[str] | None
    ) -> list[str] | None:
        """A JUnit report in ``folder`` (``xunit1``, which names each test's file) and, on a retry,
        only the tests that failed (pytest's cache names them). ``--maxfail=0`` undoes a ``-x``, and
        blocking ``--sw``'s plugin (its option stays known for ``addopts``) undoes a stepwise run: a
        run stopped at its first failure leaves tests no retry runs, and the step would pass on what
        it saw."""
        words = [Path(word).name for word in command[:3]]
        if words[:1] != ["pytest"] and words[1:3] != ["-m", "pytest"]:
            return None
        return [
            *command,
            *(RETRY_ONLY_FAILED if failed is not None else ()),
            "--maxfail=0",
            "-p",
            "no:stepwiseplugin",
            f"--junitxml={folder / REPORT_NAME}",
            "-o",
            "junit_family=xunit1",
        ]

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        """The JUnit report :meth:`step_command` named (no link, FIFO or huge report), each test
        by its node id."""
        written = read_report(folder)
        return {} if written is None else runner_outcomes(written)

    def step_sees(self, path: str) -> bool:
        return traced(path)

    def step_stopped(self, status: int, output: str) -> UsageError | None:
        return usage_error(status, output)

    def step_tracer(
        self,
        command: Sequence[str],
        change: Touched,
        folder: Path,
        cwd: Path,
        environ: Mapping[str, str],
    ) -> PytestTracer | None:
        return tracer(change, folder, cwd, environ)

    def rerun_file(self, test_path: str) -> str:
        return f"python -m pytest {shlex.quote(test_path)}"

    def missing(self, checkout: Path, environ: Mapping[str, str]) -> str:
        return unusable(job_tool("python", checkout, environ), "Python and pytest")

    def run(
        self, sandbox: Sandbox, space: Workspace, selection: Selection, *, timeout: float
    ) -> TestReport:
        if not isinstance(sandbox, PytestSandbox):
            return TestReport(self.name, problem="the sandbox holds no in-run check for pytest")
        if selection.changed is not None and selection.changed.refused:
            return TestReport(self.name, problem=selection.changed.refused)
        argv = [f"./{selection.python}" if selection.python else COMMAND[0], *COMMAND[1:]]
        argv += varied(shuffle=selection.seed)
        chosen = selecting(space, selection.tests) if selection.tests else []
        argv += repeated(chosen, selection.repeat)
        extra = selection.environment
        if first := _imported_first(space, selection):
            paths = sandbox.environment(space)["PYTHONPATH"].split(os.pathsep)
            at = len(sandbox.python_path())
            paths[at:at] = [str(space.repo / folder) for folder in first]
            extra["PYTHONPATH"] = os.pathsep.join(paths)
        result, evidence = sandbox.session(
            argv, space, timeout=timeout, patched=selection.changed, extra_env=extra
        )
        why = why_no_result(result, evidence)
        said = evidence.outcomes if evidence.outcomes is not None and not why else None
        return TestReport(
            self.name,
            said.tests if said else {},
            why,
            selection.seed,
            None,
            "coverage of pytest's runs is measured by gen-tests' coverage meter"
            if selection.cover
            else "",
            result.returncode,
            result.seconds,
            result.output,
            checks=said.checks if said else {},
            unimportable=import_error(result.output),
        )


def _imported_first(space: Workspace, selection: Selection) -> tuple[str, ...]:
    """The import roots of the selection's patched Python files, relative to the copy, when the
    tests run with the checkout's own interpreter (whose editable install would import the
    checkout's code instead of the copy's)."""
    if not selection.python:
        return ()
    roots = (
        str(python_root(space.repo, path).relative_to(space.repo))
        for path in selection.patched
        if path.endswith(".py")
    )
    return tuple(dict.fromkeys(roots))


def _is_test(name: PurePosixPath) -> bool:
    return name.suffix == ".py" and (name.name.startswith("test_") or name.stem.endswith("_test"))
