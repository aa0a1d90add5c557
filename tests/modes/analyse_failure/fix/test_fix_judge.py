"""The verifier on real projects, real git, real pytest, the real sandbox: a patch is offered only
when the failed commit's failing command passes with it, twice, and nothing else in the step
breaks."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.modes.analyse_failure.fix.judge.claims import (
    FailingCommand,
    Patch,
    Verdict,
    Verification,
)
from cicd_agent.modes.analyse_failure.fix.judge.policy import policy_verdict
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import RunResult, Sandbox, Workspace
from cicd_agent.verify.contract import checked
from tests.helpers.failed_run import pytest_failure
from tests.helpers.fix_projects import (
    CALC,
    CALC_EXIT_ZERO,
    CALC_FIX,
    CALC_USELESS_FIX,
    LINT,
    commit_project,
    git,
)
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox
TOKEN = "ghp_" + "k3Yq9T2mXw7Lr4Vb8Nc1Zp6Hs0Jd5Fa2Gt7E"


def _verifier(
    tmp_path: Path, files: dict[str, str], failing: FailingCommand | None = None
) -> SandboxVerifier:
    checkout = tmp_path / "checkout"
    commit_project(checkout, files)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "GITHUB_TOKEN": TOKEN}
    sandbox = Sandbox(checkout, environ, known_secrets=[TOKEN])
    return SandboxVerifier(
        sandbox,
        failing or pytest_failure(),
        watched=PYTEST,
        redact=lambda text: text.replace(TOKEN, "***"),
    )


def _patch(diff: str) -> Patch:
    return Patch(diff=diff, source="model", summary="a patch")


class _CountingSandbox(Sandbox):
    """The real sandbox, keeping the argv of every launch."""

    def __init__(self, checkout: Path, environ: dict[str, str], **kwargs: Any) -> None:
        super().__init__(checkout, environ, **kwargs)
        self.launches: list[list[str]] = []

    def run(self, command: Sequence[str], space: Workspace, **kwargs: Any) -> RunResult:
        self.launches.append(list(command))
        return super().run(command, space, **kwargs)


_LEFT_BEHIND = (
    "diff --git a/calc/extra.py b/calc/extra.py\nnew file mode 100644\n--- /dev/null\n"
    "+++ b/calc/extra.py\n@@ -0,0 +1 @@\n+LEFT_BEHIND = True\n"
)
STALE_WITH_A_NEW_FILE = _LEFT_BEHIND + CALC_FIX.replace("-    return a - b", "-    return a * b")
"""A patch whose first hunk (a new file) applies and whose second does not."""


@dataclass(frozen=True)
class _Judged:
    """One verifier's verdicts on the real fix, then on a stale patch, and every launch made."""

    fix: Verification
    stale: Verification
    launches: list[list[str]]
    checkout: Path


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> _Judged:
    """The real fix judged once for the tests below that each read one side of that verdict
    (its runs, the launches it made, the checkout it left), a full verification being the
    costliest thing here (the failing command in the sandbox three times)."""
    root = tmp_path_factory.mktemp("judged")
    checkout = root / "checkout"
    commit_project(checkout, CALC)
    environ = {"PATH": path_env(), "HOME": str(root / "home"), "GITHUB_TOKEN": TOKEN}
    sandbox = _CountingSandbox(checkout, environ, known_secrets=[TOKEN])
    verifier = SandboxVerifier(
        sandbox, pytest_failure(), watched=PYTEST, redact=lambda text: text.replace(TOKEN, "***")
    )
    with sandbox:
        fix = verifier.verify(_patch(CALC_FIX))
        stale = verifier.verify(_patch(STALE_WITH_A_NEW_FILE))
    return _Judged(fix, stale, sandbox.launches, checkout)


def test_a_patch_that_fixes_the_failing_test_is_verified_by_two_passing_runs(
    judged: _Judged,
) -> None:
    verdict = judged.fix
    assert verdict.verdict is not Verdict.NOT_PASSED, verdict.reason
    baseline, first, second = verdict.runs
    assert not baseline.passed and "assert -1 == 5" in baseline.output
    assert first.passed and second.passed and "1 passed" in second.output


def test_a_patch_that_changes_something_else_is_not_verified(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, CALC)
    with verifier.sandbox:
        verdict = verifier.verify(_patch(CALC_USELESS_FIX))
    assert verdict.verdict is Verdict.NOT_PASSED
    assert verdict.reason.startswith("the failing command still fails with the patch (first run")


def test_a_patch_that_does_not_apply_to_the_failed_commit_is_not_verified(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, CALC)
    stale = CALC_FIX.replace("-    return a - b", "-    return a * b")
    with verifier.sandbox:
        verdict = verifier.verify(_patch(stale))
    assert verdict.verdict is Verdict.NOT_PASSED
    assert verdict.reason == "the patch does not apply to the failed commit"
    assert "patch does not apply" in verdict.runs[-1].output


def test_a_patch_is_applied_in_one_sandbox_launch_whose_failure_is_the_check(
    judged: _Judged, tmp_path: Path
) -> None:
    applies = [argv for argv in judged.launches if argv[0] == "git" and "apply" in argv]
    assert [argv[-3:-1] for argv in applies] == [["apply", "--"]] * 3  # a probe finds the lines
    assert judged.fix.verdict is not Verdict.NOT_PASSED, judged.fix.reason
    verdict = judged.stale
    assert verdict.reason == "the patch does not apply to the failed commit"
    assert "patch does not apply" in verdict.runs[-1].output
    # Why one launch is enough: git applies every hunk or none.
    (tmp_path / "stale.diff").write_text(STALE_WITH_A_NEW_FILE)
    with pytest.raises(subprocess.CalledProcessError):
        git(judged.checkout, "apply", str(tmp_path / "stale.diff"))
    assert not (judged.checkout / "calc" / "extra.py").exists()


def test_the_patch_never_touches_the_checkout_itself(judged: _Judged) -> None:
    assert judged.fix.verdict is not Verdict.NOT_PASSED, judged.fix.reason
    assert "a - b" in (judged.checkout / "calc" / "ops.py").read_text()


def test_a_failure_that_does_not_reproduce_in_the_sandbox_verifies_nothing(
    tmp_path: Path,
) -> None:
    passing = {**CALC, "calc/ops.py": "def add(a: int, b: int) -> int:\n    return a + b\n"}
    verifier = _verifier(tmp_path, passing)
    with verifier.sandbox:
        verdict = verifier.verify(_patch(CALC_FIX.replace("a - b", "a + b", 1)))
    assert verdict.verdict is Verdict.NOT_PASSED
    assert "passes in the sandbox without any patch" in verdict.reason


def test_a_patch_that_breaks_the_steps_other_command_is_a_regression(tmp_path: Path) -> None:
    files = {**CALC, "check_docs.py": "import calc.ops\nassert 'a - b' not in open('README').read()\n",
             "README": "add(a, b) returns a + b\n"}  # fmt: skip
    script = "python -m pytest -q -p no:cacheprovider\npython check_docs.py"
    failing = FailingCommand("test", "Run tests", script, "python -m pytest -q -p no:cacheprovider")
    verifier = _verifier(tmp_path, files, failing)
    breaks_docs = CALC_FIX + (
        "diff --git a/README b/README\n--- a/README\n+++ b/README\n@@ -1 +1 @@\n"
        "-add(a, b) returns a + b\n+add(a, b) returns a - b\n"
    )
    with verifier.sandbox:
        assert verifier.verify(_patch(CALC_FIX)).verdict is not Verdict.NOT_PASSED
        verdict = verifier.verify(_patch(breaks_docs))
    assert verdict.verdict is Verdict.NOT_PASSED
    assert verdict.reason.startswith("regression: the step's other commands pass without")


def test_a_patch_editing_a_workflow_is_refused_before_it_is_applied(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, CALC)
    workflow = CALC_FIX + (
        "diff --git a/.github/workflows/ci.yml b/.github/workflows/ci.yml\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/.github/workflows/ci.yml\n@@ -0,0 +1 @@\n+on: push\n"
    )
    with verifier.sandbox:
        verdict = verifier.verify(_patch(workflow))
    assert verdict.verdict is Verdict.NOT_PASSED
    assert verdict.reason == "refused: the patch edits a workflow file (.github/workflows/ci.yml)"
    assert verdict.runs == ()


def test_a_run_with_a_refused_patch_is_refused_not_applied(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, CALC)
    workflow = CALC_FIX.replace("calc/ops.py", ".github/workflows/ci.yml")
    assert verifier.refusal(CALC_FIX) == ""
    with verifier.sandbox:
        outcome = verifier.run_failing(_patch(workflow))
    assert outcome.exit_code == 126
    assert outcome.output == "refused: the patch edits a workflow file (.github/workflows/ci.yml)"
    assert verifier.refusal(workflow) == outcome.output.removeprefix("refused: ")


def test_run_outputs_never_carry_the_token(tmp_path: Path) -> None:
    files = {**CALC, "tests/test_env.py": (
        "import os\n\ndef test_env():\n    print(os.environ)\n    assert False, " + repr(TOKEN) + "\n"
    )}  # fmt: skip
    verifier = _verifier(tmp_path, files)
    with verifier.sandbox:
        outcome = verifier.run_failing(None)
    assert not outcome.passed
    assert TOKEN not in outcome.output and "GITHUB_TOKEN" not in outcome.output
    assert "***" in outcome.output


