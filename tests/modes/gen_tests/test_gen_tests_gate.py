"""The gate on the fixture project, candidate by candidate: the cases the CLI scenario does not show.

Real sandbox, real pytest, real coverage: an import hidden inside a function, a test that only
skips, a test that ends the process with status 0 before reporting, a test that depends on the
order of tests, a test that never ends, and the baseline coverage the whole mode starts from.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cicd_agent.analysis.redact import Redactor
from cicd_agent.local.checkout_files import create_file
from cicd_agent.modes.gen_tests.claim_run import NOT_CONFIRMED
from cicd_agent.modes.gen_tests.gate import Gate, _Trial
from cicd_agent.modes.gen_tests.stages import Stage, Verdict
from cicd_agent.sandbox import remove_tree
from cicd_agent.verify import mutants, mutation
from tests.modes.gen_tests.gate_bench import PRICING, Bench, gate_bench
from tests.modes.gen_tests.gate_bench import evaluate as _gate_evaluate

pytestmark = pytest.mark.slow  # every case runs real pytest processes in a sandbox, several times

README = "# shop\n\n```python\n>>> coupon_value('SAVE10')\n10\n```\n"
"""A contract the code keeps (it gives 10); a real possible bug, confirmed by our own run of its
call, is in test_gen_tests_ask.py."""


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    # No candidate here is meant to time out, and five reruns side by side on a loaded machine
    # can take longer than 30 s: the timeout only guards against a hang.
    with gate_bench(tmp_path_factory.mktemp("gate") / "shop", timeout=120,
                    extra={"README.md": README}) as bench:  # fmt: skip
        yield bench


def _evaluate(bench: Bench, source: str, segment: str = "coupon_value") -> Verdict:
    return _gate_evaluate(bench, source, segment, label="unit")


def _one_rerun(bench: Bench) -> Gate:
    """The bench's gate with one rerun at stage 4, not five, for claims about a later stage (a
    rerun is a fresh run like the first, which every candidate here passes); the five are
    counted in the good candidate's runs below."""
    gate = bench.gate
    return Gate(gate.meter, gate.command, gate.baseline, timeout=gate.timeout, reruns=1)


def test_baseline_knows_what_passed_and_what_was_run(bench: Bench) -> None:
    assert bench.baseline.returncode == 0
    assert bench.baseline.passed == {
        "tests/test_pricing.py::test_subtotal_sums_lines",
        "tests/test_pricing.py::test_subtotal_of_nothing_is_zero",
        "tests/test_units.py::test_currency_is_euro",
        "tests/test_units.py::test_fmt_uses_two_decimals_and_currency",
    }
    pricing = bench.coverage.files.get(PRICING)
    assert pricing is not None
    assert {4, 6} <= pricing.executed_lines  # subtotal ran
    assert 37 in pricing.missing_lines and (37, 38) in pricing.missing_arcs


def test_an_import_inside_a_function_must_resolve_too(bench: Bench) -> None:
    verdict = _evaluate(
        bench,
        "from shop.pricing import coupon_value\n\n\ndef test_coupon():\n"
        "    from shop.nowhere import helper\n    assert coupon_value(helper('SAVE10')) == 10\n",
    )
    assert verdict.stopped_at is Stage.IMPORTS
    assert verdict.reason == "imports that do not resolve: shop.nowhere"


def test_a_test_that_only_skips_does_not_pass(bench: Bench) -> None:
    verdict = _evaluate(
        bench,
        "import pytest\nfrom shop.pricing import coupon_value\n\n\ndef test_coupon():\n"
        "    coupon_value('SAVE10')\n    pytest.skip('later')\n    assert coupon_value('x') == 0\n",
    )
    assert verdict.stopped_at is Stage.PASS
    assert "test_coupon skipped" in verdict.reason
    # The reason reaches the summary through the run's redactor: "did not pass: tests/..." read
    # as a password assigned, and every failing candidate's test was named "[REDACTED]".
    assert Redactor().redact(verdict.reason) == verdict.reason


