"""The flaky-test fixer on go test, on a real Go module (standard library only), every run in
the sandbox: chosen tests of a package run in a chosen order in one process (a package
variable one test sets reaches the next), the command's own ``-shuffle`` switched off; a victim
of a package variable is ``order-dependent`` with its polluter found by bisection; a test that
fails at random is ``not-order-dependent`` with its rate; a victim gets its cleaner's set-up
(never its checks) moved into it, proven in every order, alone and by the mutation check."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.cli import main
from cicd_agent.local import test_history
from cicd_agent.modes.test_step.dependence import Runs
from cicd_agent.modes.test_step.fixer import BUDGET, fix_flaky
from cicd_agent.modes.test_step.mode import NAME
from cicd_agent.runners.go import set_up
from cicd_agent.runners.go.orders import GoOrders
from cicd_agent.runners.go.sessions import GoSandbox, package_folder
from cicd_agent.runners.table import TABLE
from cicd_agent.verify.orders import OrderedRuns
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go
from tests.modes.test_step.random_flaky import assert_random_not_model_fixed

MODE = """package calc

var Mode = "normal"

func SetMode(m string) { Mode = m }

func Describe() string {
\tif Mode == "normal" {
\t\treturn "running normally"
\t}
\treturn "running in " + Mode
}
"""
POLLUTER = """package calc

import "testing"

func TestCleaner(t *testing.T) {
\tSetMode("normal")
\tif Mode != "normal" {
\t\tt.Fatal("reset")
\t}
}

func TestPolluter(t *testing.T) {
\tSetMode("debug")
\tif Describe() != "running in debug" {
\t\tt.Fatal("debug")
\t}
}

func TestOther(t *testing.T) {}
"""
VICTIM = """package calc_test

import (
\t"testing"

\t"example.com/m/calc"
)

func TestVictim(t *testing.T) {
\tif got := calc.Describe(); got != "running normally" {
\t\tt.Fatalf("got %q", got)
\t}
}
"""
RANDOM = """package calc

import (
\t"math/rand"
\t"testing"
\t"time"
)

func TestSometimes(t *testing.T) {
\tif rand.New(rand.NewSource(time.Now().UnixNano())).Intn(2) == 0 {
\t\tt.Fatal("heads")
\t}
}
"""
ROOT = """package m

import "testing"

func TestRoot(t *testing.T) {}
"""
SUBTEST_VICTIM = """package calc

import "testing"

func TestVictim(t *testing.T) {
\tt.Run("normal mode", func(t *testing.T) {
\t\tif got := Describe(); got != "running normally" {
\t\t\tt.Fatalf("got %q", got)
\t\t}
\t})
\tt.Run("any", func(t *testing.T) {})
}
"""
EXTERNAL_SUBTEST_VICTIM = SUBTEST_VICTIM.replace(
    'package calc\n\nimport "testing"\n',
    'package calc_test\n\nimport (\n\t"testing"\n\n\t"example.com/m/calc"\n)\n',
).replace("got := Describe()", "got := calc.Describe()")
"""The subtest victim in the external test package (``calc_test``), its cleaner in ``calc``."""
SAME_PACKAGE_VICTIM = """package calc

import "testing"

