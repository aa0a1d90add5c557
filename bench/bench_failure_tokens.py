"""Benchmark: prompt tokens analyse-failure sends, against sending the last 100 lines per job.

    python bench/bench_failure_tokens.py [--model gpt-4o-mini] [--json]

For every case of the failed-run corpus (tests/corpus, built first if needed) the mode's real
prompt is built (system prompt, facts, findings, the excerpt fitted to the model's budget, and
the answer schema) and counted with the model's tokenizer. The alternative is the same prompt
with the excerpt replaced by the last 100 lines of each failed job (runner timestamps and
colours stripped, which favours it). Both are checked for the case's true error lines.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.corpus import build  # noqa: E402

from cicd_agent.analysis.logs import analyse_logs, load_logs  # noqa: E402
from cicd_agent.analysis.logs.runner_format import clean_line  # noqa: E402
from cicd_agent.analysis.redact import Redactor  # noqa: E402
from cicd_agent.failure.opinion import (  # noqa: E402
    Evidence,
    FailureOpinion,
    build_prompt,
    excerpt_budget,
)
from cicd_agent.model.config import DEFAULT_MAX_OUTPUT_TOKENS  # noqa: E402
from cicd_agent.model.tokens import TokenCounter, prompt_budget  # noqa: E402

NAIVE_LINES = 100


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
    schema = counter.count(json.dumps(FailureOpinion.model_json_schema()))
    redact = Redactor().redact
    rows: list[dict[str, object]] = []
    for entry in entries:
        analysis = analyse_logs(
            load_logs(build.DEFAULT_DEST / entry.logs),
            budget=budget,
            measure=counter.count,
            redact=redact,
        )
        naive = analysis.model_copy(update={"excerpt": naive_excerpt(entry)})
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--json", action="store_true", help="print every case as JSON")
    args = parser.parse_args(argv)
    rows = measure(args.model)
    if args.json:
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
