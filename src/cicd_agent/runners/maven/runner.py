"""JUnit through Maven (``mvn -o -B test -Dtest=CLASS,...``) behind the seam, where the job
installed Maven and the project's plugins and dependencies offline.

Outcomes come from the console lines Maven's own process prints as each class ends
(``Tests run: N, Failures: F, …``), one per class, not from the forked JVM the tests run in, and
are believed only where the exit status and ``BUILD SUCCESS`` agree. The run's local repository
is its own home's (the job's ``~/.m2`` stays hidden), so a project whose plugins are not there
"could not run", saying so; JaCoCo coverage is not run and says so."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import is_file
from cicd_agent.local.job_tools import job_tool
from cicd_agent.runners.base import (
    COUNT,
    Layout,
    Reach,
    Selection,
    TestReport,
    could_not_run,
    on_pipe,
    unusable,
)
from cicd_agent.runners.junit import outcomes_in_folder
from cicd_agent.runners.protocol import PlainStep
from cicd_agent.sandbox import Sandbox, Workspace

_COMMAND = re.compile(r"(^|[\s/;&|])(mvn|mvnw|\./mvnw)(\s+\S+)*\s+(test|verify|install)(\s|$)")
_CLASS = re.compile(
    rf"Tests run: {COUNT}, Failures: {COUNT}, Errors: {COUNT}, Skipped: {COUNT}"
    r".* - in ([\w.$]+)\s*$"
)
_OFFLINE = re.compile(
    r"in offline mode|could not be resolved|Could not resolve|has not been "
    r"downloaded from it before|Could not create local repository"
)
OFFLINE_FIX = (
    "the project's Maven plugins and dependencies where its tests run (nothing is "
    "downloaded there, and the job's ~/.m2 is not among what the sandbox shows)"
)
_TEST_NAMES = ("{}Test", "Test{}", "{}Tests", "{}IT")


class MavenJUnit(PlainStep):
    name = "maven"
    suffixes: tuple[str, ...] = (".java",)
    declares_a_test = re.compile(r"\s*@(?:Test|ParameterizedTest|RepeatedTest|TestFactory)\b")
    """JUnit's annotations of a test method."""
    settings: tuple[str, ...] = ("pom.xml", "maven.config", "jvm.config", "settings.xml")
    repeats: str | None = None

    def step_command(
        self, command: Sequence[str], folder: Path, failed: Sequence[str] | None
    ) -> list[str] | None:
        """The test step's run with surefire's reports in ``folder``; a retry: the failed
        methods by class (``-Dtest=a.B#m1+m2``)."""
        if not self.runs(shlex.join(command)):
            return None
        argv = [*command, f"-Dsurefire.reportsDirectory={folder / 'surefire'}"]
        by_class: dict[str, list[str]] = {}
        for test in failed or ():
            owner, _, method = test.rpartition(".")
            by_class.setdefault(owner, []).append(method)
        chosen = ",".join(f"{owner}#{'+'.join(methods)}" for owner, methods in by_class.items())
        return (
            [*argv, f"-Dtest={chosen}", "-Dsurefire.failIfNoSpecifiedTests=false"]
            if failed
            else argv
        )

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        """Surefire's JUnit reports (``TEST-*.xml``) in the run's ``surefire`` folder."""
        return outcomes_in_folder(folder / "surefire")

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
        return is_file(checkout, "pom.xml")

    def runs(self, command: str) -> bool:
        return _COMMAND.search(command) is not None

    def tests_of(self, path: str, files: Sequence[str]) -> tuple[str, ...]:
        """``src/test/java/<package>/<Name>Test.java`` and its kin for ``src/main/java``'s file."""
        name = PurePosixPath(path)
        if name.suffix != ".java":
            return ()
        if "src/test/java" in path:
            return (path,)
        parts = name.parts
        if "java" not in parts:
            return ()
        at = parts.index("java")
        folder = PurePosixPath(*parts[: at - 2], "src", "test", "java", *parts[at + 1 : -1])
        wanted = {str(folder / f"{pattern.format(name.stem)}.java") for pattern in _TEST_NAMES}
        return tuple(sorted(f for f in files if f in wanted))

    def test_file_for(self, source: str, related: str, taken: Callable[[str], bool]) -> str:
        """None: its runs measure no coverage, so gen-tests finds no Java gap to write for."""
        return ""

    def test_style(self, source_text: str, related_text: str) -> str:
        return ""

    def rerun_file(self, test_path: str) -> str:
        """Surefire selects a test class by its name (``-Dtest=NameTest``)."""
        return f"mvn test -Dtest={shlex.quote(PurePosixPath(test_path).stem)}"

    def missing(self, checkout: Path, environ: Mapping[str, str]) -> str:
        found = job_tool("mvn", checkout, environ)
        return unusable(found, "Maven", "actions/setup-java with its Maven cache")

    def run(
        self, sandbox: Sandbox, space: Workspace, selection: Selection, *, timeout: float
    ) -> TestReport:
        environ = sandbox.environment(space)
        mvn = job_tool("mvn", sandbox.checkout, environ)
        if not isinstance(mvn, str):
            return TestReport(self.name, problem=self.missing(sandbox.checkout, environ))
        classes = {_class_of(test): test for test in selection.tests}
        # Java's user.home is the password file's (nobody's: /nonexistent), not the run's HOME
        repository = f"-Dmaven.repo.local={environ['HOME']}/.m2/repository"
        argv = [
            mvn,
            "-o",
            "-B",
            repository,
            "test",
            "-DfailIfNoTests=false",
            "-Dsurefire.failIfNoSpecifiedTests=false",
        ]
        argv += [f"-Dtest={','.join(sorted(classes))}"] if classes else []
        if selection.seed is not None:
            argv += [
                "-Dsurefire.runOrder=random",
                f"-Dsurefire.runOrder.random.seed={selection.seed}",
            ]
        run = sandbox.run(
            on_pipe(argv, sandbox.evidence_variable),
            space,
            timeout=timeout,
            extra_env=selection.environment,
            evidence=True,
        )
        said = TestReport(
            self.name,
            seed=selection.seed,
            returncode=run.returncode,
            seconds=run.seconds,
            output=run.output,
            coverage_problem=(
                "not measured: the seam does not run JaCoCo" if selection.cover else ""
            ),
        )
        if run.timed_out or run.killed_for or run.sandbox_failure:
            return replace(said, problem=f"mvn {run.describe()}")
        outcomes, why = read_console(run.evidence.decode("utf-8", "replace"), run.returncode)
        return replace(
            said,
            outcomes={
                f"{classes.get(name, name)} › {name.rsplit('.', 1)[-1]}": outcome
                for name, outcome in outcomes.items()
            },
            problem=why,
        )