def test_a_known_secret_in_the_steps_env_under_a_harmless_name_never_reaches_the_run(
    tmp_path: Path,
) -> None:
    # The failed step's ``env:`` comes from the log; a value the runner knows as a secret (a
    # password no pattern recognises) can sit there under any name. The run gets the step's
    # other variables, not that one.
    password = "Sup3r-S3cret-pw-2024"
    checkout = tmp_path / "checkout"
    commit_project(checkout, {**CALC, "tests/test_env.py": (
        "import os\n\ndef test_env():\n"
        "    assert False, [os.environ.get('BUILD_LABEL'), os.environ.get('NOTE')]\n"
    )})  # fmt: skip
    script = "python -m pytest -q -p no:cacheprovider"
    failing = FailingCommand(
        job="test", step="Run pytest", script=script, failing=script,
        env=(("BUILD_LABEL", "nightly-7"), ("NOTE", f"db {password}")),
    )  # fmt: skip
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "DB_PASSWORD": password}
    sandbox = Sandbox(checkout, environ, known_secrets=[password])
    verifier = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str)
    with sandbox:
        outcome = verifier.run_failing(None)
    assert not outcome.passed
    assert "['nightly-7', None]" in outcome.output
    assert password not in outcome.output


def test_a_spent_time_budget_stops_the_runs_and_offers_nothing(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    commit_project(checkout, CALC)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    slow = FailingCommand("test", "Run tests", "sleep 30", "sleep 30")
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(sandbox, slow, watched=PYTEST, redact=str, budget=1)
        verdict = verifier.verify(_patch(CALC_FIX))
    assert verdict.verdict is Verdict.NOT_PASSED
    assert verdict.runs[0].timed_out  # the baseline was cut at the budget, not at 300 s
    assert verdict.reason == "the fix step's 1 s for all its runs were spent"


_HOST_PROBE_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
__attribute__((constructor)) static void probe(void) {
    char line[64];
    int fd = open(MARKER, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) return;
    snprintf(line, sizeof line, "loaded in %d\n", (int)getpid());
    write(fd, line, strlen(line));
    close(fd);
}
"""


def test_the_logs_env_never_reaches_the_host_side_nor_chooses_what_is_bound(
    tmp_path: Path,
) -> None:
    """Attack: the failed step's ``env:`` (the pull request shapes it) sets ``LD_PRELOAD`` to a
    library the pull request committed, and ``PATH`` to ``/tmp``. Neither may reach the host
    side: the library never loads in the bwrap process, and the host's ``/tmp`` stays hidden.
    The step's harmless variables still reach the run."""
    assert tmp_path.is_relative_to("/tmp"), "this test needs its folder under /tmp"
    marker = tmp_path / "host-loaded.txt"
    source = tmp_path / "probe.c"
    source.write_text(f'#define MARKER "{marker}"\n{_HOST_PROBE_C}')
    library = tmp_path / "lib.so"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True, timeout=60
    )
    (tmp_path / "host-secret.txt").write_text("host tmp file")
    checkout = tmp_path / "checkout"
    commit_project(checkout, {**CALC, "lib.so": ""})
    (checkout / "lib.so").write_bytes(library.read_bytes())
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", "the library")
    script = (
        f"cat {tmp_path / 'host-secret.txt'} || echo tmp-hidden\n"
        'echo "inside: LD_PRELOAD=${LD_PRELOAD-unset} NOTE=$NOTE HOME=$HOME"\n'
        "python -m pytest -q -p no:cacheprovider"
    )
    env = {"LD_PRELOAD": "./lib.so", "PATH": f"/tmp:{path_env()}", "NOTE": "nightly-7",
           "HOME": "/etc", "PYTHONSTARTUP": "./evil.py"}  # fmt: skip
    failing = FailingCommand(
        job="test",
        step=f"Run {script.splitlines()[0]}",
        script=script,
        failing=script,
        shell="/usr/bin/bash -e {0}",
        env=tuple(env.items()),
    )  # as the fix step reads it from the log
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "GITHUB_TOKEN": TOKEN}
    with Sandbox(checkout, environ, known_secrets=[TOKEN]) as sandbox:
        verifier = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str)
        outcome = verifier.run_failing(None)
    assert not outcome.passed and "assert -1 == 5" in outcome.output, outcome.output
    assert not marker.exists(), marker.read_text()  # never loaded on the host
    assert "host tmp file" not in outcome.output and "tmp-hidden" in outcome.output
    assert "inside: LD_PRELOAD=unset NOTE=nightly-7 HOME=/" in outcome.output
    assert "HOME=/etc" not in outcome.output


def test_a_fix_that_renames_the_failing_test_away_is_not_verified(tmp_path: Path) -> None:
    """Attack: the patch fixes the code and renames the failing test so pytest never runs it;
    its ``diff --git`` line names another file, the rename lines say what git moves."""
    checkout = tmp_path / "checkout"
    other = "def test_other() -> None:\n    assert True\n"
    commit_project(checkout, {**CALC, "tests/test_other.py": other})
    sandbox = Sandbox(checkout, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    verifier = SandboxVerifier(
        sandbox,
        pytest_failure(),
        watched=PYTEST,
        redact=str,
        failing_test_files=["tests/test_ops.py"],
    )
    renamed = CALC_FIX + (
        "diff --git a/calc/__init__.py b/calc/__init__.py\nsimilarity index 100%\n"
        "rename from tests/test_ops.py\nrename to tests/ops_disabled.txt\n"
    )
    with sandbox:
        verdict = verifier.verify(_patch(renamed))
    assert verdict.verdict is Verdict.NOT_PASSED
    assert verdict.reason.startswith("refused: the patch edits a test file (tests/ops_disabled")
    assert verdict.runs == ()


# ---------------------------------- Attacks: a patch that changes the judge instead of the code
# Red team (fix step): a patch that changes the judge instead of the code.
#
# The policy refuses edits to the failing test, yet the failing test is judged through files the
# policy let through: a ``conftest.py`` hook that reports every failure as a pass, or the test
# runner's own settings. Each "fix" below leaves ``add`` broken and was ``verified``, one click
# from a merge. A ``.gitattributes`` line (``linguist-generated``) beside a real fix hides code
# from every later review, as the settings and guidance files the policy already refuses do.


FAILING_TEST = "tests/test_ops.py"

CONFTEST_HOOK = (
    "diff --git a/tests/conftest.py b/tests/conftest.py\n"
    "new file mode 100644\n"
    "--- /dev/null\n"
    "+++ b/tests/conftest.py\n"
    "@@ -0,0 +1,6 @@\n"
    "+import pytest\n"
    "+@pytest.hookimpl(hookwrapper=True)\n"
    "+def pytest_runtest_makereport(item, call):\n"
    "+    report = yield\n"
    "+    result = report.get_result()\n"
    "+    result.outcome = 'passed'\n"
)
COLLECT_ONLY = (
    "diff --git a/pyproject.toml b/pyproject.toml\n"
    "--- a/pyproject.toml\n"
    "+++ b/pyproject.toml\n"
    "@@ -1,2 +1,3 @@\n"
    " [tool.pytest.ini_options]\n"
    " testpaths = ['tests']\n"
    "+addopts = '--collect-only -q'\n"
)
"""Also caught by the report alone: it holds no test (``test_fix_evidence``)."""


def _verify(tmp_path: Path, diff: str) -> tuple[bool, str]:
    return _verify_files(tmp_path, CALC, diff)


@needs_sandbox
def test_a_conftest_hook_that_passes_every_test_is_not_a_verified_fix(tmp_path: Path) -> None:
    verified, reason = _verify(tmp_path, CONFTEST_HOOK)
    assert not verified
    assert reason.startswith("refused: the patch edits a test runner's conftest.py"), reason


@pytest.mark.parametrize("path", ["conftest.py", "tests/conftest.py", "app/sub/conftest.py"])
def test_no_conftest_may_change_even_when_the_failing_test_is_known(
    tmp_path: Path, path: str
) -> None:
    diff = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-old\n+new\n"
    assert not policy_verdict(diff, tmp_path, failing_test_files=[FAILING_TEST]).allowed


@pytest.mark.parametrize("path", [".gitattributes", "src/.gitattributes"])
def test_a_fix_never_edits_gitattributes(tmp_path: Path, path: str) -> None:
    diff = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-old\n+new\n"
    verdict = policy_verdict(diff, tmp_path, failing_test_files=[FAILING_TEST])
    assert not verdict.allowed
    assert verdict.reason == f"the patch edits a file that governs review ({path})"


@needs_sandbox
@pytest.mark.parametrize("diff", [COLLECT_ONLY, CALC_EXIT_ZERO], ids=["collect-only", "exit-zero"])
def test_a_patch_that_only_silences_the_judge_is_not_verified(tmp_path: Path, diff: str) -> None:
    verified, reason = _verify(tmp_path, diff)
    assert not verified, reason
    expected = {
        COLLECT_ONLY: "refused: the patch edits the test runner's settings (pyproject.toml: ",
        CALC_EXIT_ZERO: (
            "not verified: the run gave no per-test evidence (no test report from pytest"
        ),
    }[diff]
    assert reason.startswith(expected), reason


# ---------------------------------------- Attacks: the judge talked round by the code it judges
# Red team, fourth pass (fix step): the judge cannot be talked round by the code it judges.
#
# Each patch below touches no test, no conftest and no setting, and leaves ``add`` subtracting;
# pytest's real JUnit report still said ``test_add`` passed, so each was "verified". The code
# under test runs inside pytest's own process, before the test: it can replace the runner
# (``Function.runtest``), swap a function's code through ``sys.modules``, or stand in for pytest
# itself from a folder of the checkout. The fix step's in-run check (a plugin loaded first under a
# name chosen per sandbox) must see the failing test's own function run, and pytest's runner
# unchanged; names that shadow pytest and encoding declarations that hide code are refused
# before any run. A real fix still verifies. Every run is real bubblewrap and real pytest.


NESTED = {
    "lib/__init__.py": "",
    "lib/calc/__init__.py": "",
    "lib/calc/ops.py": CALC["calc/ops.py"],
    "tests/__init__.py": "",
    "tests/test_ops.py": CALC["tests/test_ops.py"].replace("from calc.ops", "from lib.calc.ops"),
    "pyproject.toml": CALC["pyproject.toml"],
}
"""``add`` in a package inside a package: the outer ``__init__`` is imported first."""


def _new_lines(path: str, lines: list[str], old: str = "") -> str:
    """A patch that fills the empty file ``path`` with ``lines``."""
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}{old}"
    )


