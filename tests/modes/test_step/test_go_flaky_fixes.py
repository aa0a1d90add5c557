"""The flaky-test fixer's runs of go test, on a real Go module (standard library only), every
run in the sandbox: chosen tests of a package run in a chosen order in one process (a package
variable one test sets reaches the next), the command's own ``-shuffle`` switched off."""

from __future__ import annotations

import os
from pathlib import Path

from cicd_agent.modes.test_step.fixer import BUDGET
from cicd_agent.runners.go.orders import GoOrders
from cicd_agent.runners.go.sessions import GoSandbox, package_folder
from cicd_agent.runners.table import TABLE
from cicd_agent.verify.orders import OrderedRuns
from tests.git_builder import GitRepoBuilder
from tests.helpers.toolchains import needs_go

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
    repo, orders = _runs(tmp_path, PROJECT)
    command = orders.command(["go", "test", "-shuffle=on", "./..."])
    assert command is not None and command[-3:-1] == ("-p=1", "-shuffle=off")
    with orders.sandbox(repo.path, ENVIRON) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        own = runs.outcomes([])
        assert own is not None, runs.problem
        assert list(own.tests) == ["example.com/m/calc.TestCleaner", POLLUTER_ID,
                                   "example.com/m/calc.TestOther", VICTIM_ID]  # fmt: skip
        assert own.tests[VICTIM_ID] == "failed"  # written order: the polluter runs first
        assert runs.passes([VICTIM_ID, POLLUTER_ID]) == {VICTIM_ID: True, POLLUTER_ID: True}
        assert runs.passes([POLLUTER_ID, VICTIM_ID]) == {POLLUTER_ID: True, VICTIM_ID: False}
        cleaned = [POLLUTER_ID, "example.com/m/calc.TestCleaner", VICTIM_ID]
        assert (runs.passes(cleaned) or {}).get(VICTIM_ID) is True
        assert runs.reruns(VICTIM_ID, 3) == (0, 3)  # -count=3, one binary
        assert runs.passes(["example.com/m/calc.TestNoSuch"]) == {}


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
    assert orders.file_of(VICTIM_ID) == "" and orders.under_test(Path("."), VICTIM_ID) == {}
    assert "not written for go test" in orders.set_up_of({}, POLLUTER_ID, VICTIM_ID).why_not
    assert orders.sandbox is GoSandbox


def test_a_go_package_is_found_only_in_its_own_module() -> None:
    """The folder an order's test of ours is written in comes from the test's package: a path
    outside the module, or climbing out of it, gets none."""
    assert package_folder("example.com/m", "example.com/m") == "."
    assert package_folder("example.com/m", "example.com/m/calc/inner") == "calc/inner"
    assert package_folder("example.com/m", "example.com/mother/calc") is None
    assert package_folder("example.com/m", "example.com/m/../../etc") is None
    assert package_folder("", "calc") is None
