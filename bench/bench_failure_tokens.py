"""Benchmark: prompt tokens analyse-failure sends, against sending the last 100 lines per job.

    python bench/bench_failure_tokens.py [--model gpt-4o-mini] [--json] [--cases]

For every case of the failed-run corpus (tests/corpus, built first if needed) the mode's real
prompt is built (system prompt, facts, findings, the excerpt fitted to the model's budget, and
the answer schema) and counted with the model's tokenizer. The alternative is the same prompt
with the excerpt replaced by the last 100 lines of each failed job (runner timestamps and
colours stripped, which favours it). Both are checked for the case's true error lines.
Model calls per run are counted by running the real CLI (``--logs``, ``--provider openai``)
on every case against the tests' local model server. ``--json`` prints the figures for
``bench/run.py``; ``--cases`` prints every case as JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from common import Figure, emit, figure, tokenizer_note, use_tiktoken_cache  # noqa: E402
from tests.corpus import build  # noqa: E402
from tests.harness.model_server import TEST_API_KEY, ModelServer  # noqa: E402

from cicd_agent.analysis.redact import Redactor  # noqa: E402
from cicd_agent.cli import main as cicd_agent  # noqa: E402
from cicd_agent.model.config import DEFAULT_MAX_OUTPUT_TOKENS  # noqa: E402
from cicd_agent.model.tokens import TokenCounter, prompt_budget  # noqa: E402
from cicd_agent.modes.analyse_failure.answer import FailureAnswer, FixRecommendation  # noqa: E402
from cicd_agent.modes.analyse_failure.log_facts import FailureType  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.runner_format import clean_line  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.sources import load_logs  # noqa: E402
from cicd_agent.modes.analyse_failure.prompt import build_prompt  # noqa: E402
from cicd_agent.modes.analyse_failure.types import Evidence  # noqa: E402
from cicd_agent.modes.analyse_failure.verdict import excerpt_budget  # noqa: E402

NAIVE_LINES = 100
TARGET_PERCENT = 25.0


def naive_excerpt(entry: build.Entry) -> str:
    """The last ``NAIVE_LINES`` lines of each failed job, cleaned of runner prefixes."""
    parts = []
    for relative in entry.failed_jobs.values():
        lines = (build.DEFAULT_DEST / relative).read_bytes().splitlines()[-NAIVE_LINES:]
        parts.append("\n".join(clean_line(line) for line in lines))
    return "\n\n".join(parts)


def measure(model: str) -> list[dict[str, object]]:
    entries, _ = build.load()
    counter = TokenCounter.for_model(model)
    budget = excerpt_budget(prompt_budget(model, None, DEFAULT_MAX_OUTPUT_TOKENS))
    schema = counter.count(json.dumps(FailureAnswer.model_json_schema()))
    redact = Redactor().redact
    rows: list[dict[str, object]] = []
    for entry in entries:
        analysis = analyse_scans(
            scan_jobs(load_logs(build.DEFAULT_DEST / entry.logs)),
            budget=budget,
            measure=counter.count,
            redact=redact,
        )
        naive = replace(analysis, excerpt=naive_excerpt(entry))
        sizes = []
        for variant in (analysis, naive):
            system, user = build_prompt(
                variant, None, Evidence(), redact=redact, truncate=counter.truncate
            )
            sizes.append(counter.count(system) + counter.count(user) + schema)
        rows.append(
            {
                "case": entry.name,
                "prompt_tokens": sizes[0],
                "naive_prompt_tokens": sizes[1],
                "excerpt_tokens": counter.count(analysis.excerpt),
                "naive_excerpt_tokens": counter.count(naive.excerpt),
                "found": all(line in analysis.excerpt for line in entry.truth),
                "naive_found": all(line in naive.excerpt for line in entry.truth),
            }
        )
    return rows


def calls_per_run(model: str) -> list[int]:
    """Model calls the real CLI makes on each corpus case (local model server, valid answer)."""
    entries, _ = build.load()
    answer = FailureAnswer(
        root_cause="benchmark answer",
        failure_type=FailureType.UNKNOWN,
        responsible_files=[],
        responsible_commit=None,
        fix=FixRecommendation(type="investigate", description="benchmark answer"),
        confidence=0.5,
        is_flaky=False,
        flaky_evidence=[],
    )
    server = ModelServer().start()
    server.answer(answer, times=None)
    calls = []
    try:
        for entry in entries:
            before = len(server.chat_requests)
            with tempfile.TemporaryDirectory() as scratch:
                environ = {
                    "OPENAI_API_KEY": TEST_API_KEY,
                    "GITHUB_OUTPUT": str(Path(scratch) / "out"),
                    "GITHUB_STEP_SUMMARY": str(Path(scratch) / "summary"),
                }
                argv = [
                    "analyse-failure",
                    "--provider",
                    "openai",
                    "--base-url",
                    server.base_url,
                    "--model",
                    model,
                    "--logs",
                    str(build.DEFAULT_DEST / entry.logs),
                    "--json",
                ]
                code = cicd_agent(argv, environ=environ, stdout=io.StringIO(), stderr=io.StringIO())
            if code not in (0, 1):
                raise SystemExit(f"analyse-failure exited {code} on {entry.name}")
            calls.append(len(server.chat_requests) - before)
    finally:
        server.stop()
    return calls


def figures(rows: list[dict[str, object]], calls: list[int], model: str) -> list[Figure]:
    """The issue's figures over the corpus, with what keeps them above target."""
    counter = TokenCounter.for_model(model)

    def value(row: dict[str, object], key: str) -> int:
        return int(str(row[key]))

    found = 100 * sum(1 for row in rows if row["found"]) / len(rows)
    naive_found = 100 * sum(1 for row in rows if row["naive_found"]) / len(rows)
    how = f"{len(rows)} corpus cases (real tools, runner log format), {model}; " + tokenizer_note(
        counter.encoding_name, counter.exact
    )
    prompt = [100 * value(r, "prompt_tokens") / value(r, "naive_prompt_tokens") for r in rows]
    excerpt = [100 * value(r, "excerpt_tokens") / value(r, "naive_excerpt_tokens") for r in rows]
    fixed = statistics.median(value(r, "prompt_tokens") - value(r, "excerpt_tokens") for r in rows)
    obstacle = (
        f"the excerpt itself is {statistics.median(excerpt):.0f} % of the last-{NAIVE_LINES}-lines "
        f"text (median), but both prompts carry the same fixed parts (instructions, facts, answer "
        f"schema: median {fixed:,.0f} tokens), which the ratio of whole prompts cannot shrink"
    )
    sent = sum(value(r, "prompt_tokens") for r in rows)
    naive = sum(value(r, "naive_prompt_tokens") for r in rows)
    target = f"≤ {TARGET_PERCENT:g} % at equal recall"
    return [
        figure("analyse-failure: prompt tokens / last-100-lines prompt, per case", "%", prompt,
               target, lambda v: v <= TARGET_PERCENT and found >= naive_found, how, obstacle),
        figure("analyse-failure: prompt tokens / last-100-lines prompt, all cases summed", "%",
               [100 * sent / naive], target,
               lambda v: v <= TARGET_PERCENT and found >= naive_found,
               f"{sent:,} sent vs {naive:,} naive", obstacle),
        figure("analyse-failure: excerpt tokens / last-100-lines text, per case", "%", excerpt,
               note="the part of the prompt that depends on the logs"),
        figure("analyse-failure: true error lines in what is sent (recall)", "%", [found],
               f"≥ last-{NAIVE_LINES}-lines ({naive_found:.0f} %)", found >= naive_found,
               "every true error line of the case must be in the excerpt"),
        figure("analyse-failure: model calls per run", "", calls, "1", lambda v: v == 1,
               "real CLI on every case, counted by the local model server"),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--cases", action="store_true", help="print every case as JSON")
    args = parser.parse_args(argv)
    use_tiktoken_cache()
    rows = measure(args.model)
    if args.json:
        emit(figures(rows, calls_per_run(args.model), args.model))
        return 0
    if args.cases:
        print(json.dumps(rows, indent=1))

    def med(key: str) -> float:
        return statistics.median(int(str(row[key])) for row in rows)

    def total(key: str) -> int:
        return sum(int(str(row[key])) for row in rows)

    found = sum(1 for row in rows if row["found"]) / len(rows)
    naive_found = sum(1 for row in rows if row["naive_found"]) / len(rows)
    print(f"{len(rows)} corpus cases, tokens counted for {args.model}")
    print(f"prompt tokens, median: mode {med('prompt_tokens'):.0f}, "
          f"last-{NAIVE_LINES}-lines {med('naive_prompt_tokens'):.0f}")  # fmt: skip
    print(f"prompt tokens, total:  mode {total('prompt_tokens')}, "
          f"last-{NAIVE_LINES}-lines {total('naive_prompt_tokens')} "
          f"({total('prompt_tokens') / total('naive_prompt_tokens'):.2f}x)")  # fmt: skip
    print(f"excerpt tokens, median: mode {med('excerpt_tokens'):.0f}, "
          f"last-{NAIVE_LINES}-lines {med('naive_excerpt_tokens'):.0f}")  # fmt: skip
    print(f"true error lines in what is sent: mode {found:.0%}, last-{NAIVE_LINES}-lines "
          f"{naive_found:.0%}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