NO_OP_RUNTEST = [
    "import sys",
    "if '_pytest.python' in sys.modules:",
    "    sys.modules['_pytest.python'].Function.runtest = lambda self: None",
]
CODE_SWAP = [
    "import sys",
    "for _name, _module in list(sys.modules.items()):",
    "    if _name == '_pytest.python':",
    "        _module.pytest_pyfunc_call.__code__ = (lambda pyfuncitem: True).__code__",
]
MODULE_SWAP = [
    "import sys, types",
    "_real = sys.modules.get('_pytest.python')",
    "if _real is not None:",
    "    _fake = types.ModuleType('_pytest.python')",
    "    _fake.__dict__.update(_real.__dict__)",
    "    class Function(_real.Function):",
    "        def runtest(self):",
    "            return None",
    "    _fake.Function = Function",
    "    sys.modules['_pytest.python'] = _fake",
    "    _real.Function.runtest = Function.runtest",
]
HOOKED = [
    "import gc, sys",
    "import pytest",
    "class _Quiet:",
    "    @pytest.hookimpl(tryfirst=True)",
    "    def pytest_pyfunc_call(self, pyfuncitem):",
    "        return True",
    "for _thing in gc.get_objects():",
    "    if type(_thing).__name__ == 'PytestPluginManager':",
    "        _thing.register(_Quiet(), 'quiet')",
]
"""Registers a hook that answers for every test function, never calling it."""


_STOPPED = "refused: the patch adds code that runs as calc/__init__.py is imported"
"""What a patch meets whose ``__init__`` code makes a call the import guard's audit hook stops
before the tests (a function's code swapped, ``gc``'s object finders): the run ends there, and
the reason names the line the static rule reads."""


def _verify_files(tmp_path: Path, files: dict[str, str], diff: str) -> tuple[bool, str]:
    verdict = _verdict(tmp_path, files, diff)
    return verdict.verdict is not Verdict.NOT_PASSED, verdict.reason


def _verdict(
    tmp_path: Path, files: dict[str, str], diff: str, *, code_is_proof: bool = False
) -> Verification:
    """The verifier's verdict on the model's ``diff`` over a project of ``files``."""
    checkout = tmp_path / "checkout"
    commit_project(checkout, files)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    sandbox = Sandbox(checkout, environ)
    verifier = SandboxVerifier(
        sandbox,
        pytest_failure(),
        watched=PYTEST,
        redact=lambda text: text,
        failing_test_files=[FAILING_TEST],
        code_is_proof=code_is_proof,
    )
    with sandbox:
        return verifier.verify(Patch(diff=diff, source="model", summary="a fix"))


@needs_sandbox
@pytest.mark.parametrize(
    ("files", "path", "lines", "said"),
    [
        (CALC, "calc/__init__.py", NO_OP_RUNTEST, "not verified: pytest's runner changed"),
        (NESTED, "lib/__init__.py", NO_OP_RUNTEST, "not verified: pytest's runner changed"),
        (CALC, "calc/__init__.py", CODE_SWAP, _STOPPED),
        (CALC, "calc/__init__.py", MODULE_SWAP, "not verified: pytest's runner changed"),
        (CALC, "calc/__init__.py", HOOKED, _STOPPED),
    ],
    ids=["init-no-op-runtest", "parent-init", "code-swap", "sys-modules-swap", "own-hook"],
)
def test_code_under_test_that_silences_the_runner_is_not_a_verified_fix(
    tmp_path: Path, files: dict[str, str], path: str, lines: list[str], said: str
) -> None:
    verified, reason = _verify_files(tmp_path, files, _new_lines(path, lines))
    assert not verified, reason
    assert reason.startswith(said), reason


@needs_sandbox
def test_a_real_fix_still_verifies_under_the_in_run_check(tmp_path: Path) -> None:
    """The fix in the function's body alone (test_verify_import_time.py's fix that also changes
    module and class lines is its other half)."""
    verified, reason = _verify_files(tmp_path, CALC, CALC_FIX)
    assert verified, reason


@pytest.mark.parametrize(
    "path",
    [
        "_pytest/__init__.py",
        "_pytest/python.py",
        "pytest/__init__.py",
        "pytest.py",
        "pluggy/__init__.py",
        "src/pluggy/_hooks.py",
        "sitecustomize.py",
        "src/usercustomize.py",
        "py.py",
    ],
)
def test_a_module_that_would_run_in_pytests_place_is_refused(tmp_path: Path, path: str) -> None:
    diff = _new_lines(path, ["def main():", "    return 0"]).replace(
        f"--- a/{path}", "new file mode 100644\n--- /dev/null"
    )
    verdict = policy_verdict(diff, tmp_path, failing_test_files=[FAILING_TEST])
    assert not verdict.allowed
    assert "would run in pytest's place" in verdict.reason, verdict.reason


@needs_sandbox
def test_a_root_level_pytest_shadow_is_refused_before_any_run(tmp_path: Path) -> None:
    """The shadow end to end: a ``_pytest/`` at the root would be what ``python -m pytest``
    imports; the verifier refuses it by its name."""
    diff = (
        "diff --git a/_pytest/__init__.py b/_pytest/__init__.py\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/_pytest/__init__.py\n@@ -0,0 +1 @@\n+raise SystemExit(0)\n"
    )
    verified, reason = _verify_files(tmp_path, CALC, diff)
    assert not verified
    assert reason.startswith("refused: the patch adds or edits a module named like the test"), (
        reason
    )


@needs_sandbox
def test_an_encoding_cookie_that_hides_code_in_a_comment_is_refused(tmp_path: Path) -> None:
    """``# coding: utf-7`` makes ``+AAo-`` a new line: the diff shows two comments, Python
    runs the no-op runner."""
    hidden = "import sys; sys.modules['_pytest.python'].Function.runtest = lambda self: None"
    lines = ["# -*- coding: utf-7 -*-", f"# tidy imports +AAo-{hidden.replace('=', '+AD0-')}"]
    verified, reason = _verify_files(tmp_path, CALC, _new_lines("calc/__init__.py", lines))
    assert not verified
    assert reason.startswith("refused: the patch declares calc/__init__.py encoded as utf-7"), (
        reason
    )


@needs_sandbox
def test_a_step_that_replaces_pythonpath_leaves_the_fix_unverified_and_says_why(
    tmp_path: Path,
) -> None:
    """The cost of the in-run check: a step that sets its own ``PYTHONPATH`` drops the folder the
    in-run check is in, pytest cannot load it, and no fix can be verified there; the reason says
    so rather than "still fails"."""
    checkout = tmp_path / "checkout"
    commit_project(checkout, CALC)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    script = "PYTHONPATH=. python -m pytest -q -p no:cacheprovider"
    failing = FailingCommand(job="test", step="Run tests", script=script, failing=script)
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str,
                                   failing_test_files=[FAILING_TEST])  # fmt: skip
        verdict = verifier.verify(Patch(diff=CALC_FIX, source="model", summary="a fix"))
    assert verdict.verdict is Verdict.NOT_PASSED
    assert verdict.reason.startswith(
        "not verified: pytest could not load the fix step's in-run check"
    )


# Red team, fourth pass, second attacker: the judge after the in-run check.

TRACED_ADD = [
    "import sys",
    "def _t(frame, event, arg):",
    "    if event == 'call' and frame.f_code.co_name.startswith('test_'):",
    "        frame.f_globals['add'] = lambda a, b: a + b",
    "sys.settrace(_t)",
]
"""Runs no runner of pytest's in another's place: a tracer rebinds the failing test's own
``add`` as it is called, so the test's body runs, returns, and tests another function."""
FORGED = [
    "import sys",
    "for _name, _module in list(sys.modules.items()):",
    "    if _name.startswith('cicd_check_'):",
    "        _module._changes = lambda: []",
    "        _module._watch = lambda code: (lambda: {'entered': True, 'left': True})",
    "if '_pytest.python' in sys.modules:",
    "    sys.modules['_pytest.python'].Function.runtest = lambda self: None",
]
"""Finds the in-run check by its prefix in ``sys.modules`` (or ``PYTEST_ADDOPTS``) and tells it
what to see."""