def _class_of(test: str) -> str:
    """``src/test/java/a/BTest.java`` → ``a.BTest``."""
    parts = PurePosixPath(test).with_suffix("").parts
    return ".".join(parts[parts.index("java") + 1 :] if "java" in parts else parts[-1:])


def read_console(console: str, returncode: int) -> tuple[dict[str, str], str]:
    """Each test class Maven's ``console`` ends, and its outcome, or why the console is no result
    ("" when it is)."""
    if _OFFLINE.search(console):
        return {}, could_not_run(OFFLINE_FIX)
    outcomes: dict[str, str] = {}
    for line in console.splitlines():
        found = _CLASS.search(line)
        if found is None:
            continue
        ran, failures, errors, skipped, name = found.groups()
        if name in outcomes:
            return {}, f"Maven reported {name[:120]} ending twice (a test printed its own line)"
        bad = int(failures) + int(errors)
        outcomes[name] = "failed" if bad else "passed" if int(ran) > int(skipped) else "skipped"
    succeeded = "BUILD SUCCESS" in console
    if not outcomes and not succeeded:
        return {}, f"mvn ended with status {returncode} before any test class reported"
    if (returncode == 0) != succeeded or succeeded == any(o == "failed" for o in outcomes.values()):
        return {}, f"Maven's report and its exit status {returncode} disagree"
    return outcomes, ""
