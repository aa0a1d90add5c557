"""The analysis against the corpus of failed runs built from real tools (tests/corpus).

For every case the excerpt must hold the true error line(s) and the failure type must match.
The summary test prints recall, type accuracy and median excerpt size next to the naive
baseline of sending the last 100 lines of each failed job, and holds the analysis to the bar
the issue sets: recall >= 95 %, type accuracy >= 85 %, median excerpt under 8 KB.

The first run builds the corpus (about a minute: real pytest, mypy, gcc, cargo, node...) and
caches it under .harness/corpus; later runs reuse it while tests/corpus is unchanged.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.runner_format import clean_line
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.corpus import build
from tests.corpus.cases import CASES

pytestmark = pytest.mark.slow
NAIVE_LINES = 100


@dataclass(frozen=True)
class Corpus:
    root: Path
    entries: dict[str, build.Entry]
    manifest: dict[str, object]


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    entries, manifest = build.load()
    return Corpus(build.DEFAULT_DEST, {entry.name: entry for entry in entries}, manifest)


@pytest.fixture(scope="session")
def analyses(corpus: Corpus) -> dict[str, LogAnalysis]:
    return {
        name: analyse_scans(scan_jobs(load_logs(corpus.root / entry.logs)))
        for name, entry in corpus.entries.items()
    }


def _entry(corpus: Corpus, name: str) -> build.Entry:
    if name not in corpus.entries:
        broken = dict(corpus.manifest.get("broken") or {})  # type: ignore[call-overload]
        if name in broken:
            pytest.fail(f"the case did not build: {broken[name]}")
        pytest.skip(f"toolchain missing: {corpus.manifest['skipped']}")
    return corpus.entries[name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_excerpt_holds_the_error_and_the_type_is_right(
    name: str, corpus: Corpus, analyses: dict[str, LogAnalysis]
) -> None:
    entry = _entry(corpus, name)
    analysis = analyses[name]
    for line in entry.truth:
        assert line in analysis.excerpt, f"missing {line!r} in:\n{analysis.excerpt}"
    assert analysis.failure_type == entry.failure_type, analysis.root_cause
    assert analysis.root_cause, "a failed run always has a root-cause line"


def _naive(corpus: Corpus, entry: build.Entry) -> tuple[bool, int]:
    """The last 100 lines of each failed job: does it hold the truth, and how big is it?"""
    tail: list[bytes] = []
    for relative in entry.failed_jobs.values():
        lines = (corpus.root / relative).read_bytes().splitlines()
        tail += lines[-NAIVE_LINES:]
    text = "\n".join(clean_line(line) for line in tail)
    return all(line in text for line in entry.truth), sum(len(line) + 1 for line in tail)


def test_corpus_figures_beat_the_naive_baseline(
    corpus: Corpus, analyses: dict[str, LogAnalysis]
) -> None:
    assert not corpus.manifest.get("broken"), corpus.manifest["broken"]
    entries = list(corpus.entries.values())
    assert len(entries) >= 40, "the corpus lost cases"
    found = [all(t in analyses[e.name].excerpt for t in e.truth) for e in entries]
    typed = [analyses[e.name].failure_type == e.failure_type for e in entries]
    sizes = [len(analyses[e.name].excerpt.encode()) for e in entries]
    naive = [_naive(corpus, e) for e in entries]
    recall, accuracy = sum(found) / len(entries), sum(typed) / len(entries)
    naive_recall = sum(hit for hit, _ in naive) / len(entries)
    print(
        f"\ncorpus: {len(entries)} cases (skipped: {corpus.manifest['skipped'] or 'none'})\n"
        f"analysis: recall {recall:.1%}, type accuracy {accuracy:.1%}, "
        f"median excerpt {statistics.median(sizes):.0f} B (max {max(sizes)} B)\n"
        f"naive last {NAIVE_LINES} lines: recall {naive_recall:.1%}, "
        f"median {statistics.median(size for _, size in naive):.0f} B, no type"
    )
    assert recall >= 0.95
    assert accuracy >= 0.85
    assert statistics.median(sizes) < 8 * 1024
    assert max(sizes) <= 8000
