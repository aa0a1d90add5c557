"""Each test's flakiness over a window of the history's runs: how often it flipped and the CI time
it cost.

A flip is a test's outcome changing between two neighbouring runs that both ran it; its flip rate
is flips over the chances to flip, as BuildPulse and Datadog rank flaky tests. The CI time lost
to a test is the job's length in every run it failed, shared among the tests that failed there:
someone reran that job. A test the test step saw fail on the first run and pass on a retry is
flaky whatever its flips: every run it does so fails first, and the first run's outcomes alone
never flip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from xml.sax.saxutils import escape

from cicd_agent.actions.markdown import code_block
from cicd_agent.analysis.history import canonical_test

WINDOW = 50
"""Runs per job a flip rate looks back over (the API fallback reads 20)."""
MIN_FLIPS = 2
"""Flips that make a test flaky here: it failed and passed again. One flip is a test that
broke (or was fixed) and stayed so."""
MAX_NAME = 500
"""Characters of a test's name a row keeps where it is shown, not matched."""
MAX_RETRIED = 200
"""Tests a row keeps as passed on a retry (written and read): a run's retries are few, and a row
is read back on every later run."""


@dataclass(frozen=True)
class StoredRun:
    """One run of one job on the default branch, as the store keeps it."""

    repository: str
    job: str
    run_id: int
    attempt: int
    head_sha: str
    recorded: str
    """ISO time the run was recorded (the store's order)."""
    outcomes: Mapping[str, bool] = field(default_factory=dict)
    """Canonical test name → passed."""
    seconds: Mapping[str, float] = field(default_factory=dict)
    job_seconds: float = 0.0
    url: str = ""
    retried: tuple[str, ...] = ()
    """Canonical tests that failed on the first run and passed on a retry in this run (older
    rows have none: only the first run's outcomes were kept)."""
    order_dependent: Mapping[str, str] = field(default_factory=dict)
    """Canonical test → the test it fails after, as its runner names it: the test step's
    ``--fix-flaky`` classified it so in this run, failing after that test and passing alone."""

    @property
    def identity(self) -> tuple[int, int | str]:
        """Which run and attempt this is: a run outside a workflow (no ``GITHUB_RUN_ID``: a
        step run on a terminal) has no id, so each of its records is a run of its own."""
        return (self.run_id, self.attempt) if self.run_id else (0, self.recorded)

    def to_json(self) -> dict[str, object]:
        retried = {"retried": list(self.retried[:MAX_RETRIED])} if self.retried else {}
        depends = dict(list(self.order_dependent.items())[:MAX_RETRIED])
        classified = {"order_dependent": depends} if depends else {}
        return {
            "repository": self.repository,
            "job": self.job,
            "run_id": self.run_id,
            "attempt": self.attempt,
            "head_sha": self.head_sha,
            "recorded": self.recorded,
            "outcomes": dict(self.outcomes),
            "seconds": dict(self.seconds),
            "job_seconds": self.job_seconds,
            "url": self.url,
            **retried,
            **classified,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, object]) -> StoredRun:
        """A run from its stored form; raises ValueError (or TypeError) on a malformed one."""
        if not isinstance(document, Mapping):
            raise ValueError("a stored run is an object")
        outcomes = document.get("outcomes", {})
        seconds = document.get("seconds", {})
        retried = document.get("retried", [])
        depends = document.get("order_dependent", {})
        if not isinstance(outcomes, Mapping) or not isinstance(seconds, Mapping):
            raise ValueError("outcomes and seconds must be objects")
        if not isinstance(depends, Mapping):
            raise ValueError("order_dependent must be an object")
        if not isinstance(retried, list):
            raise ValueError("retried must be a list")
        return cls(
            repository=str(document["repository"]),
            job=str(document["job"]),
            run_id=int(str(document["run_id"])),
            attempt=int(str(document.get("attempt", 1))),
            head_sha=str(document.get("head_sha", "")),
            recorded=str(document["recorded"]),
            outcomes={canonical_test(str(k)): bool(v) for k, v in outcomes.items()},
            seconds={canonical_test(str(k)): float(v) for k, v in seconds.items()},
            job_seconds=float(str(document.get("job_seconds", 0.0))),
            url=str(document.get("url", "")),
            retried=tuple(canonical_test(str(test)) for test in retried[:MAX_RETRIED]),
            order_dependent={
                canonical_test(str(test)): str(after)[:MAX_NAME]
                for test, after in list(depends.items())[:MAX_RETRIED]
            },
        )


