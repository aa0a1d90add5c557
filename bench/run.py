"""Run every benchmark, print one table and write ``BENCHMARKS.md``.

    .venv/bin/python bench/run.py            # the full run (the full sizes, ≥ 5 runs each)
    .venv/bin/python bench/run.py --quick    # smaller inputs and fewer runs, a few minutes
    .venv/bin/python bench/run.py --only startup,diff --output /tmp/b.md

Each bench is its own script (``bench/bench_*.py``) run in a fresh interpreter with ``--json``;
it prints its figures as ``common.Figure`` objects, which are collected here. A bench that fails
is reported as failed and the others still run; the exit code is 1 then. Missing a target is a
result, not a failure: it is written down with what stands in the way.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT, Figure, load, number, use_tiktoken_cache


@dataclass(frozen=True)
class Bench:
    """One bench script and the arguments of a full and of a quick run."""

    key: str
    title: str
    script: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] | None = ()
    """Arguments for ``--quick``; None when the bench is left out of a quick run."""
    takes_runs: bool = False


BENCHES = (
    Bench("startup", "Start-up", "bench_startup.py", (), ("--runs", "3", "--inner", "3"), True),
    Bench("install", "Install (composite action: uv from uv.lock, cold and warm cache)",
          "bench_install.py",
          (), ("--runs", "2"), True),
    Bench("diff", "Diff handling: 5,000 files, 200,000 changed lines", "bench_diff.py",
          (), ("--runs", "3"), True),
    Bench("logs", "Logs: 1 GB of tool output → excerpt", "bench_logs.py",
          (), ("--size", "64", "--runs", "3"), True),
    Bench("logs-steps", "Logs: 1 GB of a real job's passing steps repeated → excerpt",
          "bench_logs.py", ("--kind", "steps"), ("--kind", "steps", "--size", "64", "--runs", "3"),
          True),
    Bench("review-scale", "Review of a 5,000-file change (+100k/−100k), whole command",
          "bench_review_scale.py", (), ("--runs", "2"), True),
    Bench("risk", "Risk scoring on a 10,000-commit history", "bench_risk.py",
          (), ("--commits", "2000", "--sample", "10", "--cli-sample", "5")),
    Bench("review-tokens", "Tokens: review", "bench_review_tokens.py"),
    Bench("deploy-tokens", "Tokens: deploy-gate", "bench_deploy_tokens.py"),
    Bench("failure-tokens", "Tokens: analyse-failure", "bench_failure_tokens.py"),
    Bench("failure-eval", "analyse-failure: recall and type accuracy, no model",
          "failure_eval.py"),
    Bench("runner-eval", "analyse-failure: type and root cause per test runner and linter",
          "runner_eval.py"),
    Bench("log-diff", "Tokens: analyse-failure log diff against the green run",
          "bench_log_diff.py"),
    Bench("gen-tests", "gen-tests on a real library (tokens, gate)", "gen_tests_gate.py",
          (), None),
    Bench("canary", "Canary judge", "bench_canary.py", (), ("--trials", "500")),
    Bench("canary-server", "Canary server under attack on loopback (2 minutes)",
          "bench_canary_server.py", (),
          ("--seconds", "20", "--slow", "50", "--junk", "1000", "--valid", "100")),
)  # fmt: skip


@dataclass
class Outcome:
    """What one bench produced: its figures, or why it has none."""

    bench: Bench
    figures: list[Figure] = field(default_factory=list)
    seconds: float = 0.0
    load_at_start: float = 0.0
    error: str = ""
    skipped: str = ""


def run_bench(bench: Bench, quick: bool, runs: int | None) -> Outcome:
    """Run one bench script in a fresh interpreter and collect its figures."""
    load_at_start = os.getloadavg()[0]
    if quick and bench.quick is None:
        return Outcome(bench, load_at_start=load_at_start, skipped="left out of --quick")
    args = list(bench.quick if quick and bench.quick is not None else bench.full)
    if runs is not None and bench.takes_runs:
        args += ["--runs", str(runs)]
    command = [sys.executable, str(ROOT / "bench" / bench.script), "--json", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    outcome = Outcome(bench, seconds=seconds, load_at_start=load_at_start)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-6:]
        outcome.error = f"exit {done.returncode}: " + " / ".join(tail)
        return outcome
    try:
        outcome.figures = load(done.stdout)
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        outcome.error = f"no figures on the last line of its output ({error})"
    return outcome


def machine(started_load: tuple[float, float, float]) -> list[tuple[str, str]]:
    """What the figures were measured on."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        memory = f"{total_kb / 2**20:.1f} GiB"
    return [
        ("CPU", f"{model}, {os.cpu_count()} logical cores"),
        ("memory", memory),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("load average at start (1, 5, 15 min)", ", ".join(f"{v:.2f}" for v in started_load)),
        ("load average at end", ", ".join(f"{v:.2f}" for v in os.getloadavg())),
    ]