func TestVictim(t *testing.T) {
\tif got := Describe(); got != "running normally" {
\t\tt.Fatalf("got %q", got)
\t}
}
"""
PROJECT = {"go.mod": "module example.com/m\n\ngo 1.19\n", "calc/mode.go": MODE,
           "calc/a_test.go": POLLUTER, "calc/b_test.go": VICTIM}  # fmt: skip
VICTIM_ID, POLLUTER_ID = "example.com/m/calc.TestVictim", "example.com/m/calc.TestPolluter"
ENVIRON = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}


def _runs(tmp_path: Path, files: dict[str, str]) -> tuple[GitRepoBuilder, GoOrders]:
    repo = GitRepoBuilder(tmp_path / "mod")
    repo.commit("go", files)
    (orders,) = [row.in_order for row in TABLE if row.name == "go test"]
    assert isinstance(orders, GoOrders)
    return repo, orders


@needs_go
def test_go_runs_the_chosen_tests_of_a_package_in_the_chosen_order_in_one_process(
    tmp_path: Path,
) -> None:
    """go runs a package's tests in written order whatever ``-run`` says: the victim passes
    before its polluter and fails after it only if the order chosen is the order run, in one
    process (the package variable carries over); the step's ``-shuffle=on`` is switched off."""
    repo, orders = _runs(tmp_path, {**PROJECT, "root_test.go": ROOT})
    command = orders.command(["go", "test", "-shuffle=on", "./..."])
    assert command is not None and command[-3:-1] == ("-p=1", "-shuffle=off")
    with orders.sandbox(repo.path, ENVIRON) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        own = runs.outcomes([])
        assert own is not None, runs.problem
        assert list(own.tests) == ["example.com/m.TestRoot", "example.com/m/calc.TestCleaner",
                                   POLLUTER_ID, "example.com/m/calc.TestOther", VICTIM_ID]  # fmt: skip
        assert own.tests[VICTIM_ID] == "failed"  # written order: the polluter runs first
        assert runs.passes([VICTIM_ID, POLLUTER_ID]) == {VICTIM_ID: True, POLLUTER_ID: True}
        assert runs.passes([POLLUTER_ID, VICTIM_ID]) == {POLLUTER_ID: True, VICTIM_ID: False}
        cleaned = [POLLUTER_ID, "example.com/m/calc.TestCleaner", VICTIM_ID]
        assert (runs.passes(cleaned) or {}).get(VICTIM_ID) is True
        assert runs.reruns(VICTIM_ID, 3) == (0, 3)  # -count=3, one binary
        assert runs.passes(["example.com/m/calc.TestNoSuch"]) == {}
        apart = ["example.com/m.TestRoot", POLLUTER_ID, VICTIM_ID]  # two packages, two binaries
        assert runs.passes(apart) == {apart[0]: True, POLLUTER_ID: True, VICTIM_ID: False}
        # each session's copy, and the build cache in its home, went when it ended
        assert not list((sandbox.root / "work").iterdir())


FORGER = """package calc_test

import "testing"

func Test_cicdOrder0123456789abcdef(t *testing.T) {
\tt.Run("TestVictim", func(t *testing.T) {})
}
"""


@needs_go
def test_an_attack_a_test_named_as_our_ordering_test_forges_no_outcome(tmp_path: Path) -> None:
    """A test of the project named as ours, with a subtest named as the victim that passes, run
    after the victim (go runs the external test package's tests last, files by name):
    only the ordering test the session itself wrote gives its subtests their own names, so the
    suite's own run still shows the victim failing, and a chosen order runs the real one."""
    repo, orders = _runs(tmp_path, {**PROJECT, "calc/z_test.go": FORGER})
    command = orders.command(["go", "test", "./..."])
    assert command is not None
    with orders.sandbox(repo.path, ENVIRON) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        own = runs.outcomes([])
        assert own is not None, runs.problem
        assert own.tests[VICTIM_ID] == "failed"
        assert runs.passes([POLLUTER_ID, VICTIM_ID]) == {POLLUTER_ID: True, VICTIM_ID: False}


def test_go_orders_command_keeps_the_steps_words_and_declines_what_it_cannot_run() -> None:
    orders = GoOrders()
    assert orders.command(["go", "test", "-run", "TestX", "./calc"]) == (
        "go", "test", "-run", "TestX", "./calc", "-json", "-count=1", "-p=1", "-shuffle=off",
        "-failfast=false")  # fmt: skip
    assert orders.command(["gotestsum", "--format", "dots", "--", "-race", "./..."]) == (
        "go", "test", "-race", "./...", "-json", "-count=1", "-p=1", "-shuffle=off",
        "-failfast=false")  # fmt: skip
    assert orders.command(["go", "test", "./...", "-args", "-flag"]) is None  # the binary's
    assert orders.command(["gotestsum", "--watch"]) is None
    assert orders.command(["python", "-m", "pytest"]) is None
    texts = {"calc/a_test.go": POLLUTER, "calc/b_test.go": VICTIM}
    other = {"other/a_test.go": POLLUTER, "calc/b_test.go": VICTIM}  # another folder's
    assert "another package" in orders.set_up_of(other, "example.com/m/other.TestPolluter",
                                                 VICTIM_ID).why_not  # fmt: skip
    texts["calc/b_test.go"] = SAME_PACKAGE_VICTIM
    moved = orders.set_up_of(texts, "example.com/m/calc.TestCleaner", VICTIM_ID)
    assert moved.statements == ('\tSetMode("normal")',)  # its check stays its own
    assert orders.sandbox is GoSandbox