APART_RUNS = 5
"""Runs, each failed first and passed on a retry, that show a test fails in the suite only."""
EVERY_RUN = 3
"""Runs, each failed first, that show a test failing every time rather than now and then: as
many as a quarantine proposal waits for, so none is proposed for a test that never passed."""


@dataclass(frozen=True)
class FlakyStat:
    """One test's record over the window: runs, failures, flips, the CI time its failures cost."""

    test: str
    runs: int
    failures: int
    flips: int
    lost_seconds: float
    last_failed: str = ""
    """The URL (or run id) of the newest run it failed in."""
    retried: int = 0
    """Runs of the window in which it failed first and passed on a retry."""
    depends_on: str = ""
    """The test the newest run classifying it found it failing after ("" for none)."""
    classified_in: str = ""
    """That run: its id, else (a run outside a workflow) when it was recorded."""

    @property
    def flip_rate(self) -> float:
        return self.flips / (self.runs - 1) if self.runs > 1 else 0.0

    @property
    def apart_only(self) -> bool:
        """It failed the first run of every run of the window, at least :data:`APART_RUNS` of
        them, and passed only when the test step retried it apart from the suite: it depends on
        the tests run before it, not on chance (a test failing half its runs fails five in a
        row one time in 32). No retry excuses it."""
        return self.runs >= APART_RUNS and self.failures == self.runs and self.retried > 0

    @property
    def every_run(self) -> bool:
        """It failed the first run of each of at least :data:`EVERY_RUN` runs and passed only
        on retries: no run shows it passing in the suite, so a retry's pass is no sign of
        chance."""
        return self.runs >= EVERY_RUN and self.failures == self.runs and self.retried > 0


def window(runs: Sequence[StoredRun], size: int = WINDOW) -> list[StoredRun]:
    """The newest ``size`` runs, oldest first (one record per run and attempt, its
    :attr:`~StoredRun.identity`: the last kept)."""
    latest = {run.identity: run for run in sorted(runs, key=lambda r: r.recorded)}
    return sorted(latest.values(), key=lambda r: (r.recorded, r.run_id, r.attempt))[-size:]


def stats(runs: Sequence[StoredRun], size: int = WINDOW) -> list[FlakyStat]:
    """Every test that flipped :data:`MIN_FLIPS` times in the window or passed on a retry in
    one of its runs, most CI time lost first, then by flip rate."""
    kept = window(runs, size)
    lost: dict[str, float] = {}
    retried: dict[str, int] = {}
    depends: dict[str, tuple[str, str]] = {}  # the newest run classifying each test
    for run in kept:
        for test, after in run.order_dependent.items():
            depends[test] = (after, str(run.run_id) if run.run_id else run.recorded)
        for test in set(run.retried):
            retried[test] = retried.get(test, 0) + 1
        failed = [test for test, passed in run.outcomes.items() if not passed]
        for test in failed:
            lost[test] = lost.get(test, 0.0) + run.job_seconds / len(failed)
    found = []
    for test, history in _histories(kept).items():
        flips = sum(was != now for (_, was), (_, now) in pairwise(history))
        if flips < MIN_FLIPS and not retried.get(test):
            continue
        failures = [run for run, passed in history if not passed]
        last = failures[-1].url or str(failures[-1].run_id) if failures else ""
        found.append(
            FlakyStat(
                test,
                len(history),
                len(failures),
                flips,
                round(lost.get(test, 0.0), 1),
                last,
                retried.get(test, 0),
                *depends.get(test, ("", "")),
            )
        )
    return sorted(found, key=lambda s: (-s.lost_seconds, -s.flip_rate, s.test))


