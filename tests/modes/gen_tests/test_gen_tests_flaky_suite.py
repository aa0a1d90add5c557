"""gen-tests tells a flaky suite from a bad candidate.

On httpx, a correct test from the model was rejected three times because
``test_write_timeout[trio]``, which fails two runs in three on its own, failed in the gate's
suite stage: "1 existing test(s) that passed before now fail". Here the project's suite holds a
test that passes on the first run in a folder and fails on the next two, as a test that leaves
state behind does (its count lives in ``HOME``, which the runs in one sandbox folder share). The
baseline runs the suite twice; the test that passed once and failed once is named flaky in the
summary and not held against the candidate. Real CLI, git, pytest, sandbox and model server.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cicd_agent.cli import main
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests.collect import run_suite
from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter
from cicd_agent.modes.gen_tests.gate import Gate
from cicd_agent.modes.gen_tests.segments import find_segments
from cicd_agent.modes.gen_tests.stages import Stage
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.modes.gen_tests.targets import changed_targets, gaps
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from tests.fixtures.gentests_project.build import candidate, git, make_repo
from tests.harness.model_server import TEST_API_KEY, ModelServer
from tests.helpers.gen_tests import gate_reruns, path_env
from tests.helpers.sandbox import needs_sandbox

FLAKY = '''

def test_write_timeout():
    """Passes on the first run in a fresh folder, fails on the next two."""
    import os
    from pathlib import Path

    marker = Path(os.environ["HOME"]) / ".write-timeout-runs"
    runs = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(runs))
    assert runs % 3 == 1, f"timed out (run {runs})"
'''

GOOD_BULK = (
    "import pytest\nfrom shop.pricing import bulk_discount\n\n\n"
    "@pytest.mark.parametrize(('quantity', 'total'), [(5, 5.0), (10, 9.5), (50, 45.0), (100, 85.0)])\n"
    "def test_discount_steps(quantity, total):\n    assert bulk_discount(quantity, 1.0) == total\n\n\n"
    "def test_negative_quantity_is_refused():\n    with pytest.raises(ValueError):\n"
    "        bulk_discount(-1, 1.0)\n"
)


@pytest.mark.slow
@needs_sandbox
def test_a_flaky_existing_test_is_named_and_not_held_against_a_good_candidate(
    tmp_path: Path, model_server: ModelServer
) -> None:
    repo = tmp_path / "shop"
    base, _ = make_repo(repo)
    tests = repo / "tests" / "test_pricing.py"
    tests.write_text(tests.read_text() + FLAKY)
    git(repo, "commit", "-q", "-am", "tests: a write timeout")
    head = git(repo, "rev-parse", "HEAD")
    # bulk_discount, the segment that misses most, comes first and gets the good candidate;
    # the later segments get an answer that does not parse, which the gate refuses before any
    # sandboxed run (each good one would cost the six stages' runs and prove nothing more).
    model_server.answer({"test_module": GOOD_BULK, "rationale": "every step"})
    model_server.answer({"test_module": "def (", "rationale": "no more"}, times=None)
    summary = tmp_path / "summary.md"
    environ = {
        "PATH": path_env(),
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    argv = ["gen-tests", "--repo", str(repo), "--base", base, "--head", head, "--json"]
    argv += ["--base-url", model_server.base_url, "--source", "src/shop/pricing.py"]
    stdout, stderr = io.StringIO(), io.StringIO()
    with gate_reruns(1):  # the candidate's own reruns never run the flaky existing test
        code = main(argv, environ=environ, stdout=stdout, stderr=stderr)
    document = json.loads(stdout.getvalue())
    assert code == 0, stderr.getvalue()
    assert int(str(document["tests_accepted"])) >= 1, json.dumps(document, indent=1)[-4000:]
    text = summary.read_text()
    assert "1 existing test(s) are flaky" in text, text
    assert "`tests/test_pricing.py::test_write_timeout`" in text, text
    assert "not held against generated tests" in text, text
    assert "passed before now fail" not in stdout.getvalue() + text


def _with_flaky_test(repo: Path) -> tuple[str, str]:
    base, _ = make_repo(repo)
    tests = repo / "tests" / "test_pricing.py"
    tests.write_text(tests.read_text() + FLAKY)
    git(repo, "commit", "-q", "-am", "tests: a write timeout")
    return base, git(repo, "rev-parse", "HEAD")


@pytest.mark.slow
@needs_sandbox
@pytest.mark.parametrize("flaky_gate", [True, False], ids=["rechecked", "blamed"])
def test_the_gate_reruns_an_existing_test_without_the_candidate_before_blaming_it(
    tmp_path: Path, flaky_gate: bool
) -> None:
    """A flaky test can pass both baseline runs (one time in nine for two failures in three):
    here the baseline ran once and it passed. In the candidate's copy it fails at the suite
    stage; run again without the candidate it fails too, so the candidate is not blamed. The
    ``blamed`` case pins that the rerun is what decides: a test the candidate really breaks
    (here: one that fails whenever the candidate's file is there) stays held against it."""
    repo = tmp_path / "shop"
    base, head = _with_flaky_test(repo)
    if not flaky_gate:
        tests = repo / "tests" / "test_pricing.py"
        tests.write_text(tests.read_text().replace("assert runs % 3 == 1", BROKEN_BY_CANDIDATE))
        git(repo, "commit", "-q", "-am", "tests: fails beside a generated test")
        head = git(repo, "rev-parse", "HEAD")
    targets = changed_targets(GitCheckout(repo), base, head)
    command = ProjectCommand.parse("python -m pytest")
    with Sandbox(repo, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        meter = CoverageMeter(sandbox, targets.paths)
        baseline, coverage, _ = run_suite(meter, command, timeout=120, label="baseline")
        assert baseline.passed is not None
        assert "tests/test_pricing.py::test_write_timeout" in baseline.passed
        lines, arcs = gaps(coverage, targets)
        source = (repo / "src/shop/pricing.py").read_text()
        segments = {
            s.qualname: s
            for s in find_segments("src/shop/pricing.py", source, lines["src/shop/pricing.py"],
                                   arcs["src/shop/pricing.py"])
        }  # fmt: skip
        # One rerun, not five: the suite stage's recheck is what this test is about.
        gate = Gate(meter, command, baseline, timeout=60, reruns=1)
        verdict = gate.evaluate(
            candidate("good"),
            segments["coupon_value"],
            "tests/test_pricing_generated.py",
            ["tests/test_pricing.py"],
            "good",
        )
    if flaky_gate:
        assert verdict.accepted, verdict.reason
        assert gate.flaky == {"tests/test_pricing.py::test_write_timeout"}
    else:
        assert verdict.stopped_at in (Stage.PASS_X5, Stage.SUITE), verdict.reason
        assert "passed before now fail: tests/test_pricing.py::test_write_timeout" in verdict.reason
        assert not gate.flaky


BROKEN_BY_CANDIDATE = 'assert not (Path(__file__).parent / "test_pricing_generated.py").exists()'
