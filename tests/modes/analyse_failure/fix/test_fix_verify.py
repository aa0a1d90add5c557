"""The verifier on real projects, real git, real pytest, the real sandbox: a patch is offered only
when the failed commit's failing command passes with it, twice, and nothing else in the step
breaks."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.modes.analyse_failure.fix.checkout import checkout_problem
from cicd_agent.modes.analyse_failure.fix.contract import FailingCommand, Patch
from cicd_agent.modes.analyse_failure.fix.verify import SandboxVerifier, VerifierSettings
from cicd_agent.sandbox import RunResult, Sandbox, Workspace
from tests.helpers.fix_projects import (
    CALC,
    CALC_FIX,
    CALC_USELESS_FIX,
    commit_project,
    git,
    pytest_failure,
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
        sandbox, failing or pytest_failure(), redact=lambda text: text.replace(TOKEN, "***")
    )


def _patch(diff: str) -> Patch:
    return Patch(diff=diff, source="model", summary="a patch")


def test_a_patch_that_fixes_the_failing_test_is_verified_by_two_passing_runs(
    tmp_path: Path,
) -> None:
    verifier = _verifier(tmp_path, CALC)
    with verifier.sandbox:
        verdict = verifier.verify(_patch(CALC_FIX))
    assert verdict.verified, verdict.reason
    baseline, first, second = verdict.runs
    assert not baseline.passed and "assert -1 == 5" in baseline.output
    assert first.passed and second.passed and "1 passed" in second.output


def test_a_patch_that_changes_something_else_is_not_verified(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, CALC)
    with verifier.sandbox:
        verdict = verifier.verify(_patch(CALC_USELESS_FIX))
    assert not verdict.verified
    assert verdict.reason.startswith("the failing command still fails with the patch (first run")


def test_a_patch_that_does_not_apply_to_the_failed_commit_is_not_verified(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, CALC)
    stale = CALC_FIX.replace("-    return a - b", "-    return a * b")
    with verifier.sandbox:
        verdict = verifier.verify(_patch(stale))
    assert not verdict.verified
    assert verdict.reason == "the patch does not apply to the failed commit"
    assert "patch does not apply" in verdict.runs[-1].output


class _CountingSandbox(Sandbox):
    """The real sandbox, keeping the argv of every launch."""

    def __init__(self, checkout: Path, environ: dict[str, str]) -> None:
        super().__init__(checkout, environ)
        self.launches: list[list[str]] = []

    def run(self, command: Sequence[str], space: Workspace, **kwargs: Any) -> RunResult:
        self.launches.append(list(command))
        return super().run(command, space, **kwargs)


def test_a_patch_is_applied_in_one_sandbox_launch_whose_failure_is_the_check(
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "checkout"
    commit_project(checkout, CALC)
    sandbox = _CountingSandbox(checkout, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    verifier = SandboxVerifier(sandbox, pytest_failure(), redact=str)
    added = (
        "diff --git a/calc/extra.py b/calc/extra.py\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/calc/extra.py\n@@ -0,0 +1 @@\n+LEFT_BEHIND = True\n"
    )
    stale = added + CALC_FIX.replace("-    return a - b", "-    return a * b")
    with sandbox:
        assert verifier.verify(_patch(CALC_FIX)).verified
        verdict = verifier.verify(_patch(stale))
    applies = [argv for argv in sandbox.launches if argv[0] == "git" and "apply" in argv]
    assert [argv[-3:-1] for argv in applies] == [["apply", "--"]] * 2
    assert verdict.reason == "the patch does not apply to the failed commit"
    assert "patch does not apply" in verdict.runs[-1].output
    # Why one launch is enough: git applies every hunk or none.
    (tmp_path / "stale.diff").write_text(stale)
    with pytest.raises(subprocess.CalledProcessError):
        git(checkout, "apply", str(tmp_path / "stale.diff"))
    assert not (checkout / "calc" / "extra.py").exists()


def test_the_patch_never_touches_the_checkout_itself(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, CALC)
    with verifier.sandbox:
        assert verifier.verify(_patch(CALC_FIX)).verified
    assert "a - b" in (tmp_path / "checkout" / "calc" / "ops.py").read_text()


def test_a_failure_that_does_not_reproduce_in_the_sandbox_verifies_nothing(
    tmp_path: Path,
) -> None:
    passing = {**CALC, "calc/ops.py": "def add(a: int, b: int) -> int:\n    return a + b\n"}
    verifier = _verifier(tmp_path, passing)
    with verifier.sandbox:
        verdict = verifier.verify(_patch(CALC_FIX.replace("a - b", "a + b", 1)))
    assert not verdict.verified
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
        assert verifier.verify(_patch(CALC_FIX)).verified
        verdict = verifier.verify(_patch(breaks_docs))
    assert not verdict.verified
    assert verdict.reason.startswith("regression: the step's other commands pass without")


def test_a_patch_editing_a_workflow_is_refused_before_it_is_applied(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, CALC)
    workflow = CALC_FIX + (
        "diff --git a/.github/workflows/ci.yml b/.github/workflows/ci.yml\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/.github/workflows/ci.yml\n@@ -0,0 +1 @@\n+on: push\n"
    )
    with verifier.sandbox:
        verdict = verifier.verify(_patch(workflow))
    assert not verdict.verified
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
    verifier = SandboxVerifier(sandbox, failing, redact=str)
    with sandbox:
        outcome = verifier.run_failing(None)
    assert not outcome.passed
    assert "['nightly-7', None]" in outcome.output
    assert password not in outcome.output


def test_the_checkout_must_be_the_failed_commit_with_nothing_changed(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    head = commit_project(checkout, CALC)
    assert checkout_problem(checkout, head) == ""
    other = "0" * 40
    assert checkout_problem(checkout, other) == (
        f"the checkout is at {head[:12]}, not the failed commit 000000000000 "
        "(check out the run's head_sha)"
    )
    (checkout / "calc" / "ops.py").write_text("changed = True\n")
    assert checkout_problem(checkout, head) == (
        "tracked files in the checkout differ from the failed commit"
    )
    git(checkout, "checkout", "-q", "--", ".")
    assert checkout_problem(tmp_path, head) == f"{tmp_path} is not a git checkout"


def test_a_spent_time_budget_stops_the_runs_and_offers_nothing(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    commit_project(checkout, CALC)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    slow = FailingCommand("test", "Run tests", "sleep 30", "sleep 30")
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(
            sandbox, slow, redact=str, settings=VerifierSettings(run_timeout=60, budget=1)
        )
        verdict = verifier.verify(_patch(CALC_FIX))
    assert not verdict.verified
    assert verdict.runs[0].timed_out  # the baseline was cut at the budget, not at 60 s
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


def _header_log(script: str, env: dict[str, str]) -> list[str]:
    """A failed step as the runner logs it: the script in cyan, its shell, its ``env:``."""
    return [
        f"##[group]Run {script.splitlines()[0]}",
        *(f"\x1b[36;1m{line}\x1b[0m" for line in script.splitlines()),
        "shell: /usr/bin/bash -e {0}",
        "env:",
        *(f"  {name}: {value}" for name, value in env.items()),
        "##[endgroup]",
        "FAILED tests/test_ops.py::test_add",
        "##[error]Process completed with exit code 1.",
    ]


def test_the_logs_env_never_reaches_the_host_side_nor_chooses_what_is_bound(
    tmp_path: Path,
) -> None:
    """Attack: the failed step's ``env:`` (the pull request shapes it) sets ``LD_PRELOAD`` to a
    library the pull request committed, and ``PATH`` to ``/tmp``. Neither may reach the host
    side: the library never loads in the bwrap process, and the host's ``/tmp`` stays hidden.
    The step's harmless variables still reach the run."""
    from cicd_agent.modes.analyse_failure.fix.command import parse_failing_command

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
    failing = parse_failing_command("test", _header_log(script, env))
    assert failing is not None and dict(failing.env)["LD_PRELOAD"] == "./lib.so"
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "GITHUB_TOKEN": TOKEN}
    with Sandbox(checkout, environ, known_secrets=[TOKEN]) as sandbox:
        verifier = SandboxVerifier(sandbox, failing, redact=str)
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
        sandbox, pytest_failure(), redact=str, failing_tests=["tests/test_ops.py"]
    )
    renamed = CALC_FIX + (
        "diff --git a/calc/__init__.py b/calc/__init__.py\nsimilarity index 100%\n"
        "rename from tests/test_ops.py\nrename to tests/ops_disabled.txt\n"
    )
    with sandbox:
        verdict = verifier.verify(_patch(renamed))
    assert not verdict.verified
    assert verdict.reason.startswith("refused: the patch edits a test file (tests/ops_disabled")
    assert verdict.runs == ()
