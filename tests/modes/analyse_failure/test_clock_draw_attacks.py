"""Attacks on the rule that a value read from the clock, which a failed check draws from, is
chance: the test's source is the pull request's, so it can read the clock beside a check that
can never pass (``subsec_nanos()`` is below 10⁹, always). Such a failure may be called likely
flaky, never flaky: it is not excused, its type stays a test failure and the exit is the same
as with no clock read at all. The source's reads (links out, FIFOs, huge files) are attacked in
test_attack_flaky_source_reads.py, which runs through this rule too."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from tests.helpers.bounded import run_bounded
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.markdown_spans import outside_code_spans

FIXTURES = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user11"
NEVER = '    assert!(nanos >= 1_000_000_000, "bucket {}", nanos % 10);'


def _analysed(tmp_path: Path, read: str, check: str) -> CliRun:
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    lines = (FIXTURES / "shared.rs").read_text(encoding="utf-8").split("\n")
    lines[19], lines[22] = read, check
    (project / "tests" / "shared.rs").write_text("\n".join(lines), encoding="utf-8")
    argv = ["analyse-failure", "--provider", "none", "--json", "--repo", str(project),
            "--logs", str(FIXTURES / "rs-failed-run.log")]  # fmt: skip
    done = run_cli(argv, tmp_path)
    assert done.code == 0, done.stderr
    return done


def test_attack_a_check_that_never_passes_beside_a_clock_read_is_not_excused(
    tmp_path: Path,
) -> None:
    clock = "    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();"
    started = time.monotonic()
    drawn = _analysed(tmp_path / "clock", clock, NEVER)
    plain = _analysed(tmp_path / "plain", "    let nanos: u32 = 5;", NEVER)
    print(f"two analyses: {time.monotonic() - started:.1f} s, load {os.getloadavg()}")
    got, base = drawn.document or {}, plain.document or {}
    assert got["is_flaky"] in ("likely", "false"), got["is_flaky"]
    assert got["failure_type"] == base["failure_type"] != "flaky_test", (got, base)
    assert drawn.code == plain.code
    named = {t["name"]: t["verdict"] for t in got.get("flaky_tests", [])}
    assert named.get("c_random_bucket") in (None, "likely"), named
    assert json.dumps(got).count('"verdict": "true"') == 0


def test_attack_a_clock_read_into_the_name_a_check_only_mentions_in_words(
    tmp_path: Path,
) -> None:
    """The check names the value in its message only: a fraction of the second it never
    compares. Saying "likely" here is the rule's reach, and still excuses nothing."""
    clock = "    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();"
    check = '    assert!(1 + 1 == 3, "nanos {}", nanos);'
    done = _analysed(tmp_path, clock, check)
    shutil.rmtree(tmp_path / "project")
    got = done.document or {}
    assert got["is_flaky"] != "true" and got["failure_type"] != "flaky_test", got


MANY = """
import sys, time
from pathlib import Path
from cicd_agent.modes.analyse_failure.logs.flaky import timing_miss
from cicd_agent.modes.analyse_failure.logs.source_lines import SourceLines
project, tests = Path(sys.argv[1]), 800
long = "    let a = b " + "c = d " * 4000 + ";"  # 24 KB, an assignment searched for a clock read
(project / "tests").mkdir(parents=True)
(project / "tests" / "big.rs").write_text("\\n".join([long] * 40) + "\\n", encoding="utf-8")
lines = [f"running {tests} tests", *(f"test t{i} ... FAILED" for i in range(tests)), "failures:"]
for i in range(tests):
    lines += [f"---- t{i} stdout ----", f"thread 't{i}' panicked at tests/big.rs:40:5:", "no", ""]
started = time.process_time()
assert timing_miss(lines, SourceLines(project).line) is None
print(f"{time.process_time() - started:.2f}")
"""


def test_attack_many_failures_at_one_line_of_long_lines_read_it_once(tmp_path: Path) -> None:
    """Each failed test reads its source up from the place its report names: 800 failures at
    the last of 40 lines of 24 KB each read the same megabyte (once 25 CPU-s)."""
    done = run_bounded([sys.executable, "-c", MANY, str(tmp_path / "project")], cwd=Path.cwd())
    print(f"800 failures, one place: {done.stdout.strip()} CPU-s, load {os.getloadavg()}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout) < 3, done.stdout


def test_attack_the_quoted_clock_read_is_inert_in_the_summary(tmp_path: Path) -> None:
    """The draw's line is quoted as evidence: it is the pull request's text."""
    clock = (
        "    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();"
        " // @admin <img src=x> [a](http://evil.example)"
    )
    done = _analysed(tmp_path, clock, '    assert!(nanos % 10 < 7, "bucket {}", nanos % 10);')
    assert "tests/shared.rs:20: let nanos" in done.summary, done.summary
    live = outside_code_spans(done.summary)
    for word in ("@admin", "<img", "[a](http://"):
        assert word not in live, (word, live)
