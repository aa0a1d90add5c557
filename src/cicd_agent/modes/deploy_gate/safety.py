"""CI signals and the safety score: how much evidence says this change is safe to ship.

Five signals, each scored 0 to 100, weighted (defaults from the issue: tests 35, coverage delta 20,
review decision 25, recent failure rate 10, model assessment 10). A signal that could not be
read is *missing*: it is listed, its weight is spread over the signals that are present, and it
never counts as green. With no signal at all there is no safety score (None), not 100.

How each is scored (documented so a user can predict the number):

* tests: pass rate over the JUnit files (skipped tests excluded), scored ``100 * rate**10``;
  one failure in a hundred costs ~10 points, one in twenty ~40;
* coverage: line-coverage delta head minus base in percentage points; no loss scores 100 and each
  point lost costs 20 (-5 points or worse scores 0);
* review: per pull request containing the change, approved 100, waiting for review 30, changes
  requested 0; the worst pull request counts, a change pushed without one scores 0;
* failure rate: share of this workflow's completed runs on the branch that failed in the
  window; scored ``100 * (1 - rate)``;
* model: the model's own risk level, low 100, medium 70, high 35, critical 0.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from xml.etree import ElementTree

from cicd_agent.actions.bounded_json import load as load_bounded_json
from cicd_agent.actions.errors import UsageError
from cicd_agent.job.pipeline import NOT_SHOWN
from cicd_agent.modes.deploy_gate.policy import load_json


class SignalName(StrEnum):
    TESTS = "tests"
    COVERAGE = "coverage"
    REVIEW = "review"
    FAILURE_RATE = "failure_rate"
    MODEL = "model"


SIGNALS: dict[SignalName, tuple[str, float]] = {  # the title the summary shows, default weight
    SignalName.TESTS: ("Test pass rate", 35.0),
    SignalName.COVERAGE: ("Coverage delta", 20.0),
    SignalName.REVIEW: ("Review decision", 25.0),
    SignalName.FAILURE_RATE: ("Recent failure rate", 10.0),
    SignalName.MODEL: ("Model assessment", 10.0),
}
MODEL_LEVEL_SCORES = {"low": 100.0, "medium": 70.0, "high": 35.0, "critical": 0.0}
REVIEW_SCORES = {"approved": 100.0, "review_required": 30.0, "changes_requested": 0.0}


@dataclass(frozen=True, kw_only=True)
class Signal:
    """One signal's score (None when missing), its configured and effective weight, and why."""

    name: SignalName
    score: float | None
    weight: float = 0.0
    """The configured weight and the share of the score it gets, both set when the signals are
    weighed together (:func:`safety_score`)."""
    effective_weight: float = 0.0
    detail: str
    pulls: tuple[int, ...] = field(default=(), metadata=NOT_SHOWN)
    """The pull requests ``detail`` names (``#12``), as GitHub's API lists them: posted, they
    stay references (any other ``#12`` is broken). Not part of the JSON result."""

    @property
    def missing(self) -> bool:
        return self.score is None


def parse_weights(text: str | None) -> dict[SignalName, float]:
    """``tests=35,coverage=20,…`` or a JSON object; names left out keep their default."""
    weights = {name: weight for name, (_, weight) in SIGNALS.items()}
    if not text or not text.strip():
        return weights
    raw: Mapping[str, object]
    if text.strip().startswith("{"):  # JSON that starts so and parses is an object
        raw = load_json(text, "safety-weights", "signal weights")
    else:
        pairs = [item.partition("=") for item in text.replace(";", ",").split(",") if item.strip()]
        raw = {name.strip(): value.strip() for name, _, value in pairs}
    for name, value in raw.items():
        try:
            signal = SignalName(str(name).strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in SignalName)
            raise UsageError(
                f"safety-weights names an unknown signal {name!r}; use {allowed}."
            ) from None
        try:
            number = float(str(value))
        except ValueError:
            raise UsageError(f"safety-weights: {name} must be a number, got {value!r}.") from None
        if number < 0:
            raise UsageError(f"safety-weights: {name} must not be negative.")
        weights[signal] = number
    if sum(weights.values()) <= 0:
        raise UsageError("safety-weights must give at least one signal a positive weight.")
    return weights


@dataclass(frozen=True)
class JUnitCounts:
    """Counts over every JUnit file matched."""

    files: tuple[str, ...]
    total: int
    failed: int
    errors: int
    skipped: int

    @property
    def executed(self) -> int:
        return self.total - self.skipped

    @property
    def passed(self) -> int:
        return self.executed - self.failed - self.errors

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.executed if self.executed else None


def find_reports(patterns: str | None, root: Path) -> list[Path]:
    """Files matching the comma- or newline-separated globs (relative to ``root``, the working
    folder), sorted. A glob that matches no file is a usage error: a report that was asked for
    and not read would let the gate proceed past failing tests as if none had run."""
    if not patterns:
        return []
    found: set[Path] = set()
    for raw in patterns.replace("\n", ",").split(","):
        pattern = raw.strip()
        if not pattern:
            continue
        base = pattern if Path(pattern).is_absolute() else str(root / pattern)
        matched = [Path(match) for match in glob.glob(base, recursive=True)]
        if not any(path.is_file() for path in matched):
            raise UsageError(
                f"--junit {pattern!r} matched no file (looked in {root})",
                hint="Give the path of the JUnit XML report the tests wrote, relative to the "
                "folder cicd-agent runs in or absolute, or leave --junit out.",
            )
        found.update(matched)
    return sorted(path for path in found if path.is_file())


