"""Recall of the error line, failure-type accuracy and flaky verdicts, with no model.

    python bench/failure_eval.py [--cases DIR] [--no-corpus] [--misses] [--json]

Runs the deterministic analysis (what ``--provider none`` reports) on the failed-run corpus of
tests/corpus (built first if needed) and on the cases ``research/failure/failure_cases.py`` wrote to
DIR. A case counts as recalled when every true error line is in the excerpt sent to the model; its
type is right when the analysis names the expected type. For DIR's cases the offline flaky verdict
(``true``/``likely``/``false``) is compared too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from common import emit, figure  # noqa: E402
from tests.corpus import build  # noqa: E402

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.sources import load_logs  # noqa: E402


def verdict(analysis: LogAnalysis) -> str:
    if analysis.is_flaky:
        return "true"
    return "likely" if analysis.likely_flaky_evidence else "false"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rows: list[tuple[str, str, bool, bool, str, str]] = []
    if not args.no_corpus:
        entries, _ = build.load()
        for entry in entries:
            analysis = analyse_scans(scan_jobs(load_logs(build.DEFAULT_DEST / entry.logs)))
            found = all(line in analysis.excerpt for line in entry.truth)
            typed = analysis.failure_type == entry.failure_type
            rows.append(("corpus", entry.name, found, typed, analysis.failure_type.value,
                         entry.failure_type))  # fmt: skip
    flaky_rows: list[tuple[str, str, str]] = []
    if args.cases:
        for folder in sorted(p for p in args.cases.iterdir() if (p / "truth.json").exists()):
            truth = json.loads((folder / "truth.json").read_text())
            analysis = analyse_scans(scan_jobs(load_logs(folder / "logs.zip")))
            found = all(line in analysis.excerpt for line in truth["truth"])
            typed = analysis.failure_type == truth["failure_type"]
            rows.append(("cases", folder.name, found, typed, analysis.failure_type.value,
                         truth["failure_type"]))  # fmt: skip
            flaky_rows.append((folder.name, verdict(analysis), truth["flaky"]))
    if args.json:
        emit(_figures(rows, flaky_rows))
        return
    for group in ("corpus", "cases", None):
        chosen = [r for r in rows if group is None or r[0] == group]
        if not chosen:
            continue
        recall = sum(r[2] for r in chosen) / len(chosen)
        accuracy = sum(r[3] for r in chosen) / len(chosen)
        print(f"{group or 'all'}: {len(chosen)} cases, recall {recall:.1%}, "
              f"type accuracy {accuracy:.1%}")  # fmt: skip
    if flaky_rows:
        right = sum(1 for _, got, want in flaky_rows if got == want)
        print(f"flaky verdicts (offline): {right}/{len(flaky_rows)} right")
    if args.misses:
        for group, name, found, typed, got, want in rows:
            if not (found and typed):
                print(f"  miss {group}/{name}: recall={found} type {got} (want {want})")
        for name, got, want in flaky_rows:
            if got != want:
                print(f"  flaky {name}: {got} (want {want})")


def _figures(
    rows: list[tuple[str, str, bool, bool, str, str]], flaky_rows: list[tuple[str, str, str]]
) -> list[object]:
    """Recall and type accuracy per set (the issue's bars), and the offline flaky verdicts."""
    made = []
    for group, what in (("corpus", "tests/corpus"), ("cases", "research/failure/failure_cases.py")):
        chosen = [r for r in rows if r[0] == group]
        if not chosen:
            continue
        recall = 100 * sum(r[2] for r in chosen) / len(chosen)
        accuracy = 100 * sum(r[3] for r in chosen) / len(chosen)
        note = f"{len(chosen)} failed runs of real tools ({what}), --provider none"
        if group == "corpus":
            note += "; tuned on (the rules were written against it; no first-seen figure kept)"
        made += [
            figure(f"analyse-failure ({group}): error line in the excerpt (recall)", "%",
                   [recall], "≥ 97 %", recall >= 97, note),
            figure(f"analyse-failure ({group}): failure type right", "%", [accuracy],
                   "≥ 90 %", accuracy >= 90, note),
        ]  # fmt: skip
    if flaky_rows:
        right = 100 * sum(1 for _, got, want in flaky_rows if got == want) / len(flaky_rows)
        made.append(figure("analyse-failure (cases): offline is_flaky verdict right", "%",
                           [right], note="true/likely/false against the case's label"))  # fmt: skip
    return made


if __name__ == "__main__":
    main()