def test_exit_status_zero_without_outcomes_is_not_a_pass(bench: Bench) -> None:
    verdict = _evaluate(
        bench,
        "import os\nfrom shop.pricing import coupon_value\n\n\ndef test_coupon():\n"
        "    coupon_value('SAVE10')\n    os._exit(0)\n    assert coupon_value('x') == 0\n",
    )
    assert verdict.stopped_at is Stage.PASS
    assert verdict.reason == "pytest exited with status 0 without reporting any outcome"


def test_a_test_that_depends_on_test_order_stops_at_random_order(bench: Bench) -> None:
    steps = "\n\n".join(
        f"def test_step_{i}():\n    STATE.append({i})\n    assert STATE == list(range({i + 1}))\n"
        "    assert coupon_value('SAVE10') == 10"
        for i in range(6)
    )
    source = f"from shop.pricing import coupon_value\n\nSTATE = []\n\n\n{steps}\n"
    verdict = _one_rerun(bench).evaluate(source, bench.segment, "tests/test_pricing_generated.py",
                                         ["tests/test_pricing.py"], "order")  # fmt: skip
    assert verdict.stopped_at is Stage.PASS_X5
    assert verdict.reason.startswith("fails in random order (seed ")
    assert "with 1 existing test file(s)" in verdict.reason


def test_a_flaky_test_passing_its_fresh_runs_is_dropped_at_repeat(bench: Bench) -> None:
    """A candidate failing one run in three passes every fresh run (its run alone,
    its five reruns, its shuffled run: the whole gate kept it before, 11 runs), so it was kept;
    20 runs in one process show it. The flake is driven by a count, so this test is never
    flaky itself; the stage is run alone here, after one fresh run that passes."""
    source = ("from shop.pricing import coupon_value\n\nRUNS = []\n\n\ndef test_coupon():\n"
              "    RUNS.append(1)\n    assert coupon_value('SAVE10') == 10 and len(RUNS) % 3\n")
    gate, path = bench.gate, "tests/test_flaky_generated.py"
    space = gate.sandbox.workspace("flaky")
    try:
        create_file(space.repo, path, source)
        trial = _Trial(source, bench.segment, path, [], space)
        fresh = gate._judge(trial, *gate._pytest(trial, path), compare_baseline=False)
        problem = gate._repeat(trial)
    finally:
        remove_tree(space.root)
    assert fresh is None and problem is not None
    assert problem[0].startswith("fails 1 or more of 20 repeated runs in one process "
                                 "(pytest --keep-duplicates"), problem[0]
    assert "test_coupon failed" in problem[0]


MARKS = "".join(
    f"\n\ndef test_coupon_once_{name}():\n    mark = Path({folder}) / '.coupon-mark'\n"
    "    assert not mark.exists(), 'ran here before'\n    mark.write_text('ran')\n"
    "    assert coupon_value('SAVE10') == 10\n"
    for name, folder in (("folder", "Path(__file__).parent"), ("tmp", "tempfile.gettempdir()"),
                         ("home", "Path.home()")))  # fmt: skip
MARKER = "import tempfile\nfrom pathlib import Path\n\nfrom shop.pricing import coupon_value\n" + MARKS
"""Set 4's cron-parser: each test leaves a mark, one in its folder, one in the
temporary folder, one in HOME, and fails where it finds one, so it passes every fresh copy
and fails a developer who runs it twice."""


def test_a_candidate_failing_where_it_ran_before_is_dropped_at_same_copy(bench: Bench) -> None:
    """Its second run, in the copy of its first, finds each of the three marks the
    first left; it is dropped saying so, before the reruns (collect, alone, same copy)."""
    verdict = _evaluate(bench, MARKER)
    assert (verdict.stopped_at, verdict.runs) == (Stage.SAME_COPY, 3), verdict
    assert verdict.reason.startswith("fails when run again where it ran before: it depends on "
                                     "what an earlier run left: 3 of its 3 test(s) did not "
                                     "pass"), verdict.reason