def _hidden(lines: list[str]) -> str:
    """``lines`` as UTF-7 shift sequences: what reads as one comment is those lines of code."""
    import base64

    def shifted(text: str) -> str:
        return "+" + base64.b64encode(text.encode("utf-16-be")).decode().rstrip("=") + "-"

    return "# keep imports tidy " + "".join(shifted("\n" + line) for line in lines)


@needs_sandbox
def test_a_tracer_that_rebinds_the_tests_names_is_not_a_verified_fix(tmp_path: Path) -> None:
    verified, reason = _verify_files(tmp_path, CALC, _new_lines("calc/__init__.py", TRACED_ADD))
    assert not verified, reason
    assert "adds code that runs as calc/__init__.py is imported (line 5)" in reason, reason


@needs_sandbox
def test_a_patch_that_talks_to_the_in_run_check_is_not_a_verified_fix(tmp_path: Path) -> None:
    verified, reason = _verify_files(tmp_path, CALC, _new_lines("calc/__init__.py", FORGED))
    assert not verified, reason
    assert "adds code that runs as calc/__init__.py is imported" in reason, reason


@needs_sandbox
def test_code_hidden_in_a_comment_of_a_file_already_declared_utf7_is_refused(
    tmp_path: Path,
) -> None:
    """Attack: the pull request commits ``calc/__init__.py`` declared UTF-7; the patch adds one
    line that reads as a comment and is five lines of code (the tracer above). The encoding
    rule refused only a declaration the patch adds or changes, so this one ran and verified."""
    files = {**CALC, "calc/__init__.py": "# -*- coding: utf-7 -*-\n"}
    diff = (
        "diff --git a/calc/__init__.py b/calc/__init__.py\n--- a/calc/__init__.py\n"
        "+++ b/calc/__init__.py\n@@ -1 +1,2 @@\n # -*- coding: utf-7 -*-\n"
        f"+{_hidden(TRACED_ADD)}\n"
    )
    verified, reason = _verify_files(tmp_path, files, diff)
    assert not verified, reason
    assert reason.startswith("refused: the patch declares calc/__init__.py encoded as utf-7"), (
        reason
    )


@needs_sandbox
def test_an_exit_status_forced_at_exit_does_not_hide_a_failing_test(tmp_path: Path) -> None:
    """Attack: the patch fixes the named test and registers ``os._exit(0)`` at exit; another
    test still fails, pytest's report says so, yet the command exits 0. The report counted only
    the named test, so "the failing command passes twice" was verified while it fails."""
    files = {**CALC, "tests/test_other.py": "def test_other() -> None:\n    assert 1 == 2\n"}
    lines = [
        "import atexit, os",
        "atexit.register(lambda: os._exit(0))",
        "from . import ops",
        "ops.add = lambda a, b: a + b",
    ]
    checkout = tmp_path / "checkout"
    commit_project(checkout, files)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(
            sandbox,
            pytest_failure(),
            watched=PYTEST,
            redact=str,
            failed_test_names=["tests/test_ops.py::test_add"],
        )
        verdict = verifier.verify(
            Patch(diff=_new_lines("calc/__init__.py", lines), source="model", summary="a fix")
        )
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    assert "test_other" in verdict.reason, verdict.reason


UNITTEST_CALC = {
    **CALC,
    "tests/test_ops.py": (
        "import unittest\n\nfrom calc.ops import add\n\n\nclass Ops(unittest.TestCase):\n"
        "    def test_add(self) -> None:\n        self.assertEqual(add(2, 3), 5)\n"
    ),
}


@needs_sandbox
@pytest.mark.parametrize(
    ("files", "script"),
    [
        ({**CALC, "run.sh": "python -m pytest -q -p no:cacheprovider >/dev/null 2>&1\n"},
         "bash run.sh"),
        (UNITTEST_CALC, "python -m unittest -q"),
    ],
    ids=["pytest-behind-a-script", "unittest"],
)  # fmt: skip
def test_a_test_run_whose_log_names_no_test_is_not_judged_by_its_exit_code(
    tmp_path: Path, files: dict[str, str], script: str
) -> None:
    """Attack: the pull request's step runs its tests behind a script that prints nothing (or
    with a runner the in-run check cannot watch), so the log names no failing test and the command
    names no pytest; the exit code was the judge, and ``os._exit(0)`` in ``calc/__init__.py``
    was a verified fix."""
    checkout = tmp_path / "checkout"
    commit_project(checkout, files)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    failing = FailingCommand(job="test", step="Run checks", script=script, failing=script)
    diff = _new_lines("calc/__init__.py", ["import os", "os._exit(0)"])
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str)
        verdict = verifier.verify(Patch(diff=diff, source="model", summary="a fix"))
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    assert verdict.reason.startswith("not verified"), verdict.reason


DOCTEST_CALC = {
    **CALC,
    "calc/ops.py": (
        'def add(a: int, b: int) -> int:\n    """\n    >>> add(2, 3)\n    5\n    """\n'
        "    return a - b\n"
    ),
    "tests/test_ops.py": "def test_nothing() -> None:\n    assert True\n",
}


@needs_sandbox
def test_a_doctest_whose_runner_is_silenced_is_not_a_verified_fix(tmp_path: Path) -> None:
    """Attack: the failing test is a doctest. A doctest item has no function of its own, and
    the in-run check counted a test without one as run; ``DoctestItem.runtest`` set to a no-op from
    ``calc/__init__.py`` passed the doctest with ``add`` still subtracting."""
    checkout = tmp_path / "checkout"
    commit_project(checkout, DOCTEST_CALC)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    script = "python -m pytest -q -p no:cacheprovider --doctest-modules calc tests"
    failing = FailingCommand(job="test", step="Run tests", script=script, failing=script)
    lines = [
        "import sys",
        "_doctest = sys.modules.get('_pytest.doctest')",
        "if _doctest is not None:",
        "    _doctest.DoctestItem.runtest = lambda self: None",
    ]
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str)
        verdict = verifier.verify(
            Patch(diff=_new_lines("calc/__init__.py", lines), source="model", summary="a fix")
        )
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    assert "no function it can watch" in verdict.reason, verdict.reason


@pytest.mark.parametrize(
    "path",
    ["shlex.py", "iniconfig.py", "src/textwrap.py", "json/__init__.py", "packaging/version.py"],
)
def test_a_module_that_runs_before_the_in_run_check_is_refused(tmp_path: Path, path: str) -> None:
    """Attack: ``python -m pytest`` puts the working folder first on ``sys.path``, and pytest
    imports Python's own modules (``shlex``) and its dependencies (``iniconfig``) before its
    ``-p`` plugins: a ``shlex.py`` the patch adds at the root ran before the in-run check loaded
    (it can load the real one, then install an import hook that takes the in-run check's place)."""
    diff = _new_lines(path, ["print('before the in-run check')"]).replace(
        f"--- a/{path}", "new file mode 100644\n--- /dev/null"
    )
    verdict = policy_verdict(diff, tmp_path, failing_test_files=[FAILING_TEST])
    assert not verdict.allowed
    assert "before the fix step's in-run check loads" in verdict.reason, verdict.reason


def test_a_module_named_like_a_library_inside_a_package_may_be_fixed(tmp_path: Path) -> None:
    """``calc/json.py`` is ``calc.json``: no folder on ``sys.path`` makes it ``json``."""
    commit_project(tmp_path, {**CALC, "calc/json.py": ""})
    verdict = policy_verdict(_new_lines("calc/json.py", ["X = 1"]), tmp_path)
    assert verdict.allowed, verdict.reason


@needs_sandbox
def test_a_mypy_plugin_that_ends_mypy_is_not_a_verified_fix(tmp_path: Path) -> None:
    """Attack: the failing step is ``mypy app``, judged by its exit code; the project's
    ``mypy.ini`` loads a plugin from the checkout, and the patch makes it call ``os._exit(0)``:
    mypy ends before it checks anything, and the type error was "fixed"."""
    files = {
        "app/__init__.py": "",
        "app/main.py": "def f() -> int:\n    return 'x'\n",
        "tools/typing_plugin.py": (
            "from mypy.plugin import Plugin\n\n\ndef plugin(version: str) -> type[Plugin]:\n"
            "    return Plugin\n"
        ),
        "mypy.ini": "[mypy]\nplugins = tools/typing_plugin.py\n",
    }
    diff = (
        "diff --git a/tools/typing_plugin.py b/tools/typing_plugin.py\n"
        "--- a/tools/typing_plugin.py\n+++ b/tools/typing_plugin.py\n"
        "@@ -1,5 +1,7 @@\n+import os\n from mypy.plugin import Plugin\n \n \n"
        " def plugin(version: str) -> type[Plugin]:\n+    os._exit(0)\n     return Plugin\n"
    )
    checkout = tmp_path / "checkout"
    commit_project(checkout, files)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    failing = FailingCommand(job="lint", step="Type check", script="mypy app", failing="mypy app")
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str)
        verdict = verifier.verify(Patch(diff=diff, source="model", summary="a fix"))
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    assert "loads into mypy" in verdict.reason, verdict.reason