def test_a_go_package_is_found_only_in_its_own_module() -> None:
    """The folder an order's test of ours is written in comes from the test's package: a path
    outside the module, or climbing out of it, gets none."""
    assert package_folder("example.com/m", "example.com/m") == "."
    assert package_folder("example.com/m", "example.com/m/calc/inner") == "calc/inner"
    assert package_folder("example.com/m", "example.com/mother/calc") is None
    assert package_folder("example.com/m", "example.com/m/../../etc") is None
    assert package_folder("", "calc") is None


@needs_go
def test_a_go_victim_is_order_dependent_with_its_polluter_found_by_bisection(
    tmp_path: Path,
) -> None:
    """The victim fails after the polluter (a package variable set) and passes alone:
    ``order-dependent``, the polluter named by bisection over the tests before it; the
    cleaner's statement that is no check moved to the victim's top, held in the written
    order, its reverse, the failing order and alone, and by a mutant of the code it calls
    that its own check catches: ``verified`` on trusted code."""
    repo, orders = _runs(tmp_path, {**PROJECT, "calc/b_test.go": SAME_PACKAGE_VICTIM})
    command = orders.command(["go", "test", "./..."])
    assert command is not None
    with orders.sandbox(repo.path, ENVIRON) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        fixes, why = fix_flaky(runs, [VICTIM_ID], trusted=True)
    assert why == ""
    (fixed,) = fixes
    assert (fixed.test, fixed.kind, fixed.related_test) == (VICTIM_ID, "order-dependent",
                                                            POLLUTER_ID)  # fmt: skip
    assert fixed.runs_before == Runs(4, 4, (POLLUTER_ID, VICTIM_ID))
    assert "found by bisection over the 3 test(s) before it" in fixed.evidence
    assert fixed.status == "verified", fixed.evidence
    assert fixed.patch.startswith("--- a/calc/b_test.go\n+++ b/calc/b_test.go\n")
    assert '+\tSetMode("normal")\n' in fixed.patch and "t.Fatal" not in fixed.patch.replace(
        '\t\tt.Fatalf("got %q", got)', "")  # the cleaner's check stays its own
    assert "mutation check: fails when calc/mode.go:" in fixed.evidence
    assert fixed.runs_after.failed == 0 and fixed.runs_after.runs == 3
    # The suite; alone and after the 3 before it, 4 times each; bisection's 3 halves and 3
    # more of the pair; alone 3 more; the cleaner's search (the 3 between, then 1 half); the
    # patch in the failing order; the written order and its reverse, patched, and the reverse
    # unpatched; alone patched; the failing order twice over; the mutation check's 9.
    assert runs.sessions == 35


def test_a_statement_moved_between_a_package_and_its_external_tests_reads_its_names_there(
) -> None:
    """Into ``calc_test``, an exported name used bare is the package's (not one in a string,
    a comment, a field key or after a dot); out of it, the package's qualifier goes."""
    into = set_up.set_up_of({"a_test.go": POLLUTER, "b_test.go": VICTIM},
                            "example.com/m/calc.TestCleaner", VICTIM_ID)  # fmt: skip
    assert [s.strip() for s in into.statements] == ['calc.SetMode("normal")'], into
    assert set_up._qualified('x := Config{Name: "Mode"} // Mode\nfmt.Println(x.Mode, Mode)',
                             "calc") == ('x := calc.Config{Name: "Mode"} // Mode\n'
                                         "fmt.Println(x.Mode, calc.Mode)")  # fmt: skip
    donor = VICTIM.replace("TestVictim", "TestSetter").replace(
        "\tif got := calc.Describe()", '\tcalc.SetMode("normal")\n\tif got := calc.Describe()')
    out = set_up.set_up_of({"b_test.go": donor, "a_test.go": SAME_PACKAGE_VICTIM},
                           "example.com/m/calc.TestSetter", VICTIM_ID)  # fmt: skip
    assert [s.strip() for s in out.statements] == ['SetMode("normal")'] and out.imports == (), out
    elsewhere = set_up.set_up_of({"a_test.go": POLLUTER, "b_test.go": VICTIM},
                                 "example.com/m/other.TestCleaner", VICTIM_ID)  # fmt: skip
    assert elsewhere.why_not.startswith("it is in another package")