def stable(
    runs: Sequence[StoredRun], needed: int, size: int = WINDOW
) -> dict[str, list[StoredRun]]:
    """Each test whose newest ``needed`` runs in the window that ran it all passed, with those
    runs, oldest first: the evidence its issue is closed on ("Owned": closed once stable)."""
    return {
        test: [run for run, _ in history[-needed:]]
        for test, history in _histories(window(runs, size)).items()
        if needed > 0 and len(history) >= needed and all(ok for _, ok in history[-needed:])
    }


def _histories(runs: Sequence[StoredRun]) -> dict[str, list[tuple[StoredRun, bool]]]:
    seen: dict[str, list[tuple[StoredRun, bool]]] = {}
    for run in runs:
        for test, passed in run.outcomes.items():
            seen.setdefault(test, []).append((run, passed))
    return seen


# The report's chart: the job's flaky tests as bars of the CI time each
# lost, longest first, drawn here from the numbers in the host process (no test's code runs):
# a Mermaid ``xychart-beta`` block, which GitHub draws in the job summary, and a standalone
# SVG file. Test names are the tests' own (a pull request can name a test anything), so the
# Mermaid block holds none: its bars are labelled by rank (``#1``), the rank the summary's
# table gives each test; the SVG names them as escaped text, control characters replaced.

TOP = 10
"""Tests a chart shows (the summary's table shows as many, in the same order)."""
BAR_WIDTH = 300
"""Pixels of the longest bar in the SVG."""
NAME_CHARACTERS = 40
"""Characters of a test's name the SVG shows (the start of the name, then "…")."""
_ROW, _LABEL = 24, 330


def mermaid_chart(found: Sequence[FlakyStat]) -> str:
    """A fenced Mermaid block of the CI time the first :data:`TOP` tests of ``found`` lost,
    labelled by rank; "" when no test lost any."""
    shown = list(found[:TOP])
    if not any(stat.lost_seconds for stat in shown):
        return ""
    ranks = ", ".join(f'"#{rank}"' for rank in range(1, len(shown) + 1))
    bars = ", ".join(f"{stat.lost_seconds:.0f}" for stat in shown)
    top = max(1.0, *(stat.lost_seconds for stat in shown))
    chart = "\n".join(
        [
            "xychart-beta horizontal",
            f'    title "CI time lost to flaky tests (last {WINDOW} runs)"',
            f"    x-axis [{ranks}]",
            f'    y-axis "seconds" 0 --> {top:.0f}',
            f"    bar [{bars}]",
        ]
    )
    return code_block(chart, "mermaid")


def svg_chart(found: Sequence[FlakyStat]) -> str:
    """An SVG image of the first :data:`TOP` tests of ``found``: per test its rank and name, a
    bar as long as its CI time lost (the longest :data:`BAR_WIDTH` pixels) and its figures."""
    shown = list(found[:TOP])
    top = max((stat.lost_seconds for stat in shown), default=0.0)
    height = _ROW * (len(shown) + 2)
    rows = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_LABEL + BAR_WIDTH + 160}" '
        f'height="{height}" font-family="sans-serif" font-size="12">',
        f'<text x="4" y="{_ROW - 6}" font-weight="bold">CI time lost to flaky tests '
        f"(last {WINDOW} runs)</text>",
    ]
    for rank, stat in enumerate(shown, 1):
        y = _ROW * (rank + 1)
        width = round(BAR_WIDTH * stat.lost_seconds / top, 1) if top else 0.0
        figures = f"{stat.lost_seconds:,.0f} s, flip rate {stat.flip_rate:.0%}"
        rows += [
            f'<text x="4" y="{y - 6}">#{rank} {_text(stat.test)}</text>',
            f'<rect x="{_LABEL}" y="{y - _ROW + 4}" width="{width}" height="{_ROW - 8}" '
            'fill="#d9534f"><title>' + _text(stat.test) + "</title></rect>",
            f'<text x="{_LABEL + width + 6}" y="{y - 6}">{figures}</text>',
        ]
    return "\n".join([*rows, "</svg>", ""])


def _text(name: str) -> str:
    """``name`` as SVG text: its start, control characters replaced, markup escaped."""
    cut = name if len(name) <= NAME_CHARACTERS else name[: NAME_CHARACTERS - 1] + "…"
    return escape("".join(c if c.isprintable() else "?" for c in cut), {'"': "&quot;"})
