"""The claim "this new test fails on the head and passes with the fix", judged by the one
verifier on a real project, real git, real pytest, the real sandbox. The attacks: a test that
passes anyway (shows no bug), one that fails with the fix too, one that reaches outside a new
test file (an existing test, a conftest, a path out of the checkout), and a pass on code
whose author cannot push, which is checked, never verified."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.fix.judge.claims import (
    FailingCommand,
    FailsThenPasses,
    Patch,
    Verdict,
)
from cicd_agent.modes.analyse_failure.fix.judge.fail_to_pass import (
    judge,
    new_test_claim,
    new_test_patch,
)
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Sandbox
from tests.helpers.fix_projects import commit_project
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

MEAN = {
    "calc/__init__.py": "",
    "calc/ops.py": "def mean(xs):\n    return sum(xs) / len(xs)\n",
    "tests/__init__.py": "",
    "tests/test_ops.py": "def test_mean():\n    from calc.ops import mean\n\n"
    "    assert mean([2, 4]) == 3\n",
}
"""A script crash no test catches: ``mean([])`` divides by zero."""
MEAN_FIX = Patch(
    diff=(
        "diff --git a/calc/ops.py b/calc/ops.py\n--- a/calc/ops.py\n+++ b/calc/ops.py\n"
        "@@ -1,2 +1,2 @@\n def mean(xs):\n-    return sum(xs) / len(xs)\n"
        "+    return sum(xs) / len(xs) if xs else 0.0\n"
    ),
    source="model",
    summary="mean of nothing is 0",
)
SHOWS_THE_BUG = (
    "def test_mean_of_nothing():\n    from calc.ops import mean\n\n    assert mean([]) == 0.0\n"
)
CRASH = FailingCommand(job="report", step="Report", script="python -c 'from calc.ops import "
                       "mean; print(mean([]))'", failing="python -c 'from calc.ops import mean; "
                       "print(mean([]))'")  # fmt: skip


def _verifier(tmp_path: Path, *, code_is_proof: bool = True) -> SandboxVerifier:
    checkout = tmp_path / "checkout"
    commit_project(checkout, MEAN)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    sandbox = Sandbox(checkout, environ, known_secrets=[])
    return SandboxVerifier(sandbox, CRASH, watched=PYTEST, redact=lambda t: t,
                           code_is_proof=code_is_proof)  # fmt: skip


def _claim(verifier: SandboxVerifier, content: str, path: str = "tests/test_mean_empty.py"):  # type: ignore[no-untyped-def]
    claim = new_test_claim(path, content, MEAN_FIX, verifier.sandbox.checkout)
    assert isinstance(claim, FailsThenPasses), claim
    return claim


@needs_sandbox
def test_a_test_that_fails_without_the_fix_and_passes_with_it_is_verified(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path)
    with verifier.sandbox:
        verdict = judge(verifier, _claim(verifier, SHOWS_THE_BUG))
    assert verdict.verdict is Verdict.VERIFIED, verdict.reason
    before, after = verdict.runs
    assert before.exit_code == 1 and "ZeroDivisionError" in before.output
    assert after.passed and "1 passed" in after.output
    assert "fails on the failed commit and passes with the fix" in verdict.reason


@needs_sandbox
def test_on_code_whose_author_cannot_push_the_test_is_checked_never_proof(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path, code_is_proof=False)
    with verifier.sandbox:
        verdict = judge(verifier, _claim(verifier, SHOWS_THE_BUG))
    assert verdict.verdict is Verdict.PASSES
    assert "checked, not proof" in verdict.reason


@needs_sandbox
@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("def test_x():\n    assert True\n", "the test did not fail without the fix (exit 0)"),
        ("def test_x():\n    assert False\n", "the test did not pass with the fix (exit 1)"),
        ("import calc.nothing_here\n\ndef test_x():\n    pass\n",
         "the test did not fail as a test does without the fix (exit 2)"),
        ("import pytest\n\ndef test_x():\n    pytest.skip('no')\n",
         "the test did not fail without the fix (exit 0)"),
    ],
)  # fmt: skip
def test_a_test_that_shows_no_bug_is_not_offered(tmp_path: Path, content: str, says: str) -> None:
    verifier = _verifier(tmp_path)
    with verifier.sandbox:
        verdict = judge(verifier, _claim(verifier, content))
    assert verdict.verdict is Verdict.NOT_PASSED and verdict.reason == says


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("tests/test_ops.py", "exists: a proposed test only adds a new file"),
        ("tests/conftest.py", "is not test_*.py"),
        ("../outside/test_x.py", "is not a plain relative path"),
        ("/tmp/test_x.py", "is not a plain relative path"),
        (".github/test_x.py", "is not a plain relative path"),
        ("tests/-p/test_x.py", "is not a plain relative path"),
        ("tests/test x.py", "is not a plain relative path"),
        ("tests/test_x.txt", "is not test_*.py"),
    ],
)
def test_a_test_may_only_add_one_new_test_file(tmp_path: Path, path: str, says: str) -> None:
    checkout = tmp_path / "checkout"
    commit_project(checkout, MEAN)
    refused = new_test_patch(path, SHOWS_THE_BUG, checkout)
    assert isinstance(refused, str) and says in refused


def test_a_symbolic_link_at_the_tests_path_is_refused(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    commit_project(checkout, MEAN)
    (checkout / "tests" / "test_link.py").symlink_to(tmp_path / "nowhere.py")
    assert "exists" in str(new_test_patch("tests/test_link.py", SHOWS_THE_BUG, checkout))


@pytest.mark.parametrize("there", [True, False])
def test_attack_a_folder_link_on_the_tests_path_is_not_followed_on_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, there: bool
) -> None:
    """ATTACK: the pull request makes ``probe`` a link to a folder of the host, and the model
    (told by the log) proposes ``probe/test_id.py``. The check that the test is a new file
    looked through the link on the host: whether the host's file was there became the verdict
    ("exists" or a patch), a host read that followed the pull request's link. A link anywhere
    on the path is refused alike, and nothing of the host is looked at through it."""
    checkout = tmp_path / "checkout"
    commit_project(checkout, MEAN)
    host = tmp_path / "host"
    host.mkdir()
    if there:
        (host / "test_id.py").write_text("")
    (checkout / "probe").symlink_to(host)
    looked: list[str] = []
    stat = Path.stat

    def recorded(self: Path, *args: object, **kwargs: object) -> object:
        looked.append(str(self))
        return stat(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", recorded)
    refused = new_test_patch("probe/test_id.py", SHOWS_THE_BUG, checkout)
    monkeypatch.undo()
    assert isinstance(refused, str) and "link" in refused, refused
    assert not [path for path in looked if "probe/" in path], looked


COUNTS_ITS_RUNS = """import os
import tempfile
import subprocess
from pathlib import Path