@needs_sandbox
@pytest.mark.parametrize(
    ("path", "diff"),
    [
        (
            "pyproject.toml",
            "diff --git a/pyproject.toml b/pyproject.toml\n--- a/pyproject.toml\n"
            "+++ b/pyproject.toml\n@@ -1,2 +1,4 @@\n [tool.ruff]\n line-length = 100\n"
            '+[tool.ruff.lint]\n+ignore = ["F401"]\n',
        ),
        (
            "ruff.toml",
            "diff --git a/ruff.toml b/ruff.toml\nnew file mode 100644\n--- /dev/null\n"
            '+++ b/ruff.toml\n@@ -0,0 +1 @@\n+exclude = ["app"]\n',
        ),
    ],
    ids=["pyproject-ignore", "ruff-toml-exclude"],
)
def test_a_lint_failure_is_not_fixed_by_loosening_the_linter(
    tmp_path: Path, path: str, diff: str
) -> None:
    """Attack: ruff fails on an unused import; the patch tells ruff to ignore the rule (or the
    folder) and changes no code. The linter's exit code judges the step, and its settings were
    the patch's to change: "verified"."""
    checkout = tmp_path / "checkout"
    commit_project(checkout, LINT)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    failing = FailingCommand(job="lint", step="Lint", script="ruff check .", failing="ruff check .")
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str)
        verdict = verifier.verify(Patch(diff=diff, source="model", summary="a fix"))
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    assert verdict.reason.startswith("refused: the patch edits a linter's settings"), verdict.reason


@pytest.mark.parametrize(
    "path",
    ["eslint.config.mjs", "web/.eslintrc.cjs", ".prettierrc.json", ".golangci.yml", "mypy.ini",
     ".flake8", ".isort.cfg"],
)  # fmt: skip
def test_a_linters_own_settings_file_is_refused(tmp_path: Path, path: str) -> None:
    diff = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-a\n+b\n"
    verdict = policy_verdict(diff, tmp_path)
    assert not verdict.allowed
    assert verdict.reason.startswith("the patch edits a linter's settings"), verdict.reason


TRIGGERED = {
    **CALC,
    "calc/flags.py": "",
    "calc/__init__.py": "\n".join(
        [
            "import sys",
            "from . import flags",
            "if getattr(flags, 'ON', False):",
            "    def _t(frame, event, arg):",
            "        if event == 'call' and frame.f_code.co_name.startswith('test_'):",
            "            frame.f_globals['add'] = lambda a, b: a + b",
            "    sys.settrace(_t)",
            "",
        ]
    ),
}
"""The pull request's own import-time code holds the tracer above, armed by a constant."""


@needs_sandbox
def test_a_constant_that_arms_the_bases_own_tracer_is_not_a_verified_fix(tmp_path: Path) -> None:
    """Attack: the patch only binds ``ON = True`` in ``calc/flags.py``; the base's
    ``calc/__init__.py`` installs the name-rebinding tracer when it is set. Without the patch
    the test fails, with it the test's body runs and passes: ``add`` still subtracts. The
    constant is a module's line, which the import guard leaves to the static rule (it allows
    it); the guard's audit hook, on for every patch, sees the tracer set before the tests."""
    verified, reason = _verify_files(
        tmp_path, TRIGGERED, _new_lines("calc/flags.py", ["ON = True"])
    )
    assert not verified, reason
    assert reason.startswith("not verified: the checkout's code called sys.settrace before the "
                             "tests started"), reason  # fmt: skip


@needs_sandbox
@pytest.mark.parametrize(
    ("blinds", "said"),
    [
        ("import sys\nsys.setprofile(None)\n",
         "not verified: the checkout's code called sys.setprofile before the tests started"),
        ("import sys\nlist(map(sys.setprofile, [None]))\n",
         "not verified: the checkout's code called sys.setprofile before the tests started"),
    ],
    ids=["set-profile", "set-profile-with-no-call-event"],
)  # fmt: skip
def test_a_base_that_blinds_the_import_guard_leaves_the_fix_unverified(
    tmp_path: Path, blinds: str, said: str
) -> None:
    """Attack: the pull request's ``calc/__init__.py`` removes the profile function the
    in-run check's import guard is, as ``calc`` is imported; a patch's body it then runs would go
    unseen. The guard fails closed: even a real fix is not verified there."""
    verified, reason = _verify_files(tmp_path, {**CALC, "calc/__init__.py": blinds}, CALC_FIX)
    assert not verified, reason
    assert reason.startswith(said), reason


FLAG_BODY = "def on() -> bool:\n    return False\n"
FLAG_BODY_FIX = (
    "diff --git a/calc/flags.py b/calc/flags.py\n--- a/calc/flags.py\n+++ b/calc/flags.py\n"
    "@@ -1,2 +1,2 @@\n def on() -> bool:\n-    return False\n+    return True\n"
)
"""A function body the base calls as it is imported (the guard watches functions' lines; a
module's own lines are the static rule's), and a patch that changes it."""
BLIND_AND_RESTORE = {
    **CALC,
    "calc/flags.py": FLAG_BODY,
    "calc/__init__.py": "\n".join(
        [
            "import functools, sys",
            "_guard = functools.partial(sys.getprofile)()",
            "_cells = [c.cell_contents for c in getattr(_guard, '__closure__', None) or ()]",
            "_armed = [cell for cell in _cells if cell == [True]]",
            "for _switch in _armed:",
            "    _switch[0] = False",
            "from . import flags",
            "if flags.on():",
            "    from . import ops",
            "    ops.add = lambda a, b: a + b",
            "for _switch in _armed:",
            "    _switch[0] = True",
            "",
        ]
    ),
}
"""``add`` replaced when a function of ``calc/flags.py`` says so, with the guard disarmed while
it is called, then armed again: its own objects, found through
``sys.getprofile`` (no profile event when called through ``functools.partial``, no audit
event), changed in place."""


@needs_sandbox
def test_a_base_that_disarms_the_guard_and_arms_it_again_is_not_a_verified_fix(
    tmp_path: Path,
) -> None:
    """Attack: the guard was a Python function whose switch lay in its closure; the base found it
    through ``sys.getprofile`` and turned it off while it asked the patched body. The guard's
    profile function is now ``sys.audit`` bound to a tag: there is nothing to turn off, and the
    patched body is seen."""
    verified, reason = _verify_files(tmp_path, BLIND_AND_RESTORE, FLAG_BODY_FIX)
    assert not verified, reason
    assert reason.startswith("not verified: line 2 of calc/flags.py, which the patch changes, ran "
                             "before the tests started"), reason  # fmt: skip


@needs_sandbox
@pytest.mark.parametrize(
    "lift",
    [
        ["_guard = functools.partial(sys.getprofile)()", "list(map(sys.setprofile, [None]))"],
        ["import ctypes", "ctypes.pythonapi.PyEval_SetProfile(None, None)"],
    ],
    ids=["map", "ctypes"],
)
def test_a_base_that_lifts_the_guard_through_a_call_with_no_profile_event_is_refused(
    tmp_path: Path, lift: list[str]
) -> None:
    """Attack: the pull request's ``calc/__init__.py`` takes the guard off through a call that
    raises no profile event (``map``, ``ctypes``), imports the patched module, sets its tracer
    and puts the guard back. The audit hook the in-run check adds (which cannot be removed) sees
    the call however it is made."""
    init = "\n".join(
        ["import functools, sys", *lift, "from . import flags",
         *TRIGGERED["calc/__init__.py"].splitlines()[2:-1],
         "    list(map(sys.settrace, [_t]))", "list(map(sys.setprofile, [_guard]))", ""]
    )  # fmt: skip
    diff = (
        "diff --git a/calc/flags.py b/calc/flags.py\n--- a/calc/flags.py\n+++ b/calc/flags.py\n"
        "@@ -1 +1 @@\n-ON = False\n+ON = True\n"
    )
    files = {**CALC, "calc/flags.py": "ON = False\n", "calc/__init__.py": init}
    verified, reason = _verify_files(tmp_path, files, diff)
    assert not verified, reason
    assert reason.startswith("not verified: the checkout's code called "), reason


RESPELLED = {
    **CALC,
    "calc/flags.py": FLAG_BODY,
    "calc/__init__.py": "\n".join(
        [
            "import importlib.util, os, sys",
            "_where = os.path.join(os.path.dirname(__file__), '.', 'flags.py')",
            "_spec = importlib.util.spec_from_file_location('calc_flags', _where)",
            "flags = importlib.util.module_from_spec(_spec)",
            "_spec.loader.exec_module(flags)",
            "if flags.on():",
            "    from . import ops",
            "    ops.add = lambda a, b: a + b",
            "",
        ]
    ),
}
"""``add`` replaced when a function of ``calc/flags.py`` says so, that file loaded under a path
the judge never spelled (``calc/./flags.py``)."""


@needs_sandbox
def test_a_patched_module_loaded_under_another_spelling_of_its_path_is_still_seen(
    tmp_path: Path,
) -> None:
    """Attack: the guard knew the patched file by its path as the judge gave it; the pull
    request's ``calc/__init__.py`` loads it as ``calc/./flags.py`` and the patched body it
    calls has it replace ``add``, unseen. The guard asks what file a name it has not seen is."""
    verified, reason = _verify_files(tmp_path, RESPELLED, FLAG_BODY_FIX)
    assert not verified, reason
    assert reason.startswith("not verified: line 2 of "), reason


