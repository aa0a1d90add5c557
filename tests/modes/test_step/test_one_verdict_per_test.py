"""One test, one verdict in the test step's summary: a new user's go test (golang-lru's
``TestSharedCacheStartsEmpty``, failing after a test that leaks a shared cache 60 % of the
time) failed first in each of its 4 runs and passed on retry in the fourth. The summary's
headline called it flaky, the table of flaky tests ranked it, and a line under the table said
"Not flaky: ... it fails every time". A pass on retry in this run is direct evidence; the
history's runs are earlier ones (too few for the step to hold it against the retry), so the
line under the table says flaky too, and names the retry that decided it."""

from __future__ import annotations

from datetime import date

from cicd_agent.analysis.flaky_stats import StoredRun, stats
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.result import decide, seen_lines
from cicd_agent.modes.test_step.types import Attempt

OWN = "github.com/hashicorp/golang-lru/v2.TestSharedCacheStartsEmpty"
CANONICAL = "github.com.hashicorp.golang-lru.v2.TestSharedCacheStartsEmpty"
NAMES = {CANONICAL: OWN}


def _run(number: int, depends: str = "") -> StoredRun:
    return StoredRun("newuser/golang-lru", ".github/workflows/ci.yml", number, 1, f"sha{number}",
                     f"2026-12-01T00:{number:02d}Z", {CANONICAL: False}, {}, 2.8,
                     retried=(CANONICAL,),
                     order_dependent={CANONICAL: depends} if depends else {})  # fmt: skip


def _summary(history: list[StoredRun]) -> tuple[str, str]:
    """The headline and body of the fourth run: judged on the three runs before it, its table
    drawn after it was recorded (as the step does)."""
    attempts = [
        Attempt(exit_status=1, outcomes={CANONICAL: False}, names=NAMES),
        Attempt(exit_status=0, outcomes={CANONICAL: True}, names=NAMES),
    ]
    apart = {s.test: s.runs for s in stats(history[:-1]) if s.apart_only}
    verdict = judge_step(attempts, [], date(2026, 12, 1), code_is_proof=True, apart=apart)
    result = decide(verdict, ["go", "test", "./..."])
    result.history = seen_lines(stats(history), {}, NAMES, dict(result.flaky))
    return result.headline, result.summary_body()


def test_a_test_that_passed_on_retry_here_is_never_called_not_flaky_under_the_table() -> None:
    headline, body = _summary([_run(n) for n in range(1, 5)])
    assert "passed on retry (flaky, not excused)" in headline, headline
    assert "Not flaky" not in body, body
    assert (
        f"Flaky in this run: `{OWN}` failed on the first run, passed on retry 1 (not excused), "
        "though it failed the first run of each of its 4 runs here"
    ) in body, body


def test_an_earlier_order_dependent_finding_is_said_beside_this_runs_retry() -> None:
    polluter = "github.com/hashicorp/golang-lru/v2.TestSharedCacheFill"
    headline, body = _summary([_run(1), _run(2), _run(3, depends=polluter), _run(4)])
    assert "flaky, not excused" in headline, headline
    assert "Not flaky" not in body, body
    assert (
        f"Flaky in this run: `{OWN}` failed on the first run, passed on retry 1 (not excused); "
        f"`--fix-flaky` found it failing after `{polluter}` and passing alone in run 3: "
        "it depends on the tests run before it."
    ) in body, body


def test_five_runs_failing_first_outrank_the_retry_and_every_line_says_so() -> None:
    """Five earlier runs each failed first: the step holds it failing whatever the retry
    showed, and its headline says the retry passed rather than "failed on every run"."""
    headline, body = _summary([_run(n) for n in range(1, 7)])
    assert "flaky" not in headline and "every run" not in headline, headline
    assert headline == (
        "The test step failed: 1 test(s) passed on retry but failed the first run of each of "
        "their last runs in the test history (they depend on the tests before them)."
    ), headline
    assert "Not flaky" in body and "Flaky in this run" not in body, body