def test_mean_of_nothing():
    for folder in {tempfile.gettempdir(), os.environ.get("HOME") or "/tmp", "/dev/shm", "/var/tmp"}:
        mark = Path(folder) / "cicd-redteam-ran-before"
        try:
            if mark.exists():
                return  # the second run: pass, whatever the code does
            mark.write_text("1")
        except OSError:
            continue
    raise AssertionError("first run")
"""
"""Fails on its first run and passes on every later one, whatever the fix does: it keeps a
mark wherever a run can write outside its copy."""


@needs_sandbox
def test_attack_a_test_that_counts_its_runs_is_not_offered(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path)
    with verifier.sandbox:
        verdict = judge(verifier, _claim(verifier, COUNTS_ITS_RUNS))
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason


READS_THE_FIX = (
    "from pathlib import Path\n\n\ndef test_mean_of_nothing():\n"
    "    assert 'if xs else' in Path('calc/ops.py').read_text()\n"
)
"""Fails without the fix and passes with it because it reads the fix's text, not because
the bug is gone: it shows nothing about ``mean([])``."""


@needs_sandbox
def test_attack_a_test_that_reads_the_fix_instead_of_running_it_is_not_offered(
    tmp_path: Path,
) -> None:
    verifier = _verifier(tmp_path)
    with verifier.sandbox:
        verdict = judge(verifier, _claim(verifier, READS_THE_FIX))
    assert verdict.reason == "the test did not pass with the fix (exit 1)"
    assert "FileNotFoundError" in verdict.runs[1].output  # the fix's file is compiled code


ADDED_MODULE_FIX = Patch(
    diff=(
        "diff --git a/calc/empty.py b/calc/empty.py\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/calc/empty.py\n@@ -0,0 +1 @@\n+NOTHING = 0.0\n"
        "diff --git a/calc/ops.py b/calc/ops.py\n--- a/calc/ops.py\n+++ b/calc/ops.py\n"
        "@@ -1,2 +1,2 @@\n def mean(xs):\n-    return sum(xs) / len(xs)\n"
        "+    return sum(xs) / len(xs) if xs else __import__('calc.empty').empty.NOTHING\n"
    ),
    source="model",
    summary="mean of nothing is 0, from a new module",
)


@needs_sandbox
def test_a_fix_that_adds_a_module_still_gets_its_test(tmp_path: Path) -> None:
    """The module the fix adds is compiled only where it exists: the run without the fix
    still fails as a test does."""
    verifier = _verifier(tmp_path)
    with verifier.sandbox:
        test = _claim(verifier, SHOWS_THE_BUG)
        verdict = judge(verifier, replace(test, fix=ADDED_MODULE_FIX))
    assert verdict.verdict is not Verdict.NOT_PASSED, verdict.reason


@needs_sandbox
def test_attack_a_test_folder_the_checkout_links_elsewhere_is_not_written_through(
    tmp_path: Path,
) -> None:
    """The pull request commits ``probe`` as a link to a folder outside the checkout: the new
    test's path under it is a plain relative path, refused before anything is looked at through
    the link; and a patch that writes there anyway is never written through (git apply in the
    sandbox refuses a path beyond a link)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    checkout = tmp_path / "checkout"
    commit_project(checkout, MEAN)
    (checkout / "probe").symlink_to(outside)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    verifier = SandboxVerifier(Sandbox(checkout, environ, known_secrets=[]), CRASH,
                               watched=PYTEST, redact=lambda t: t, code_is_proof=True)  # fmt: skip
    path = "probe/test_mean_empty.py"
    refused = new_test_patch(path, SHOWS_THE_BUG, checkout)
    assert isinstance(refused, str) and "symbolic link (probe)" in refused, refused
    linked = Patch(diff=_claim(verifier, SHOWS_THE_BUG).test.diff.replace(
        "tests/test_mean_empty.py", path), source="model", summary=f"new test {path}")  # fmt: skip
    with verifier.sandbox:
        verdict = judge(verifier, FailsThenPasses(linked, path, MEAN_FIX, SHOWS_THE_BUG))
    assert verdict.reason == "the test did not fail as a test does without the fix (exit 1)"
    assert "did not apply" in verdict.runs[0].output  # git apply refuses a path beyond a link
    assert list(outside.iterdir()) == []