def revision() -> str:
    """The commit measured, and whether the working tree differed from it (read-only git)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
        check=False,
    ).stdout.strip()  # fmt: skip
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    if not head:
        return "not a git checkout"
    return f"{head}" + (" plus uncommitted changes" if dirty else "")


def tokenizer() -> str:
    """Which tokenizer the token figures were counted with, and whether it was exact."""
    import tiktoken

    from cicd_agent.model.tokens import TokenCounter

    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or "tiktoken's default (download)"
    exact = [
        f"{name} {'exact' if TokenCounter(name).exact else 'UNAVAILABLE: estimated'}"
        for name in ("o200k_base", "cl100k_base")
    ]
    return f"tiktoken {tiktoken.__version__} ({', '.join(exact)}; cache {cache})"


TABLE_HEAD = (
    "| bench | figure | median | min–max | runs | target | |\n|---|---|---|---|---|---|---|"
)


def table(outcomes: Sequence[Outcome]) -> str:
    """One Markdown table of every figure, a row per failed or skipped bench."""
    rows = [TABLE_HEAD]
    for outcome in outcomes:
        key = outcome.bench.key
        if outcome.error or outcome.skipped:
            what = f"**failed**: {outcome.error}" if outcome.error else outcome.skipped
            rows.append(f"| {key} | {what.replace('|', '/')} | | | | | |")
        rows += [f"| {key} {f.row()}" for f in outcome.figures]
    return "\n".join(rows) + "\n"


def missed_section(outcomes: Sequence[Outcome]) -> list[str]:
    missed = [f for o in outcomes for f in o.figures if f.met is False]
    if not missed:
        return ["Every figure with a target met it."]
    lines, explained = [], set()
    for item in missed:
        why = item.obstacle or "the bench records no explanation"
        if why in explained:
            why = "as for the figure above"
        explained.add(item.obstacle)
        lines.append(f"- **{item.name}**: {number(item.median)} {item.unit} against "
                     f"{item.target}. What stands in the way: {why}.")  # fmt: skip
    return lines


def notes_section(outcomes: Sequence[Outcome]) -> list[str]:
    """Each bench's notes, a note shared by several figures written once."""
    lines = []
    for outcome in outcomes:
        names_by_note: dict[str, list[str]] = {}
        for item in outcome.figures:
            if item.note:
                names_by_note.setdefault(item.note, []).append(item.name)
        if names_by_note:
            lines.append(f"- **{outcome.bench.title}** (`bench/{outcome.bench.script}`)")
            lines += [f"  - {'; '.join(names)}: {note}" for note, names in names_by_note.items()]
    return lines


RESEARCH = (
    ("Performance on real repositories and real job logs", "research/perf.md"),
    ("Secrets: redaction recall, and the precision of review's findings on real commits",
     "research/secrets/results.md"),
    ("Workflow audit on zizmor's, actionlint's and poutine's fixtures",
     "research/review/workflow_audit.md"),
    ("Decisions on sets frozen before tuning: failure typing, workflow audit, deploy rules",
     "research/decisions_heldout.md"),
    ("Finding fingerprints on a real history", "research/review/fingerprint_stability.md"),
    ("gen-tests' gate on a real library", "research/gen_tests/gen_tests_gate.md"),
    ("deploy-gate's risk model on real histories", "research/risk/results.md"),
    ("deploy-gate's canary judge on real metric series", "research/deploy/canary_real.md"),
    ("analyse-failure's fix step on real bug/fix pairs", "research/fix/results.md"),
    ("build: an application-only change from the kept cache, 0.37× the wall and 0.35× the CPU"
     " of a full build", "research/build/app_only.md"),
)  # fmt: skip
"""Studies on data fetched from public repositories (never committed), which this command
cannot rerun: each document gives its data, its commands and its first-seen figures."""