AFTER_COLLECTION = {
    **CALC,
    "calc/plugins.py": "def setup() -> None:\n    return None\n",
    "tests/conftest.py": (
        "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_collection_finish(session):\n    yield\n"
        "    from calc import plugins\n    plugins.setup()\n"
    ),
}
"""The pull request's conftest runs ``calc.plugins.setup`` once collection has ended, before
the first test: after the import guard's watch, before the in-run check's."""


@needs_sandbox
def test_a_tracer_a_patched_body_sets_between_collection_and_the_tests_is_refused(
    tmp_path: Path,
) -> None:
    """Attack: the patch changes only the body of ``setup`` (nothing runs it at import) to set
    the name-rebinding tracer; the pull request's conftest calls it after collection. The audit
    hook stops a tracer set by the checkout's code as the tests run too."""
    diff = (
        "diff --git a/calc/plugins.py b/calc/plugins.py\n--- a/calc/plugins.py\n"
        "+++ b/calc/plugins.py\n@@ -1,2 +1,2 @@\n def setup() -> None:\n-    return None\n"
        f"+    {EVIL_TRACER}\n"
    )
    verified, reason = _verify_files(tmp_path, AFTER_COLLECTION, diff)
    assert not verified, reason
    assert reason.startswith("not verified: the checkout's code called sys.settrace as the "), (
        reason
    )


EVIL_TRACER = (
    "__import__('sys').settrace(lambda f, e, a: f.f_globals.__setitem__('add', lambda x, y: x + y)"
    " if e == 'call' and f.f_code.co_name.startswith('test_') else None)"
)


SPECIAL_ATTRIBUTES = {
    "named_tuple_class": "from typing import NamedTuple\n\n\nclass P(NamedTuple):\n    a: int = 0\n",
    "namedtuple_with_defaults": (
        "import collections\n\nQ = collections.namedtuple('Q', 'a b', defaults=(1,))\n"
    ),
    "dataclass_with_no_doc": (
        "import dataclasses\n\n\n@dataclasses.dataclass\nclass D:\n    a: int = 0\n"
    ),
    "coroutine": "import asyncio\nimport types\n\n\n@types.coroutine\ndef tick():\n    yield\n",
}
"""Modules of the base, each making objects whose special attributes the standard library sets
as it is imported."""


@pytest.fixture(scope="module")
def special_attributes_fixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bool, str]:
    """The real fix judged once on a base that imports every module of
    :data:`SPECIAL_ATTRIBUTES`: one that the guard took for a change would refuse it, so each
    module's test reads this one verdict (a full verification each cost three sandboxed runs).
    Also the base's ``calc/__init__.py``."""
    init = "".join(f"from . import {name}\n" for name in SPECIAL_ATTRIBUTES)
    made = {f"calc/{name}.py": text for name, text in SPECIAL_ATTRIBUTES.items()}
    files = {**CALC, "calc/__init__.py": init, **made}
    return (init, *_verify_files(tmp_path_factory.mktemp("special"), files, CALC_FIX))


@needs_sandbox
@pytest.mark.parametrize("name", list(SPECIAL_ATTRIBUTES))
def test_a_real_fix_verifies_where_the_standard_library_sets_special_attributes(
    special_attributes_fixed: tuple[str, bool, str], name: str
) -> None:
    """Common sense: a named tuple's defaults, a class's name or doc, a coroutine's code are
    special attributes the standard library sets as the project's modules are imported (as
    ``asyncio`` is); the audit hook stops a function's code the checkout's own code swaps, or
    the guard's or the runner's own objects changed."""
    init, verified, reason = special_attributes_fixed
    assert f"from . import {name}\n" in init
    assert verified, reason


@needs_sandbox
def test_a_data_file_that_arms_the_bases_own_tracer_is_not_a_verified_fix(
    tmp_path: Path,
) -> None:
    """Attack: the patch changes no Python file, only a text file the base's ``calc/__init__.py``
    reads to install its name-rebinding tracer. The guard's audit hook is on for every patch,
    not only for one with lines in functions."""
    init = TRIGGERED["calc/__init__.py"].replace(
        "from . import flags\nif getattr(flags, 'ON', False):",
        "import os\nif open(os.path.join(os.path.dirname(__file__), 'flags.txt')).read():",
    )
    files = {**CALC, "calc/flags.txt": "", "calc/__init__.py": init}
    verified, reason = _verify_files(tmp_path, files, _new_lines("calc/flags.txt", ["on"]))
    assert not verified, reason
    assert reason.startswith(  # the guard knows every patched file: the read stops it first
        "not verified: the checkout's code read calc/flags.txt, which the patch changes"
    ), reason


FOLDED_BODY = "def on() -> bool:\n    said = (1 +\n            0)\n    return said == 2\n"
FOLDED_FIX = (
    "diff --git a/calc/flags.py b/calc/flags.py\n--- a/calc/flags.py\n+++ b/calc/flags.py\n"
    "@@ -1,4 +1,4 @@\n def on() -> bool:\n     said = (1 +\n-            0)\n"
    "+            1)\n     return said == 2\n"
)
"""A body whose changed line holds no instruction of its own: the compiler folds ``1 + 0`` into
one constant, whose instruction carries the line the sum starts on."""


@needs_sandbox
def test_a_patched_line_folded_into_a_constant_is_still_seen_before_the_tests(
    tmp_path: Path,
) -> None:
    """Attack: the base calls ``flags.on`` as ``calc`` is imported and replaces ``add`` when it
    says so; the patch changes only the second operand of a sum the compiler folds into one
    constant, a line no instruction of ``on`` names. The judge also gives the guard the first
    line of each expression around a changed line (its folded constant's line)."""
    init = "from . import flags\nif flags.on():\n    from . import ops\n    ops.add = lambda a, b: a + b\n"
    files = {**CALC, "calc/flags.py": FOLDED_BODY, "calc/__init__.py": init}
    verified, reason = _verify_files(tmp_path, files, FOLDED_FIX)
    assert not verified, reason
    assert reason.startswith("not verified: line 2 of calc/flags.py"), reason


CALLED_UNSEEN = {
    "code-copy": [
        "from . import flags",
        "_on = type(flags.on)(flags.on.__code__.replace(co_filename='<flags>'), vars(flags))",
    ],
    "exec-text": [
        "import os",
        "_ns: dict = {}",
        "_text = open(os.path.join(os.path.dirname(__file__), 'flags.py')).read()",
        "exec(compile(_text, '<flags>', 'exec'), _ns)",
        "_on = _ns['on']",
    ],
    "folder-descriptor": [
        "import os",
        "_ns: dict = {}",
        "_fd = os.open(os.path.dirname(__file__), os.O_RDONLY)",
        "_text = os.read(os.open('flags.py', os.O_RDONLY, dir_fd=_fd), 4096).decode()",
        "exec(compile(_text, '<flags>', 'exec'), _ns)",
        "_on = _ns['on']",
    ],
    "subprocess": [
        "import subprocess, sys",
        "_said = subprocess.run([sys.executable, '-c', 'from calc.flags import on; print(on())'],",
        "                       capture_output=True, text=True).stdout.strip()",
        "_on = lambda: _said == 'True'",
    ],
}
"""Ways the base's ``calc/__init__.py`` runs the patched body of ``flags.on`` as it is imported
with no frame of that file's code: a copy of its code under another file name, its text
compiled under another name (read by its path, or by its name from its folder's descriptor,
which the open's audit event does not give), another Python process with no guard."""
SEEN_AS = {
    "code-copy": "not verified: the checkout's code called code.__new__ before the tests started",
    "exec-text": "not verified: the checkout's code read calc/flags.py, which the patch changes "
    "or the fix step cannot tell from it, before the tests started other than by importing it",
    "folder-descriptor": "not verified: the checkout's code read flags.py, which the patch "
    "changes or the fix step cannot tell from it, before the tests started",
    "subprocess": "not verified: the checkout's code called subprocess.Popen before the tests "
    "started",
}


@needs_sandbox
@pytest.mark.parametrize("how", list(CALLED_UNSEEN))
def test_a_patched_body_the_base_runs_by_another_name_before_the_tests_is_seen(
    tmp_path: Path, how: str
) -> None:
    init = "\n".join(
        [*CALLED_UNSEEN[how], "if _on():", "    from . import ops",
         "    ops.add = lambda a, b: a + b", ""]
    )  # fmt: skip
    files = {**CALC, "calc/flags.py": FLAG_BODY, "calc/__init__.py": init}
    verified, reason = _verify_files(tmp_path, files, FLAG_BODY_FIX)
    assert not verified, reason
    assert reason.startswith(SEEN_AS[how]), reason


SETUP_HOOK = {
    **CALC,
    "calc/flags.py": FLAG_BODY,
    "tests/conftest.py": (
        "def pytest_runtest_setup(item):\n    from calc import flags\n    if flags.on():\n"
        "        item.module.add = lambda a, b: a + b\n"
    ),
}
"""The pull request's conftest calls ``flags.on`` as each test is set up, after the guard's
watch, and rebinds the test module's ``add`` when it says so."""