@needs_sandbox
@pytest.mark.parametrize("name", ["calc/mean ops.py", "calc/opérations.py", "-ops.py"])
def test_attack_a_fix_in_a_file_whose_name_git_quotes_is_still_hidden(
    tmp_path: Path, name: str
) -> None:
    """ATTACK: the fixed files are hidden from the test only where the diff's
    ``+++ b/…`` line matched a pattern without spaces or quotes; a fix to ``calc/mean ops.py``
    (a space) or ``calc/opérations.py`` (git writes ``"b/calc/op\\303\\251rations.py"``) stayed
    readable, and a test that reads the fix's text passed with it. The names are git's own.
    A name starting with ``-`` was an option to ``compileall`` and ``rm``, not a file."""
    files = {**MEAN, name: MEAN["calc/ops.py"]}
    checkout = tmp_path / "checkout"
    commit_project(checkout, files)
    (checkout / name).write_text(
        MEAN["calc/ops.py"].replace("len(xs)\n", "len(xs) if xs else 0.0\n")
    )
    fix = subprocess.run(["git", "diff"], cwd=checkout, capture_output=True, check=True)
    subprocess.run(["git", "checkout", "--", name], cwd=checkout, check=True)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    reads = READS_THE_FIX.replace("calc/ops.py", name)
    with Sandbox(checkout, environ, known_secrets=[]) as sandbox:
        verifier = SandboxVerifier(sandbox, CRASH, watched=PYTEST, redact=lambda t: t)
        test = new_test_patch("tests/test_mean_empty.py", reads, checkout)
        assert isinstance(test, Patch), test
        patch = Patch(fix.stdout.decode("utf-8", "surrogateescape"), "model", "fixed")
        verdict = judge(verifier, FailsThenPasses(test, "tests/test_mean_empty.py", patch, reads))
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    assert all(
        "invalid option" not in run.output for run in verdict.runs
    )  # a name, never an option


READS_THE_CODE = (
    "from calc.ops import mean\n\n\ndef test_mean_of_nothing():\n"
    "    assert 0.0 in mean.__code__.co_consts\n"
)
"""Fails without the fix and passes with it by reading the fixed function's compiled code (its
constant ``0.0``), not by calling it: it shows the patch, not the bug. The other ways to the
code (``dis``, ``gc``, the ``.pyc``, a name built at run time, a frame) are the guard's own
tests, ``tests/unit/runners/pytest_in_run/test_behaviour_guard.py``."""


@needs_sandbox
def test_attack_a_test_that_reads_the_fixs_compiled_code_is_not_offered(tmp_path: Path) -> None:
    """ATTACK: the fix's source is hidden from the test, its compiled code was not:
    a test asserting on ``mean.__code__.co_consts`` was offered as showing the bug."""
    verifier = _verifier(tmp_path)
    with verifier.sandbox:
        verdict = judge(verifier, _claim(verifier, READS_THE_CODE))
    assert (
        verdict.verdict is Verdict.NOT_PASSED and len(verdict.runs) == 1
    )  # stopped in the run without the fix
    said = "the test reads the code under test instead of running it (object.__getattr__ __code__"
    assert verdict.reason.startswith(said), verdict.reason
    assert "tests/test_mean_empty.py:5)" in verdict.reason  # the test's own line