def research_section() -> list[str]:
    """A link to each study that lives beside the scripts that measured it."""
    return [
        "## Measured on fetched data (not rerun by this script)",
        "",
        "These need data that is never committed; each document gives its commands and data,",
        "and [`research/README.md`](research/README.md) says what each script measures.",
        "",
        *(f"- {title}: [`{path}`]({path})" for title, path in RESEARCH),
        "",
    ]


def report(
    outcomes: Sequence[Outcome], command: str, quick: bool, facts: list[tuple[str, str]]
) -> str:
    """BENCHMARKS.md: machine, command, the table, missed targets, and how each was measured."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    kind = (
        "a **quick** run (smaller inputs, fewer runs): a smoke check, not the reference figures"
        if quick
        else "a full run"
    )
    lines = [
        "# Benchmarks",
        "",
        f"Written by `bench/run.py` on {stamp}, {kind}.",
        "Regenerate it with the command below rather than editing it.",
        "",
        f"Command: `{command}`",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in facts),
        "",
        "Timings are medians with min–max over the runs shown. Where a reference exists (start-up",
        "against `python -c pass`, logs against `grep -c error`) the two are run in alternation",
        "and the ratio is the figure, so load from other processes moves both sides alike. Token",
        "figures are deterministic: their runs column counts reference inputs, and the spread is",
        "across inputs. A load average above the number of cores means other processes",
        "shared the machine during the run (see the last table): absolute times are then upper",
        "bounds, and the ratios are the figures to compare.",
        "",
        table(outcomes),
        "## Targets missed, and what stands in the way",
        "",
        *missed_section(outcomes),
        "",
        "## How each figure was measured",
        "",
        *notes_section(outcomes),
        "",
        *research_section(),
        "## Time per bench",
        "",
        "| bench | seconds | load average (1 min) at its start |",
        "|---|---|---|",
        *(f"| {o.bench.key} | {o.seconds:.0f} | {o.load_at_start:.2f} |" for o in outcomes),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer runs")
    parser.add_argument(
        "--only", help="comma-separated benches: " + ",".join(b.key for b in BENCHES)
    )
    parser.add_argument("--runs", type=int, help="override the run count of timing benches")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    chosen = list(BENCHES)
    if args.only:
        keys = {key.strip() for key in args.only.split(",")}
        unknown = keys - {b.key for b in BENCHES}
        if unknown:
            parser.error(f"unknown bench(es): {', '.join(sorted(unknown))}")
        chosen = [b for b in BENCHES if b.key in keys]
    use_tiktoken_cache()
    started_load = os.getloadavg()
    executable = Path(sys.executable)
    shown = executable.relative_to(ROOT) if executable.is_relative_to(ROOT) else executable
    command = shlex.join([str(shown), "bench/run.py", *sys.argv[1:]] if argv is None
                         else [str(shown), "bench/run.py", *argv])  # fmt: skip
    outcomes = []
    for bench in chosen:
        print(f"[bench] {bench.key} …", file=sys.stderr, flush=True)
        outcome = run_bench(bench, args.quick, args.runs)
        state = outcome.error or outcome.skipped or f"{len(outcome.figures)} figure(s)"
        print(f"[bench] {bench.key}: {state} in {outcome.seconds:.0f} s", file=sys.stderr)
        outcomes.append(outcome)
    facts = [*machine(started_load), ("commit", revision()), ("tokenizer", tokenizer())]
    print(table(outcomes))
    args.output.write_text(report(outcomes, command, args.quick, facts), encoding="utf-8")
    print(f"written: {args.output}", file=sys.stderr)
    return 1 if any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