def read_junit(paths: Sequence[Path]) -> JUnitCounts:
    """Count test cases in JUnit XML files (pytest, Surefire, jest-junit, go-junit-report …).

    Cases are counted one by one rather than trusting the suites' summary attributes, which
    some producers leave out or get wrong.
    """
    # Here, not at the top: only a run given a JUnit report needs the parser.
    from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

    total = failed = errors = skipped = 0
    for path in paths:
        try:
            document = JUnitXml.fromfile(str(path))
        except (OSError, ElementTree.ParseError, ValueError) as exc:
            raise UsageError(f"JUnit report {path} could not be read: {exc}.") from exc
        suites = [document] if isinstance(document, TestSuite) else list(document)
        for suite in suites:
            for case in suite:
                total += 1
                results = case.result
                if any(isinstance(result, Error) for result in results):
                    errors += 1
                elif any(isinstance(result, Failure) for result in results):
                    failed += 1
                elif any(isinstance(result, Skipped) for result in results):
                    skipped += 1
    return JUnitCounts(tuple(str(path) for path in paths), total, failed, errors, skipped)


@dataclass(frozen=True)
class CoverageReport:
    """Line coverage of one coverage.py report (JSON from ``coverage json``, XML from
    ``coverage xml``); both formats give the same lines, so head and base may differ in format."""

    path: str
    covered_lines: int
    statements: int
    files: tuple[str, ...] = ()
    """The measured files as the report names them: absolute when made in a container
    (``/app/src/x.py``), else relative to where coverage ran or to a Cobertura source."""

    @property
    def percent(self) -> float:
        return 100.0 * self.covered_lines / self.statements if self.statements else 100.0


