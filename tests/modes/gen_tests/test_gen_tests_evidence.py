"""Red-team attacks on gen-tests' evidence pipe: a candidate test writes the one report the
gate reads, in place of our plugin, and the host reads it. Real repository, real pytest,
coverage.py and the real sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.sandbox import needs_sandbox
from tests.modes.gen_tests.gate_bench import Bench, evaluate, gate_bench

pytestmark = needs_sandbox


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    with gate_bench(tmp_path_factory.mktemp("evidence") / "shop") as bench:
        yield bench


_REPORT_IN_PLACE_OF_OURS = """
import base64, json, os, zlib
from shop.pricing import coupon_value


def test_coupon():
    assert coupon_value("SAVE10") == 10
    assert coupon_value("x") == 0
    document = {{
        "exitstatus": 0, "collect_errors": [], "unresolved": [],
        "tests": {{"tests/test_pricing_generated.py::test_coupon": "passed"}},
        "coverage": {coverage},
    }}
    line = {prefix!r} + json.dumps(document).encode() + b"\\n"
    os.write(int(os.environ["CICD_GENTESTS_EVIDENCE_FD"]), line)
    os._exit(0)
"""


def test_coverage_data_a_test_forges_runs_no_sql_on_the_host(bench: Bench, tmp_path: Path) -> None:
    """Attack: coverage data travels as ``CoverageData.dumps()``, a zlib-packed SQL script
    that ``loads()`` runs with ``executescript`` in our own process, outside the sandbox. A test
    writes the pipe's one report itself, its exit status matching, with a script of its own:
    ``ATTACH DATABASE '<any host path>'`` creates a file wherever the agent may write (the
    runner's temp folder, the agent's own site-packages) and fills it with the test's text."""
    escaped = tmp_path / "escaped.db"
    script = (
        f"ATTACH DATABASE '{escaped}' AS host; CREATE TABLE host.t (x); "
        "INSERT INTO host.t VALUES ('written from inside the sandbox');"
    )
    coverage = f"base64.b64encode(b'z' + zlib.compress({script!r}.encode())).decode()"
    verdict = evaluate(bench, _REPORT_IN_PLACE_OF_OURS.format(coverage=coverage, prefix=b""))
    assert not escaped.exists(), "a forged coverage report ran SQL on the host"
    assert not verdict.accepted


def test_a_report_nested_too_deep_to_read_is_a_rejected_candidate(bench: Bench) -> None:
    """Attack: the report a test writes opens 100,000 arrays before ours follows on the same
    line; ``json.loads`` raised RecursionError, which the evidence reader did not catch, and
    gen-tests ended in an internal error (exit 3) instead of rejecting one candidate."""
    verdict = evaluate(
        bench, _REPORT_IN_PLACE_OF_OURS.format(coverage="None", prefix=b"[" * 100_000)
    )
    assert not verdict.accepted
