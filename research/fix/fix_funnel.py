"""The fix step's funnel on real bug/fix pairs from public history, replaying recorded answers.

Not part of the unit-test run. One command::

    .venv/bin/python research/fix/fix_funnel.py MIRROR... [--work /work/data/fixagent/work]

Each MIRROR is a bare git directory of a small pure-Python project (the ``fetch`` tool's
``/work/.mirror/<owner>+<name>/repo``). What it does, per project:

1. **Pairs.** Walk the default branch's non-merge commits, newest first, and keep those whose
   subject says "fix" and that change at least one test file and one to three non-test ``.py``
   files, with at most 60 changed non-test lines: a bug fix that came with its test.
2. **Reproduce.** Build the broken checkout: the fix's parent plus only the fix's test files
   (committed, so git log and blame work and the history never shows the fix). The failing
   command is ``python -m pytest`` on those test files. A pair counts only when that command
   fails on the broken checkout and passes once the fix's non-test part is applied; the rest are
   counted as not reproducible here (old Python, missing test dependencies, a test that does not
   detect the bug).
3. **Replay.** For every reproduced pair, run the model's tool loop (:class:`FixAgent`, the real
   openai SDK over HTTP to the local scripted server, the verifier of the fix step) once per
   recorded answer. The answers are NOT a model's: they are scripted from the pair itself, so the
   figures measure the pipeline and the verifier's discrimination, not a model's skill:

   - ``oracle``: read the first fixed file, run the failing command, propose the historical fix;
   - ``wrong-then-oracle``: first a patch that applies but changes nothing that matters (a
     comment added to the fixed file), then the historical fix;
   - ``partial``: only the historical fix's first hunk (when it has more than one);
   - ``stale``: the historical fix with its context lines changed (it cannot apply);
   - ``test-edit``: the fix's test file marked skipped, so pytest passes (the cheat);
   - ``workflow``: the historical fix plus an edit of ``.github/workflows/ci.yml``.

4. Count per answer kind: patches proposed, refused by the loop, applying (``git apply
   --check`` on the broken checkout), verified and offered; model calls and prompt tokens
   (the requests' messages and tools counted with tiktoken) per offered fix.

Everything fetched or built stays under ``--work`` (default /work/data/fixagent/work); the
recorded answers for each pair are written there too (``answers/<pair>.json``), since they
contain fetched code. Nothing is committed from it.

The parts live beside this file: ``fix_funnel_pairs`` (steps 1 and 2), ``fix_funnel_answers``
(the recorded answers of step 3), ``fix_funnel_replay`` (one run of the loop and its counts);
this module drives them and writes the report.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import use_tiktoken_cache
from fix_funnel_answers import KINDS, recorded_answers
from fix_funnel_pairs import Pair, candidate_pairs, reproduce
from fix_funnel_replay import Replay, replay

from cicd_agent.model.tokens import TokenCounter

WORK = Path("/work/data/fixagent/work")
MAX_PAIRS = 6


def _spread(label: str, values: list[int] | list[float], spec: str) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"| {label} | {mid:{spec}} | {low:{spec}}–{high:{spec}} |"


def report(pairs: list[Pair], replays: list[Replay]) -> str:
    """The funnel as Markdown: pairs, then per answer kind, then cost per offered fix."""
    out = ["| pairs | count |", "|---|---|"]
    for status, count in Counter(pair.status for pair in pairs).most_common():
        out.append(f"| {status} | {count} |")
    out += [
        "",
        "| answer kind | runs | patches proposed | refused by the loop | applying | verified | offered |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        rows = [r for r in replays if r.kind == kind]
        if not rows:
            continue
        counts = [
            len(rows),
            *(sum(getattr(r, name) for r in rows) for name in ("proposed", "refused", "applying")),
            *(sum(getattr(r, name) for r in rows) for name in ("verified", "offered")),
        ]
        out.append(f"| {kind} | " + " | ".join(str(count) for count in counts) + " |")
    offered = [r for r in replays if r.offered]
    if offered:
        calls = [r.calls for r in offered]
        tokens = [r.prompt_tokens for r in offered]
        seconds = [r.seconds for r in offered]
        out += [
            "",
            "| per offered fix | median | min–max |",
            "|---|---|---|",
            _spread("model calls", calls, "g"),
            _spread("prompt tokens sent (tiktoken o200k)", tokens, ",.0f"),
            _spread("wall time of the loop (s)", seconds, ".1f"),
        ]
    reasons = Counter(reason.split(" (")[0] for r in replays for reason in r.reasons)
    out += ["", "| why not offered | count |", "|---|---|"]
    out += [f"| {reason} | {count} |" for reason, count in reasons.most_common()]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirrors", nargs="+", type=Path, help="bare git directories (fetch tool)")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--pairs", type=int, default=MAX_PAIRS, help="reproduced pairs per project")
    parser.add_argument("--json", type=Path, help="write every replay's figures here")
    args = parser.parse_args(argv)
    use_tiktoken_cache()
    counter = TokenCounter.for_model("gpt-5.4")
    pairs: list[Pair] = []
    replays: list[Replay] = []
    for mirror in args.mirrors:
        project = mirror.parent.name.split("+", 1)[-1] if mirror.name == "repo" else mirror.name
        reproduced = 0
        for pair in candidate_pairs(mirror, project, args.pairs):
            if reproduced >= args.pairs:
                break
            try:
                reproduce(mirror, pair, args.work)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                pair.status = f"could not build ({str(exc)[:60]})"
            pairs.append(pair)
            print(f"{pair.name}: {pair.status} — {pair.subject[:70]}", flush=True)
            if pair.status != "reproduced":
                continue
            reproduced += 1
            answers = recorded_answers(pair)
            answers_file = args.work / "answers" / f"{pair.project}-{pair.sha[:12]}.json"
            answers_file.parent.mkdir(parents=True, exist_ok=True)
            answers_file.write_text(json.dumps(answers, indent=1), encoding="utf-8")
            for kind, turns in answers.items():
                result = replay(pair, kind, turns, counter)
                replays.append(result)
                print(
                    f"  {kind:18} proposed {result.proposed} refused {result.refused} applying "
                    f"{result.applying} verified {result.verified} offered {result.offered} "
                    f"calls {result.calls} tokens {result.prompt_tokens} {result.seconds:.1f}s "
                    f"{'; '.join(result.reasons)[:160]}",
                    flush=True,
                )
    text = report(pairs, replays)
    print()
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps([r.__dict__ for r in replays], indent=1, default=str), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