def read_coverage(path: Path) -> CoverageReport:
    """Read a coverage.py JSON or Cobertura XML report; anything else is a usage error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Coverage report {path} could not be read: {exc}.") from exc
    if text.lstrip().startswith("{"):
        try:
            document = load_bounded_json(text)
            totals = document["totals"]
            return CoverageReport(
                str(path),
                int(totals["covered_lines"]),
                int(totals["num_statements"]),
                tuple(str(name) for name in document.get("files", {})),
            )
        # ValueError: bounded_json's refusal, or a count that is not a whole number
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                f"Coverage report {path} is not coverage.py JSON (no totals.covered_lines).",
                hint="Produce it with `coverage json`.",
            ) from exc
    try:
        # The report is written by the workflow's own coverage run; expat in Python >= 3.7.1
        # also refuses the entity-expansion attacks defusedxml guards against.
        root = ElementTree.fromstring(text)  # noqa: S314
        sources = [s.text.strip() for s in root.iter("source") if s.text and s.text.strip()]
        names = [c.attrib["filename"] for c in root.iter("class") if c.attrib.get("filename")]
        return CoverageReport(
            str(path),
            int(root.attrib["lines-covered"]),
            int(root.attrib["lines-valid"]),
            tuple(dict.fromkeys(_joined(sources, name) for name in names)),
        )
    except (ElementTree.ParseError, KeyError, ValueError) as exc:
        raise UsageError(
            f"Coverage report {path} is neither coverage.py JSON nor Cobertura XML.",
            hint="Produce it with `coverage json` or `coverage xml`.",
        ) from exc


def _joined(sources: Sequence[str], filename: str) -> str:
    """A Cobertura class's file with its source folder, when the report names exactly one:
    ``/app/src`` + ``x.py`` matches ``src/x.py`` better than ``x.py`` alone would."""
    if len(sources) != 1 or filename.startswith(("/", "\\")):
        return filename
    return f"{sources[0].rstrip('/')}/{filename}"


def _parts(name: str) -> tuple[str, ...]:
    """Path components, Windows separators and ``.`` dropped, so suffixes compare by folder."""
    return tuple(part for part in name.replace("\\", "/").split("/") if part not in ("", "."))


FOREIGN_SHARE = 0.1
"""Below this share of a report's files found in the tree, the report describes another tree:
a few common names (``__init__.py``, ``setup.py``) can match by chance."""


def foreign_tree(report: CoverageReport, tracked: Sequence[str]) -> str | None:
    """Why ``report`` does not measure this repository, or None when it does.

    Totals alone cannot tell a report of this code from one of another project, so the files
    it measured are looked up in the tree. The right project may have been measured elsewhere
    (a container's ``/app/src/x.py``, or a subfolder's ``x.py`` for ``pkg/x.py``), so a file
    matches when its path ends with a tracked path or a tracked path ends with it. A report
    without a file list cannot be checked and is taken as it is.
    """
    if not report.files:
        return None
    whole = {_parts(path) for path in tracked}
    tails = {parts[i:] for parts in whole for i in range(len(parts))}
    found = sum(
        1
        for parts in map(_parts, report.files)
        if parts in tails or any(parts[i:] in whole for i in range(1, len(parts)))
    )
    total = len(report.files)
    if found >= FOREIGN_SHARE * total:
        return None
    count = "none" if not found else f"only {found}"
    return (
        f"the coverage report {Path(report.path).name} describes another tree: {count} of its "
        f"{total} files are in this repository"
    )


def pass_rate_signal(results: JUnitCounts | None) -> Signal:
    if results is None:
        return Signal(name=SignalName.TESTS, score=None, detail="no JUnit reports given (--junit)")
    rate = results.pass_rate
    if rate is None:
        said = f"{len(results.files)} JUnit file(s) with no executed test"
        return Signal(name=SignalName.TESTS, score=None, detail=said)
    score = round(100.0 * rate**10, 2)
    detail = (
        f"{results.passed}/{results.executed} passed ({results.failed} failed, "
        f"{results.errors} errors, {results.skipped} skipped) in {len(results.files)} file(s); "
        f"score 100 × {rate:.4f}¹⁰ = {score:.1f}"
    )
    return Signal(name=SignalName.TESTS, score=score, detail=detail)


def coverage_signal(
    head: CoverageReport | None, base: CoverageReport | None, reason: str = ""
) -> Signal:
    """``reason``: why a report that was given is not used (e.g. :func:`foreign_tree`)."""
    if head is None or base is None or reason:
        given = "head only" if head else ("base only" if base else "no report")
        said = reason or f"needs --coverage and --base-coverage ({given} given)"
        return Signal(name=SignalName.COVERAGE, score=None, detail=said)
    delta = head.percent - base.percent
    score = 100.0 if delta >= 0 else max(0.0, 100.0 + 20.0 * delta)
    detail = f"{base.percent:.2f}% → {head.percent:.2f}% ({delta:+.2f} points)"
    return Signal(name=SignalName.COVERAGE, score=round(score, 2), detail=detail)


@dataclass(frozen=True)
class PullReview:
    """Where one pull request containing the change stands (from the GitHub API)."""

    number: int
    verdict: str  # approved, review_required or changes_requested


def review_signal(pulls: Sequence[PullReview] | None, reason: str = "") -> Signal:
    """``pulls`` None: could not ask GitHub (missing); empty: pushed without a pull request."""
    if pulls is None:
        return Signal(name=SignalName.REVIEW, score=None, detail=reason or "GitHub not available")
    if not pulls:
        said = "no pull request contains this change"
        return Signal(name=SignalName.REVIEW, score=0.0, detail=said)
    worst = min(REVIEW_SCORES.get(pull.verdict, 0.0) for pull in pulls)
    listed = ", ".join(f"#{p.number} {p.verdict.replace('_', ' ')}" for p in pulls[:5])
    numbers = tuple(p.number for p in pulls[:5])
    return Signal(name=SignalName.REVIEW, score=worst, detail=listed, pulls=numbers)


FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "startup_failure"})
COUNTED_CONCLUSIONS = FAILED_CONCLUSIONS | {"success"}


def failure_rate_signal(
    conclusions: Sequence[str | None] | None, days: int, reason: str = ""
) -> Signal:
    """Cancelled, skipped and neutral runs say nothing about the code and are not counted."""
    counted = [c for c in conclusions or () if c in COUNTED_CONCLUSIONS]
    if not counted:
        said = f"no completed run of this workflow in the last {days} day(s)"
        if conclusions is None:
            said = reason or "GitHub not available"
        return Signal(name=SignalName.FAILURE_RATE, score=None, detail=said)
    failed = sum(1 for c in counted if c in FAILED_CONCLUSIONS)
    said = f"{failed}/{len(counted)} runs failed in the last {days} day(s)"
    score = round(100.0 * (1.0 - failed / len(counted)), 2)
    return Signal(name=SignalName.FAILURE_RATE, score=score, detail=said)


def model_signal(level: str | None, confidence: float | None) -> Signal:
    if level is None:
        return Signal(name=SignalName.MODEL, score=None, detail="no model assessment")
    said = f"model says {level} risk (confidence {confidence or 0:.2f})"
    return Signal(name=SignalName.MODEL, score=MODEL_LEVEL_SCORES[level], detail=said)


def safety_score(
    signals: Sequence[Signal], weights: Mapping[SignalName, float]
) -> tuple[float | None, list[Signal]]:
    """The weighted mean of the present signals, with each signal's weight and effective
    weight (%).

    Missing signals get effective weight 0 and their weight is spread over the others in
    proportion; with nothing present the score is None.
    """
    present = [s for s in signals if not s.missing and weights[s.name] > 0]
    total = sum(weights[s.name] for s in present)
    weighted = [
        replace(
            s,
            weight=weights[s.name],
            effective_weight=round(100.0 * weights[s.name] / total, 2)
            if total and s in present
            else 0.0,
        )
        for s in signals
    ]
    if not total:
        return None, weighted
    score = sum((s.score or 0.0) * weights[s.name] for s in present) / total
    return round(score, 2), weighted
