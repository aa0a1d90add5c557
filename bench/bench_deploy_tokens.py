"""deploy-gate's token efficiency: prompt tokens sent against the whole diff, and model calls.

Run: ``python bench/bench_deploy_tokens.py`` (``--json``: the figures for ``bench/run.py``).

The reference changes are review's reference pull requests (``bench_review_tokens.py``), built
as real git repositories. For each, the real CLI runs
``cicd-agent deploy-gate --provider openai --base-url LOCAL`` against the tests' local
OpenAI-compatible server (real ``openai`` SDK over HTTP), which answers every request with a
valid opinion and records what it received. "Sent" is every recorded request counted with the
model's tokenizer (messages and the answer's JSON schema); "naive" is the same request with
the diff excerpt replaced by the whole ``git diff base...head``. "Lines shown" is the share of
added lines of reviewable files (not lockfiles, generated or binary) that appear in a prompt.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_review_tokens import REFERENCES  # noqa: E402
from common import (  # noqa: E402
    Figure,
    emit,
    figure,
    prompt_share_figures,
    tokenizer_note,
    use_tiktoken_cache,
)
from tests.git_builder import GitRepoBuilder  # noqa: E402
from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest  # noqa: E402

from cicd_agent.analysis.diff import Diff  # noqa: E402
from cicd_agent.cli import main as cicd_agent  # noqa: E402
from cicd_agent.local.checkout import GitCheckout  # noqa: E402
from cicd_agent.model.tokens import TokenCounter  # noqa: E402

MODEL = "gpt-5.4"
TARGET_PERCENT = 25.0
DEPLOY_TIME = "2026-11-18T12:00:00+00:00"
OPINION = {
    "risk_factors": ["benchmark answer"],
    "risk_level": "medium",
    "pre_deploy_checks": ["none"],
    "monitoring_focus": ["error rate"],
    "confidence": 0.9,
}
_EXCERPT = re.compile(
    r'<untrusted-data label="diff excerpt" id="(\w+)">\n(.*?)\n</untrusted-data id="\1">', re.S
)


@dataclass(frozen=True)
class Row:
    name: str
    sent_tokens: int
    naive_tokens: int
    diff_tokens_sent: int
    raw_diff_tokens: int
    calls: int
    lines_shown: float


def run_gate(repo: Path, base: str, head: str, server: ModelServer) -> list[RecordedRequest]:
    """Run deploy-gate with the model on ``base..head``; the requests it sent."""
    before = len(server.chat_requests)
    with tempfile.TemporaryDirectory() as scratch:
        environ = {
            "OPENAI_API_KEY": TEST_API_KEY,
            "GITHUB_OUTPUT": str(Path(scratch) / "out"),
            "GITHUB_STEP_SUMMARY": str(Path(scratch) / "summary"),
        }
        argv = [
            "deploy-gate", "--provider", "openai", "--base-url", server.base_url,
            "--model", MODEL, "--repo", str(repo), "--base", base, "--head", head,
            "--deploy-time", DEPLOY_TIME, "--json",
        ]  # fmt: skip
        out, err = io.StringIO(), io.StringIO()
        code = cicd_agent(argv, environ=environ, stdout=out, stderr=err)
    if code not in (0, 1):
        raise SystemExit(f"deploy-gate exited {code}: {err.getvalue()[-800:]}")
    return server.chat_requests[before:]


def measure(name: str, repo: Path, base: str, head: str, server: ModelServer) -> Row:
    counter = TokenCounter.for_model(MODEL)
    local = GitCheckout(repo)
    raw = local.diff_text(base, head)
    requests = run_gate(repo, base, head, server)
    sent = naive = diff_sent = 0
    excerpts: list[str] = []
    for request in requests:
        system, user = request.text("system"), request.text("user")
        schema = counter.count(json.dumps(request.response_schema or {}))
        match = _EXCERPT.search(user)
        excerpt = match.group(2) if match else ""
        naive_user = user.replace(excerpt, raw, 1) if match else user + raw
        sent += counter.count(system) + counter.count(user) + schema
        naive += counter.count(system) + counter.count(naive_user) + schema
        diff_sent += counter.count(excerpt)
        excerpts.append(excerpt)
    return Row(
        name,
        sent,
        naive,
        diff_sent,
        counter.count(raw),
        len(requests),
        _lines_shown(local.diff(base, head), excerpts),
    )


def _lines_shown(diff: Diff, excerpts: list[str]) -> float:
    """Share of the reviewable added lines that some excerpt shows, file by file."""
    sent: dict[str, Counter[str]] = defaultdict(Counter)
    for excerpt in excerpts:
        for section in re.split(r"^diff --git ", excerpt, flags=re.M)[1:]:
            path = section.split("\n", 1)[0].rpartition(" b/")[2]
            sent[path].update(
                line[1:]
                for line in section.splitlines()
                if line.startswith("+") and not line.startswith("+++ ")
            )
    shown = total = 0
    for changed in diff.files:
        if changed.listed_only:
            continue
        wanted = Counter(text for _, text in changed.added_lines())
        total += wanted.total()
        shown += (wanted & sent[changed.path]).total()
    return round(shown / total, 3) if total else 1.0


def figures(rows: list[Row]) -> list[Figure]:
    counter = TokenCounter.for_model(MODEL)
    how = (
        f"{len(rows)} reference changes (review's reference PRs), real CLI + openai SDK against "
        f"the local model server, {MODEL}; " + tokenizer_note(counter.encoding_name, counter.exact)
    )
    over = [
        row
        for row in rows
        if 100 * row.sent_tokens / row.naive_tokens > TARGET_PERCENT or row.lines_shown < 1
    ]
    obstacle = "; ".join(
        f"{row.name}: {row.sent_tokens / row.naive_tokens:.0%} of the naive prompt with "
        f"{row.lines_shown:.0%} of the added lines shown (diff excerpt "
        f"{row.diff_tokens_sent:,} vs whole diff {row.raw_diff_tokens:,} tokens, fixed parts "
        f"{row.sent_tokens - row.diff_tokens_sent:,})"
        for row in over
    ) + (
        ". deploy-gate sends the diff of at most 40 files, riskiest first, up to the model's "
        "budget (lockfiles, generated and binary files left out), plus the computed facts. "
        "Where the whole diff fits it sends nearly all of it, since the model's job is to spot "
        "risk the deterministic floor missed; on a large change the 40-file cap buys the low "
        "ratio with lower recall"
    )
    shares = [100 * row.sent_tokens / row.naive_tokens for row in rows]
    return [
        *prompt_share_figures(
            "deploy-gate", "change", rows, shares, TARGET_PERCENT, how, obstacle,
            "share of added lines of reviewable files that appear in a prompt",
        ),
        figure("deploy-gate: model calls per run", "", [row.calls for row in rows], "1",
               lambda v: v == 1, "counted by the local model server"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    use_tiktoken_cache()
    server = ModelServer().start()
    server.answer(OPINION, times=None)
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for index, (name, build) in enumerate(REFERENCES.items()):
                builder = GitRepoBuilder(Path(folder) / f"change{index}")
                base, head = build(builder, random.Random(index))
                rows.append(measure(name, builder.path, base, head, server))
    finally:
        server.stop()
    if args.json:
        emit(figures(rows))
        return
    print("| change | whole diff | diff sent | prompt sent | naive prompt | sent / naive | "
          "calls | added lines shown |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.name} | {row.raw_diff_tokens:,} | {row.diff_tokens_sent:,} | "
            f"{row.sent_tokens:,} | {row.naive_tokens:,} | "
            f"{row.sent_tokens / row.naive_tokens:.0%} | {row.calls} | {row.lines_shown:.0%} |"
        )


if __name__ == "__main__":
    main()