@needs_sandbox
def test_a_conftest_that_asks_a_patched_body_as_tests_are_set_up_is_not_a_verified_fix(
    tmp_path: Path,
) -> None:
    """Attack: the conftest asks the patched body as each test is set up, after collection,
    and rebinds the test module's ``add`` on its answer. The guard watches every test's setup."""
    verified, reason = _verify_files(tmp_path, SETUP_HOOK, FLAG_BODY_FIX)
    assert not verified, reason
    assert reason.startswith("not verified: line 2 of calc/flags.py, which the patch changes, ran "
                             "as the tests were set up"), reason  # fmt: skip


GUARD_TAMPERS = {
    "end-asked-early": (
        ["import sys",
         "for _name, _module in list(sys.modules.items()):",
         "    if _name.startswith('cicd_check_') and _name.endswith('_guard'):",
         "        _module.end('collected')"],
        "not verified: the fix step's watch on what runs before the tests was ended by other code",
    ),
    "own-audit-hook": (
        ["import sys", "_said = []",
         "def _hook(event, args):",
         "    if event == 'cicd.check.guard' and not _said:",
         "        from . import flags",
         "        _said.append(flags.on())",
         "sys.addaudithook(_hook)"],
        "not verified: the checkout's code called sys.addaudithook before the tests started",
    ),
}  # fmt: skip
"""The base's ``calc/__init__.py`` asks the guard's own end of its first watch, or adds an audit
hook of its own, which runs inside the guard's profile events (no profile event for its calls)
and could ask the patched body there."""


@needs_sandbox
@pytest.mark.parametrize("how", list(GUARD_TAMPERS))
def test_a_base_that_ends_the_guards_watch_or_hooks_its_events_is_not_a_verified_fix(
    tmp_path: Path, how: str
) -> None:
    lines, said = GUARD_TAMPERS[how]
    init = "\n".join([*lines, "from . import flags", "if flags.on():", "    from . import ops",
                      "    ops.add = lambda a, b: a + b", ""])  # fmt: skip
    files = {**CALC, "calc/flags.py": FLAG_BODY, "calc/__init__.py": init}
    verified, reason = _verify_files(tmp_path, files, FLAG_BODY_FIX)
    assert not verified, reason
    assert reason.startswith(said), reason


UNNAMED_HOOK = {
    **CALC,
    "calc/flags.py": "ON = False\n",
    "tests/conftest.py": "\n".join(
        [
            "_SOURCE = '''",
            "def pytest_collection_modifyitems(items):",
            "    from calc import flags",
            "    if flags.ON:",
            f"        {EVIL_TRACER}",
            "'''",
            "_found: dict = {}",
            "exec(compile(_SOURCE, '/nowhere/hook.py', 'exec'), _found)",
            "pytest_collection_modifyitems = _found['pytest_collection_modifyitems']",
            "",
        ]
    ),
}
"""The pull request's conftest defines its collection hook from text compiled under a path
outside the checkout; pytest calls it with no frame of the checkout on the stack, and it sets
the name-rebinding tracer when the constant ``ON`` is set."""


@needs_sandbox
def test_a_tracer_set_by_checkout_code_compiled_under_another_path_is_refused(
    tmp_path: Path,
) -> None:
    """Attack: the patch only sets ``ON = True``; the base's hook, compiled under
    ``/nowhere/hook.py`` and called by pytest during collection, then sets the tracer that
    rebinds ``add`` as the test starts."""
    diff = (
        "diff --git a/calc/flags.py b/calc/flags.py\n--- a/calc/flags.py\n+++ b/calc/flags.py\n"
        "@@ -1 +1 @@\n-ON = False\n+ON = True\n"
    )
    verified, reason = _verify_files(tmp_path, UNNAMED_HOOK, diff)
    assert not verified, reason


PLANTED_HOOK = {
    **CALC,
    "calc/flags.py": "ON = False\n",
    "tests/conftest.py": "\n".join(
        [
            "import importlib, os, sys, tempfile",
            "_folder = tempfile.mkdtemp()",
            "with open(os.path.join(_folder, 'planted_hook.py'), 'w') as _file:",
            "    _file.write('''",
            "def pytest_collection_modifyitems(items):",
            "    from calc import flags",
            "    if flags.ON:",
            f"        {EVIL_TRACER}",
            "''')",
            "sys.path.insert(0, _folder)",
            "pytest_collection_modifyitems = importlib.import_module('planted_hook')"
            ".pytest_collection_modifyitems",
            "",
        ]
    ),
}
"""As :data:`UNNAMED_HOOK`, the hook written to a file outside the checkout and imported."""


@needs_sandbox
def test_a_tracer_set_by_a_module_the_checkout_writes_elsewhere_is_refused(
    tmp_path: Path,
) -> None:
    """Attack: as above, the hook written to a file in a new temporary folder and imported from
    there. Code counts as the checkout's unless it lies in the interpreter's folders or those
    on ``sys.path`` as the in-run check loads."""
    diff = (
        "diff --git a/calc/flags.py b/calc/flags.py\n--- a/calc/flags.py\n+++ b/calc/flags.py\n"
        "@@ -1 +1 @@\n-ON = False\n+ON = True\n"
    )
    verified, reason = _verify_files(tmp_path, PLANTED_HOOK, diff)
    assert not verified, reason


CALLED_FROM_C = {
    "sorted-key": ["from . import flags", "_on = lambda: sorted([0], key=lambda _: flags.on())"],
    "reduce": ["import functools", "from . import flags",
               "_on = lambda: functools.reduce(lambda _a, _b: flags.on(), [0, 1])"],
    "finalizer": ["import weakref", "from . import flags", "class _T: pass", "_said = []",
                  "weakref.finalize(_x := _T(), lambda: _said.append(flags.on()))", "del _x",
                  "_on = lambda: bool(_said and _said[0])"],
    "fork": ["import os", "from . import flags", "_r, _w = os.pipe()", "if os.fork() == 0:",
             "    os.write(_w, b'1' if flags.on() else b'0')", "    os._exit(0)",
             "os.close(_w)", "_on = lambda: os.read(_r, 1) == b'1'"],
}  # fmt: skip
"""The base's ``calc/__init__.py`` runs the patched ``flags.on`` as it is imported through C
(a sort key, ``functools.reduce``, a finalizer) or in a forked child."""


@needs_sandbox
@pytest.mark.parametrize("how", list(CALLED_FROM_C))
def test_a_patched_body_the_base_runs_through_c_or_a_fork_before_the_tests_is_seen(
    tmp_path: Path, how: str
) -> None:
    """Attack that held: the profile function sees a Python function entered however it is
    called, and a forked child keeps it."""
    init = "\n".join(
        [*CALLED_FROM_C[how], "if _on():", "    from . import ops",
         "    ops.add = lambda a, b: a + b", ""]
    )  # fmt: skip
    files = {**CALC, "calc/flags.py": FLAG_BODY, "calc/__init__.py": init}
    verified, reason = _verify_files(tmp_path, files, FLAG_BODY_FIX)
    assert not verified, reason


# ------------------------------------------ Attacks: a base that tells the baseline from the rest
# Red team, fifth pass (fix judge). The baseline (does the failure reproduce without the patch?)
# is judged like any run: the base is attacker input, and a base that fails only when it is not
# watched, or only in the baseline's copy, makes every patch "verified". Each base below behaves
# by a sign the baseline run alone gave it; the patch is a comment.

BASELINE_TELLS = {
    "in-run check-variable": "os.environ.get('CICD_FIX_CHECK_STREAM')",
    "pytest-addopts": "'cicd_check_' in os.environ.get('PYTEST_ADDOPTS', '')",
    "guard-variable": "'CICD_FIX_CHECK_PATCHED' in os.environ",
    "proc-environ": "b'CICD_FIX_CHECK_PATCHED' in open('/proc/self/environ', 'rb').read()",
    "working-folder": "'-run' not in os.getcwd()",
}
"""What the base's ``add`` asks to decide whether it is watched (a patched run) or not."""
COMMENT_PATCH = (
    "diff --git a/calc/__init__.py b/calc/__init__.py\n--- a/calc/__init__.py\n"
    "+++ b/calc/__init__.py\n@@ -0,0 +1 @@\n+# fixed\n"
)


@needs_sandbox
@pytest.mark.parametrize("how", list(BASELINE_TELLS))
def test_a_base_that_fails_only_in_the_baseline_verifies_no_patch(tmp_path: Path, how: str) -> None:
    """Attack: the base's ``add`` subtracts unless it sees a sign of a judged run; the baseline
    got none of the in-run check's variables and a folder of its own name, so a comment verified."""
    ops = (
        "import os\n\n\ndef add(a: int, b: int) -> int:\n"
        f"    if {BASELINE_TELLS[how]}:\n        return a + b\n    return a - b\n"
    )
    verified, reason = _verify_files(tmp_path, {**CALC, "calc/ops.py": ops}, COMMENT_PATCH)
    assert not verified, reason


