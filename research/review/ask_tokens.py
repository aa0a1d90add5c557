"""``/cicd-agent ask`` on real history: prompt tokens per question and how often the whole diff
fits, against sending the raw ``git diff`` with the same question.

Run: ``python research/review/ask_tokens.py --repo PATH [--commits 100]`` on any git checkout (e.g.
a public project cloned under /work/data). Deterministic: no model is called.

Each of the newest ``--commits`` non-merge commits of ``PATH`` is taken as a pull request of one
commit. The command mode's own prompt builder (:func:`cicd_agent.modes.command.prompt.build_ask`)
builds the prompt it would send to gpt-5.4 with the deterministic findings of that diff; every
prompt is counted with the model's tokenizer. "Raw" is the same question and fixed text with the
whole unified diff instead of ours (no budget).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import use_tiktoken_cache  # noqa: E402

from cicd_agent.analysis.findings import deterministic_findings  # noqa: E402
from cicd_agent.analysis.redact import Redactor  # noqa: E402
from cicd_agent.local.checkout import GitCheckout  # noqa: E402
from cicd_agent.model.tokens import TokenCounter, prompt_budget  # noqa: E402
from cicd_agent.modes.command.prompt import ASK_TOKENS, build_ask  # noqa: E402

MODEL = "gpt-5.4"
QUESTION = "What could break for existing callers with this change, and is it tested?"


def commits(repo: Path, count: int) -> list[str]:
    shown = subprocess.run(
        ["git", "-C", str(repo), "log", "--no-merges", "--format=%H", f"-{count}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return shown.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--commits", type=int, default=100)
    args = parser.parse_args()
    use_tiktoken_cache()
    counter = TokenCounter.for_model(MODEL)
    budget = prompt_budget(MODEL, None, 4_096)
    repo = GitCheckout(args.repo)
    redact = Redactor(()).redact
    sent: list[int] = []
    raw: list[int] = []
    fitted = 0
    for sha in commits(args.repo, args.commits):
        parent = f"{sha}^"
        if not repo.has_commit(parent):
            continue
        diff = repo.diff(parent, sha)
        system, user, complete = build_ask(
            question=QUESTION, thread="", title="", body="", risk="low",
            findings=deterministic_findings(diff, {}), diff=diff, head=sha,
            count=counter.count, truncate=counter.truncate, budget=budget, redact=redact,
        )  # fmt: skip
        patch = subprocess.run(
            ["git", "-C", str(args.repo), "diff", parent, sha],
            capture_output=True, text=True, check=True, errors="replace",
        ).stdout  # fmt: skip
        sent.append(counter.count(system) + counter.count(user))
        raw.append(counter.count(system) + counter.count(QUESTION) + counter.count(patch))
        fitted += complete
    ratios = sorted(s / r for s, r in zip(sent, raw, strict=True))
    quantiles = statistics.quantiles(sent, n=10)
    print(f"{len(sent)} commits of {args.repo.name}; tokenizer of {MODEL}; cap {ASK_TOKENS:,}")
    print(f"prompt tokens: median {statistics.median(sent):,.0f}, p90 {quantiles[-1]:,.0f}, "
          f"max {max(sent):,}")  # fmt: skip
    print(f"raw diff prompt: median {statistics.median(raw):,.0f}, max {max(raw):,}")
    print(f"sent / raw: median {statistics.median(ratios):.2f}")
    print(f"whole diff shown: {fitted} of {len(sent)} ({100 * fitted / len(sent):.0f}%)")


if __name__ == "__main__":
    main()