def test_a_good_candidate_gains_exactly_the_lines_it_ran(bench: Bench) -> None:
    """It writes a file of a fixed name in the temporary folder and removes it: the reruns,
    side by side, each in a copy of its own, never meet in it."""
    verdict = _evaluate(
        bench,
        "import tempfile\nfrom pathlib import Path\n\nfrom shop.pricing import shipping_cost"
        "\n\n\ndef test_heavy_express():\n    out = Path(tempfile.gettempdir()) / 'cost.txt'\n"
        "    out.write_text(str(shipping_cost(4, express=True)))\n    try:\n"
        "        assert out.read_text() == '15.8'\n    finally:\n        out.unlink()\n",
        segment="shipping_cost",
    )
    assert verdict.accepted, verdict.reason
    assert verdict.gained_lines == {27, 28, 29, 30, 31, 32}
    assert verdict.gained_arcs == {(28, 29), (30, 31)}
    assert verdict.runs == 13  # collect, alone, same copy, 5 reruns, random order, repeat,
    # suite, mutant, control
    # it is kept because it fails on a mutant of a line it ran, which its reason names
    assert verdict.reason == (
        "passed every stage; fails when src/shop/pricing.py:28 `>` mutated to `<=` (its check "
        "tests/test_pricing_generated.py:11: AssertionError: assert '9.8' == '15.8')"
    )  # fmt: skip


def test_a_test_that_never_ends_is_killed_at_the_timeout_and_named(bench: Bench) -> None:
    # The CLI scenario's hostile candidate looped to its 60 s timeout; here the loop is alone
    # under a short one. Collecting the file runs under the same timeout first: a machine too
    # loaded to collect it in time gets that run killed and named, and the timeout doubled, so
    # the machine's load decides only how long this takes, never whether it passes.
    source = (
        "import time\nfrom shop.pricing import coupon_value\n\n\ndef test_coupon():\n"
        "    while True:  # asleep: no core spent waiting\n        time.sleep(1)\n"
        "    assert coupon_value('SAVE10') == 10\n"
    )
    gate = bench.gate
    for timeout in (3, 6, 12, 24, 48, 96, 192):  # a hang of the collection itself still ends
        short = Gate(gate.meter, gate.command, gate.baseline, timeout=timeout)
        verdict = short.evaluate(
            source, bench.segment, "tests/test_pricing_generated.py", [], "loop"
        )
        if verdict.stopped_at is not Stage.IMPORTS:
            break
        assert verdict.reason == f"collection timed out after {timeout} s and was killed"
    assert verdict.stopped_at is Stage.PASS, verdict
    assert verdict.reason == f"pytest timed out after {timeout} s and was killed"


def test_a_tautology_that_runs_the_change_is_dropped_for_not_depending_on_it(bench: Bench) -> None:
    """A test that calls the changed function and asserts nothing about its result
    (``r >= 0``: a cost is never negative, whatever the change) passes every earlier stage
    (``r == r`` no longer does: stage 2 reads its two sides as one expression); it passes with
    the change's lines mutated too, so it is dropped, naming the line and the mutation it
    survived."""
    source = (
        "from shop.pricing import shipping_cost\n\n\ndef test_heavy_express():\n"
        "    result = shipping_cost(4, express=True)\n    assert result >= 0\n"
    )
    verdict = _one_rerun(bench).evaluate(
        source, bench.segments["shipping_cost"], "tests/test_pricing_generated.py", [], "taut"
    )
    assert verdict.stopped_at is Stage.DEPENDS, verdict
    assert verdict.reason.startswith(
        "does not depend on the change: passed with src/shop/pricing.py:28 `>` mutated to `<=`; "
        "src/shop/pricing.py:30 `if express:` mutated to `if not (express):`"
    ), verdict.reason
    assert (verdict.gained_lines, verdict.runs) == (frozenset(), 7 + 3)  # 7 runs to depends
    assert (bench.gate.sandbox.pristine / PRICING).read_text().count("if weight_kg > 2:") == 1