_FLAGS_PATH = "os.path.join(os.path.dirname(os.path.abspath(__file__)), 'flags.py')"
PATCH_SENSED = {
    "stat-size-at-import": {
        "calc/__init__.py": "import os\n"
        f"_on = os.stat({_FLAGS_PATH}).st_size != {len(FLAG_BODY)}\n"
        "if _on:\n    from . import ops\n    ops.add = lambda a, b: a + b\n",
    },
    "read-in-the-call": {
        "calc/ops.py": "import os\n\n\ndef add(a: int, b: int) -> int:\n"
        f"    if 'True' in open({_FLAGS_PATH}).read():\n        return a + b\n"
        "    return a - b\n",
    },
    "call-hookwrapper": {
        "tests/conftest.py": "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_call(item):\n    from calc import flags\n    if flags.on():\n"
        "        item.module.add = lambda a, b: a + b\n    yield\n",
    },
    "partial-thread": {
        "calc/__init__.py": "import _thread, functools\nfrom . import flags\n_said = []\n"
        "_done = _thread.allocate_lock()\n_done.acquire()\n"
        "def _ask():\n    _said.append(flags.on())\n    _done.release()\n"
        "functools.partial(_thread.start_new_thread, _ask, ())()\n_done.acquire()\n"
        "if _said[0]:\n    from . import ops\n    ops.add = lambda a, b: a + b\n",
    },
}
"""A base that learns whether the patch is there (``flags.on`` now says True) other than by
running the patched body in a window the guard watches, and makes ``add`` right on it."""
PATCH_READ = {
    "comment-read-at-import": (
        {
            "calc/ops.py": "import os\n\n_HERE = os.path.dirname(os.path.abspath(__file__))\n"
            "_ON = '# fixed' in open(os.path.join(_HERE, '__init__.py')).read()\n\n\n"
            "def add(a: int, b: int) -> int:\n    return a + b if _ON else a - b\n"
        },
        COMMENT_PATCH,
    ),
    "other-loader": (
        {
            "calc/__init__.py": "import importlib.util, os\n"
            "_spec = importlib.util.spec_from_loader('_f', importlib.machinery.SourceFileLoader("
            "'_f', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'flags.py')))\n"
            "_m = importlib.util.module_from_spec(_spec)\n"
            "try:\n    _spec.loader.exec_module(_m)\nexcept Exception:\n    _m = None\n"
            "from . import ops\nif _m is not None and _m.on():\n    ops.add = lambda a, b: a + b\n"
        },
        FLAG_BODY_FIX,
    ),
}
"""A base that reads a patched file whose change lies in no function (a comment), or loads a
patched module with a loader of its own choosing, as it is imported."""


@needs_sandbox
@pytest.mark.parametrize("how", list(PATCH_READ))
def test_a_base_that_reads_the_patch_as_it_is_imported_is_not_a_verified_fix(
    tmp_path: Path, how: str
) -> None:
    extra, diff = PATCH_READ[how]
    verified, reason = _verify_files(tmp_path, {**CALC, "calc/flags.py": FLAG_BODY, **extra}, diff)
    assert not verified, reason


SENSED_UNSEEN = {
    "stat-size-at-import": "the guard stops opens, links and moves of a patched file, and "
    "os.stat raises no audit event: a base that reads the patched file's size as it is imported "
    "knows the patch is there",
    "read-in-the-call": "the guard watches import, collection and each test's setup, not the "
    "failing test's call: code of the base the test calls may read the patched file then (a "
    "test reading a data file the fix changes does the same, so it cannot be refused)",
    "call-hookwrapper": "a conftest's pytest_runtest_call hookwrapper runs after the setup the "
    "guard watches and before the test's body, unwatched: it can run the patched body and "
    "rebind the test's names on its answer",
    "partial-thread": "Python 3.11 raises no audit event as _thread.start_new_thread starts a "
    "thread, a profile function is the calling thread's alone, and a call through "
    "functools.partial makes no c_call event: the thread runs the patched body unwatched",
}
"""Why each base of :data:`PATCH_SENSED` still passes a patch (red team, fifth pass). Streaming
the in-run check's records closes none of them: each base learns of the patch by means the
in-run check never sees, and writes no record. No in-run check inside the tests' process can: so a
model's patch the tests pass is labelled checked, never verified
(:func:`~cicd_agent.verify.contract.checked`), and on the pull request's own code it is no proof
either."""


@needs_sandbox
@pytest.mark.parametrize("how", list(SENSED_UNSEEN))
def test_a_base_that_senses_the_patch_passes_it_and_the_fix_says_only_checked(
    tmp_path: Path, how: str
) -> None:
    """The pass stands (:data:`SENSED_UNSEEN` says why no in-run check sees it), even on code from
    someone who can push; what the reader is told is what it shows: the tests passed with it."""
    files = {**CALC, "calc/flags.py": FLAG_BODY, **PATCH_SENSED[how]}
    verdict = _verdict(tmp_path, files, FLAG_BODY_FIX, code_is_proof=True)
    assert verdict.verdict is Verdict.VERIFIED and verdict.tests >= 1, verdict.reason
    assert checked(verdict.tests) == (  # the word every reader shows (the fix step's label too)
        f"checked: {verdict.tests} test{'s pass' if verdict.tests > 1 else ' passes'} with it"
    )


@needs_sandbox
def test_a_base_whose_other_command_fails_only_in_the_baseline_hides_no_regression(
    tmp_path: Path,
) -> None:
    """Attack: the step's other command fails only in the copy its run without the patch got (a
    folder of its own name), so every patch "passes without it too" and a regression goes
    unseen. Its run without the patch takes the patched copy's path, after the failing
    command, as the patched copy's does."""
    files = {**CALC, "check_docs.py": "import os\n"
             "assert '-rest' not in os.getcwd() and open('README').read() == 'a + b\\n'\n",
             "README": "a + b\n"}  # fmt: skip
    script = "python -m pytest -q -p no:cacheprovider\npython check_docs.py"
    failing = FailingCommand("test", "Run tests", script, "python -m pytest -q -p no:cacheprovider")
    verifier = _verifier(tmp_path, files, failing)
    breaks_docs = CALC_FIX + (
        "diff --git a/README b/README\n--- a/README\n+++ b/README\n@@ -1 +1 @@\n-a + b\n+a - b\n"
    )
    with verifier.sandbox:
        verdict = verifier.verify(_patch(breaks_docs))
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    assert verdict.reason.startswith("regression: the step's other commands pass without")


@needs_sandbox
@pytest.mark.xfail(
    strict=True,
    reason="red team: importing a patched module before the tests is allowed (a test module "
    "does so as it is collected), and reading its objects raises no event: a base that reads a "
    "patched function's code (co_consts, co_code) as it is imported tells the patch is there "
    "without running it",
)
def test_a_base_that_reads_a_patched_functions_constants_is_not_a_verified_fix(
    tmp_path: Path,
) -> None:
    """Attack: the base imports the patched module (as the import system does) and reads its
    function's constants as ``calc`` is imported, never running its body."""
    init = (
        "from . import flags, ops\nif True in flags.on.__code__.co_consts:\n"
        "    ops.add = lambda a, b: a + b\n"
    )
    files = {**CALC, "calc/flags.py": FLAG_BODY, "calc/__init__.py": init}
    verified, reason = _verify_files(tmp_path, files, FLAG_BODY_FIX)
    assert not verified, reason


FORGER = [
    "def add(a: int, b: int) -> int:",
    "    import atexit, json, os, shlex",
    "    def forge() -> None:",
    "        words = shlex.split(os.environ['PYTEST_ADDOPTS'])",
    "        path = [w for w in words if w.startswith('--junitxml=')][-1].split('=', 1)[1]",
    "        with open(path, 'w') as report:",
    '            report.write(\'<testsuites><testsuite name="pytest" errors="0" failures="0" \'',
    '                         \'skipped="0" tests="1"><testcase classname="tests.test_ops" \'',
    '                         \'name="test_add" time="0.001" /></testsuite></testsuites>\')',
    "        stream = int(os.environ[os.environ['CICD_FIX_CHECK_STREAM']])",
    "        for record in ({'loaded': True, 'origins': {}}, {'guard': {'intact': True}},",
    "                       {'setup_watched': {'watched': True}},",
    "                       {'test': 'tests/test_ops.py::test_add', 'function': True,",
    "                        'ran': True, 'changed': []}):",
    "            line = json.dumps({'pid': os.getpid(), **record})",
    "            os.write(stream, ('\\n' + line + '\\n').encode())",
    "        os._exit(0)",
    "    atexit.register(forge)",
    "    return a - b",
]
"""A patch whose ``add`` still subtracts and, as pytest's process ends, rewrites the JUnit report
(its path is in the run's environment) and streams forged in-run check records after the real ones,
then exits 0. Closed: the records reach the host as they are written, the first of each test is
kept, and the failure pytest reported as the test ran is already there."""


@needs_sandbox
def test_a_patch_that_rewrites_the_evidence_at_exit_is_not_a_verified_fix(tmp_path: Path) -> None:
    body = "".join(f"+{line}\n" for line in FORGER)
    diff = (
        "diff --git a/calc/ops.py b/calc/ops.py\n--- a/calc/ops.py\n+++ b/calc/ops.py\n"
        f"@@ -1,2 +1,{len(FORGER)} @@\n-def add(a: int, b: int) -> int:\n-    return a - b\n{body}"
    )
    verified, reason = _verify_files(tmp_path, CALC, diff)
    assert not verified, reason