@needs_go
def test_a_go_test_failing_at_random_is_not_order_dependent_with_its_rate(tmp_path: Path) -> None:
    """A test that fails one run in two (math/rand seeded by the clock) runs alike alone and
    after the others: ``not-order-dependent``, its k of N over reruns alone; with a model at
    hand, the model is not asked (what a rewrite may change is read as Python) and the row
    says so."""
    repo, orders = _runs(tmp_path, {**PROJECT, "calc/r_test.go": RANDOM})
    command = orders.command(["go", "test", "./..."])
    assert command is not None
    with orders.sandbox(repo.path, ENVIRON) as sandbox:
        assert_random_not_model_fixed(OrderedRuns(orders, sandbox, command, budget=BUDGET),
                                      "example.com/m/calc.TestSometimes")  # fmt: skip


@needs_go
@needs_sandbox
def test_the_test_step_on_go_test_classifies_its_flaky_victim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``test-step --fix-flaky suggest -- go test ./...`` on a push: the victim, a subtest,
    fails in the written order, passes on retry (flaky), and is classified and fixed as the
    top-level test it runs within (go orders those, never subtests: it was "not among the tests
    of the suite's own run" before); its row names the polluter and its fix is verified. The
    victim is in the external test package (``calc_test``), its cleaner in ``calc``, whose
    statements read the package's names unqualified: moved, ``SetMode`` becomes
    ``calc.SetMode`` (no patch was offered before), and the proof holds as for one package."""
    repo = GitRepoBuilder(tmp_path / "mod")
    base = repo.commit("base", {"README.md": "m\n"})
    head = repo.commit("go", {**PROJECT, "calc/b_test.go": EXTERNAL_SUBTEST_VICTIM})
    payload = {**example("push"), "before": base, "after": head}
    monkeypatch.setattr(test_history, "DEFAULT_FILE", tmp_path / "history.jsonl")
    summary = tmp_path / "summary.md"
    keep = {k: os.environ[k] for k in ("GOCACHE", "GOPATH", "GOMODCACHE") if k in os.environ}
    environ = {"GITHUB_EVENT_NAME": "push", "GITHUB_WORKSPACE": str(repo.path),
               "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
               "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_REF_NAME": "main",
               "GITHUB_WORKFLOW_REF": "octocat/Hello-World/.github/workflows/ci.yml@refs/heads/main",
               "GITHUB_JOB": "tests", "GITHUB_RUN_ID": "41", "RUNNER_TEMP": str(tmp_path),
               "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)),
               "GOPROXY": "off", **keep}  # fmt: skip
    out = io.StringIO()
    code = main([NAME, "--retries", "1", "--flaky", "pass", "--fix-flaky", "suggest", "--json",
                 "--", "go", "test", "./..."], environ, out)  # fmt: skip
    text = summary.read_text(encoding="utf-8")
    assert code == 0, text
    (row,) = json.loads(out.getvalue())["flaky_fixes"]
    assert (row["test"], row["kind"], row["related_test"]) == (
        f"{VICTIM_ID}/normal_mode", "order-dependent", POLLUTER_ID), text  # fmt: skip
    assert row["evidence"].startswith(f"classified as {VICTIM_ID}, the test it runs within"), row
    assert row["status"] == "verified" and '+\tcalc.SetMode("normal")' in row["patch"], row
    assert "does not run tests in orders" not in text


TWO_SUBTESTS = SUBTEST_VICTIM.replace('t.Run("any", func(t *testing.T) {})', (
    't.Run("again", func(t *testing.T) {\n\t\tif Describe() != "running normally" {\n'
    '\t\t\tt.Fatal("again")\n\t\t}\n\t})'))


def _two_subtests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any, event: str, fix: str
) -> tuple[list[dict[str, Any]], str]:
    """test-step on go, two subtests of one test failing in the written order, on ``event``
    with ``--fix-flaky fix``: the rows and the summary."""
    repo = GitRepoBuilder(tmp_path / "mod")
    base = repo.commit("base", {"README.md": "m\n"})
    head = repo.commit("go", {**PROJECT, "calc/b_test.go": TWO_SUBTESTS})
    payload = dict(example(event))
    if event == "push":
        payload.update(before=base, after=head)
    else:
        pull = payload["pull_request"]
        payload["pull_request"] = {**pull, "base": {**pull["base"], "sha": base},  # type: ignore[dict-item]
                                   "head": {**pull["head"], "sha": head}}  # type: ignore[dict-item]
    monkeypatch.setattr(test_history, "DEFAULT_FILE", tmp_path / "history.jsonl")
    summary = tmp_path / "summary.md"
    keep = {k: os.environ[k] for k in ("GOCACHE", "GOPATH", "GOMODCACHE") if k in os.environ}
    environ = {"GITHUB_EVENT_NAME": event, "GITHUB_WORKSPACE": str(repo.path),
               "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
               "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_REF_NAME": "main",
               "GITHUB_WORKFLOW_REF": "octocat/Hello-World/.github/workflows/ci.yml@refs/heads/main",
               "GITHUB_JOB": "tests", "GITHUB_RUN_ID": "41", "RUNNER_TEMP": str(tmp_path),
               "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)),
               "GOPROXY": "off", **keep, **github_api.env()}  # fmt: skip
    out = io.StringIO()
    code = main([NAME, "--retries", "1", "--flaky", "pass", "--fix-flaky", fix, "--json",
                 "--", "go", "test", "./..."], environ, out)  # fmt: skip
    text = summary.read_text(encoding="utf-8")
    assert code == 0, text
    rows = json.loads(out.getvalue())["flaky_fixes"]
    assert sorted(row["test"] for row in rows) == [
        f"{VICTIM_ID}/again", f"{VICTIM_ID}/normal_mode"], text  # fmt: skip
    return rows, text


@needs_go
def test_attack_two_flaky_subtests_of_one_test_draft_one_pull_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    """Two subtests of one test fail in the written order and pass on retry: both are fixed as
    the one test they run within, by the one patch, and each row is theirs; the draft was
    opened once for each row, two pull requests of one change, the second conflicting with the
    first once merged. The patch is proposed once, both rows naming its draft."""
    rows, _ = _two_subtests(tmp_path, monkeypatch, github_api, "push", "pr")
    assert {row["status"] for row in rows} == {"verified"}, rows
    pulls = github_api.proxy.calls("POST", r"/repos/[^/]+/[^/]+/pulls")
    assert len(pulls) == 1, [json.loads(p.body)["title"] for p in pulls]
    assert rows[0]["pr_url"] and rows[0]["pr_url"] == rows[1]["pr_url"], rows


@needs_go
def test_attack_two_flaky_subtests_of_one_test_are_suggested_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    """The pull request adds the test: the one patch of its two flaky subtests was suggested
    for each row, two reviews of the same suggestion. It is suggested once, the other row
    saying whose suggestion holds its fix."""
    lines = TWO_SUBTESTS.splitlines(keepends=True)
    added = "".join(f"+{line}" for line in lines)
    github_api.proxy.script("GET", r"/repos/[^/]+/[^/]+/pulls/2/files", edit=lambda files: [
        {**files[0], "filename": "calc/b_test.go", "status": "added", "patch":
         f"@@ -0,0 +1,{len(lines)} @@\n{added}"}])  # fmt: skip
    rows, text = _two_subtests(tmp_path, monkeypatch, github_api, "pull_request", "suggest")
    assert all(row["patch"] for row in rows), rows
    reviews = github_api.proxy.calls("POST", r"/repos/[^/]+/[^/]+/pulls/2/reviews")
    assert len(reviews) == 1, text
    assert "1 suggestion(s)" in text and f"the same fix as `{VICTIM_ID}/" in text, text