def test_attack_a_candidate_that_links_its_copys_folder_cannot_end_the_mutant_stage(
    bench: Bench,
) -> None:
    """Attack: a candidate's earlier run in its copy (writable to it) moved the shop's
    folder and linked it back, so every run still imports it; writing a mutant there through
    the link is refused, and the refusal ended the whole mode. Each mutant runs in a fresh copy
    now, the candidate written into it again: the right test fails on the mutant there."""
    gate, segment = bench.gate, bench.segments["shipping_cost"]
    source = ("from shop.pricing import shipping_cost\n\n\ndef test_heavy_express():\n"
              "    assert shipping_cost(4, express=True) == 15.8\n")  # fmt: skip
    space = gate.sandbox.workspace("unit")
    try:
        create_file(space.repo, "tests/test_pricing_generated.py", source)
        (space.repo / "src" / "shop").rename(space.repo / "src" / "moved")
        os.symlink("moved", space.repo / "src" / "shop")
        trial = _Trial(source, segment, "tests/test_pricing_generated.py", [], space)
        [first, *_] = mutation.of_lines(gate.sandbox.pristine, {PRICING: segment.missing_lines})
        outcome = gate._mutant(trial, first)
    finally:
        remove_tree(space.root)
    assert outcome.outcome is mutants.Outcome.KILLED, outcome


def test_attack_a_candidate_that_shadows_the_call_it_claims_names_no_contract_broken(
    bench: Bench,
) -> None:
    """Attack (in Python): the candidate runs the changed lines through the real
    function, then asserts on its own ``coupon_value``, which gives 11. pytest reports ``assert
    11 == 10`` at ``assert coupon_value("SAVE10") == 10``, and the README states that call gives
    10: before, the code was reported as breaking a contract it keeps."""
    verdict = _evaluate(bench, '''
        from shop.pricing import coupon_value as real


        def coupon_value(code):
            real(code)
            return 11


        def test_save10():
            assert coupon_value("SAVE10") == 10
        ''')  # fmt: skip
    assert verdict.stopped_at is Stage.PASS
    assert (verdict.possible_bug, verdict.contracts) == ("", ())
    assert verdict.reason.startswith(NOT_CONFIRMED)


def test_attack_a_test_right_in_every_fresh_process_is_not_called_flaky(bench: Bench) -> None:
    """Attack: this candidate passes in every fresh process, as each CI run runs it (a
    memoised lookup checked with a spy: the cache is empty once per process), and fails on every
    repetition after the first in one process, where the cache is full. Nothing in it is chance,
    yet the repeat stage dropped it as "flaky: fails 1 or more of 20 repeated runs". One run
    cannot tell chance from state kept between repetitions, so the reason names both and
    never calls it flaky alone."""
    verdict = _one_rerun(bench).evaluate(
        "from functools import lru_cache\nfrom unittest import mock\n\nimport shop.pricing\n\n\n"
        "@lru_cache\ndef price_of(code):\n    return shop.pricing.coupon_value(code)\n\n\n"
        "def test_a_coupon_is_looked_up_once():\n"
        "    with mock.patch.object(shop.pricing, 'coupon_value', wraps=shop.pricing.coupon_value)"
        " as spy:\n        assert price_of('SAVE10') == price_of('SAVE10') == 10\n"
        "    spy.assert_called_once_with('SAVE10')\n",
        bench.segment, "tests/test_pricing_generated.py", ["tests/test_pricing.py"], "fresh",
    )
    assert not verdict.reason.startswith("flaky"), verdict.reason
    assert "flaky, or it depends on what an earlier run left" in verdict.reason, verdict.reason


@pytest.mark.parametrize("expression", ["v" + ".a" * 5_000, "-" * 20_000 + "v"])
def test_attack_a_candidate_nested_too_deeply_to_parse_is_rejected_not_a_crash(
    expression: str,
) -> None:
    """Attack: a candidate of 10-40 KB (under the 60,000 characters a candidate may
    hold) whose one expression nests 5,000 deep made ``ast.parse`` raise RecursionError (or
    MemoryError), which only a SyntaxError was caught for: the mode ended. The parse is the
    gate's first step, before any sandbox, so no bench is needed."""
    source = (
        f"from shop.pricing import coupon_value as v\n\n\ndef test_x():\n    assert {expression}\n"
    )
    verdict = Gate.__new__(Gate).evaluate(source, None, "tests/test_x.py", [], "deep")  # type: ignore[arg-type]
    assert verdict.stopped_at is Stage.PARSED
    assert verdict.reason == "does not parse: an expression nested too deeply"
