"""The fix step's funnel on real bug/fix pairs from public history, replaying recorded answers.

Not part of the unit-test run. One command::

    .venv/bin/python bench/fix_funnel.py MIRROR... [--work /work/data/fixagent/work]

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
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import use_tiktoken_cache  # noqa: E402
from tests.harness.model_server import ModelServer, ToolCallStep  # noqa: E402
from unidiff import PatchSet  # noqa: E402

from cicd_agent.model.tokens import TokenCounter  # noqa: E402

WORK = Path("/work/data/fixagent/work")
MAX_PAIRS = 6
MAX_SOURCE_LINES = 60
TEST_TIMEOUT = 180
_FIX = re.compile(r"\bfix", re.IGNORECASE)
KINDS = ("oracle", "wrong-then-oracle", "partial", "stale", "test-edit", "workflow")


def git(repo: Path, *args: str, check: bool = True, input: str | None = None) -> str:
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        input=input,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])}: {done.stderr.strip()[:300]}")
    return done.stdout


def is_test(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    return (
        any(part in {"test", "tests", "testing"} for part in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


@dataclass
class Pair:
    """One bug fix with its test, from a project's history."""

    project: str
    sha: str
    subject: str
    tests: list[str]
    sources: list[str]
    source_lines: int
    checkout: Path | None = None
    fix_diff: str = ""
    command: str = ""
    status: str = "candidate"
    failing_output: str = ""

    @property
    def name(self) -> str:
        return f"{self.project}@{self.sha[:10]}"


def candidate_pairs(mirror: Path, project: str, limit: int) -> list[Pair]:
    """Fix commits that came with a test (step 1 of the module docstring), newest first."""
    log = git(
        mirror, "log", "--no-merges", "--first-parent", "--format=%x00%H %s", "--numstat", "HEAD"
    )
    pairs: list[Pair] = []
    for entry in log.split("\0")[1:]:
        head, *stats = entry.strip().splitlines()
        sha, _, subject = head.partition(" ")
        if not _FIX.search(subject) or "typo" in subject.lower():
            continue
        tests, sources, lines = [], [], 0
        for row in stats:
            added, removed, path = [*row.split("\t"), "", "", ""][:3]
            if not path.endswith(".py") or "=>" in path:
                continue
            if is_test(path):
                tests.append(path)
            else:
                sources.append(path)
                lines += int(added or 0) + int(removed or 0) if added.isdigit() else 999
        if tests and 1 <= len(sources) <= 3 and lines <= MAX_SOURCE_LINES:
            pairs.append(Pair(project, sha, subject, tests, sources, lines))
        if len(pairs) >= limit * 3:
            break
    return pairs


def python_env(checkout: Path) -> dict[str, str]:
    """The environment the project's tests run in: our interpreter, the checkout importable."""
    path = os.pathsep.join(str(checkout / part) for part in ("src", "."))
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def run_tests(checkout: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        shell=True,
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=TEST_TIMEOUT,
        env=python_env(checkout),
        check=False,
    )


def reproduce(mirror: Path, pair: Pair, work: Path) -> None:
    """Build the broken checkout and check the test fails there and passes with the fix."""
    checkout = work / pair.project / pair.sha[:12]
    if checkout.exists():
        shutil.rmtree(checkout)
    checkout.parent.mkdir(parents=True, exist_ok=True)
    git(work, "clone", "-q", "--shared", "--no-checkout", str(mirror), str(checkout))
    git(checkout, "checkout", "-q", f"{pair.sha}^")
    git(checkout, "config", "user.name", "fix funnel")
    git(checkout, "config", "user.email", "funnel@example.invalid")
    test_diff = git(checkout, "diff", f"{pair.sha}^", pair.sha, "--", *pair.tests)
    git(checkout, "apply", "--index", "-", input=test_diff)
    git(checkout, "commit", "-q", "--no-verify", "-m", "tests of the change under test")
    pair.fix_diff = git(checkout, "diff", f"{pair.sha}^", pair.sha, "--", *pair.sources)
    pair.checkout = checkout
    present = [path for path in pair.tests if (checkout / path).is_file()]
    if not present:
        pair.status = "no test file left"
        return
    pair.command = (
        f"PYTHONPATH=src:. {shlex.quote(sys.executable)} -m pytest -q -x -p no:cacheprovider "
        + " ".join(shlex.quote(path) for path in present)
    )
    try:
        broken = run_tests(checkout, pair.command)
        if broken.returncode == 0:
            pair.status = "test passes without the fix"
            return
        if broken.returncode not in (1,):
            pair.status = f"test cannot run here (pytest exit {broken.returncode})"
            return
        git(checkout, "apply", "-", input=pair.fix_diff)
        fixed = run_tests(checkout, pair.command)
    except subprocess.TimeoutExpired:
        pair.status = "test timed out"
        return
    finally:
        git(checkout, "checkout", "-q", "--", ".")
    if fixed.returncode != 0:
        pair.status = "test fails with the fix too"
        return
    pair.status = "reproduced"
    pair.failing_output = broken.stdout[-6000:]


# ---------------------------------------------------------------------------- recorded answers

STOP = "I have no further change to propose."
WORKFLOW_EDIT = (
    "diff --git a/.github/workflows/ci.yml b/.github/workflows/ci.yml\n"
    "new file mode 100644\n"
    "--- /dev/null\n"
    "+++ b/.github/workflows/ci.yml\n"
    "@@ -0,0 +1 @@\n"
    "+on: push\n"
)


def _first_target(diff: str) -> str:
    return next(line[6:] for line in diff.splitlines() if line.startswith("+++ b/"))


def _file_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(lines)


def wrong_patch(pair: Pair) -> str:
    """A patch that applies and changes nothing that matters: a comment atop the fixed file."""
    path = _first_target(pair.fix_diff)
    assert pair.checkout is not None
    old = (pair.checkout / path).read_text(encoding="utf-8")
    return _file_diff(path, old, "# a change that fixes nothing\n" + old)


def partial_patch(pair: Pair) -> str:
    """The historical fix's first hunk alone ("" when the fix has only one hunk)."""
    files = PatchSet(pair.fix_diff)
    if sum(len(patched) for patched in files) < 2:
        return ""
    first = files[0]
    return f"--- {first.source_file}\n+++ {first.target_file}\n{first[0]}"


def stale_patch(pair: Pair) -> str:
    """The historical fix with its first context line changed, so it cannot apply."""
    lines = pair.fix_diff.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(" ") and line.strip():
            lines[index] = line.rstrip("\n") + "  # stale context\n"
            return "".join(lines)
    for index, line in enumerate(lines):
        if line.startswith("-") and not line.startswith("---"):
            lines[index] = line.rstrip("\n") + "  # stale context\n"
            return "".join(lines)
    return ""


def test_edit_patch(pair: Pair) -> str:
    """The cheat: the fix's first test file marked skipped, so pytest passes without a fix."""
    path = next(path for path in pair.tests if pair.checkout and (pair.checkout / path).is_file())
    assert pair.checkout is not None
    old = (pair.checkout / path).read_text(encoding="utf-8")
    return _file_diff(path, old, "import pytest\npytestmark = pytest.mark.skip\n" + old)


def recorded_answers(pair: Pair) -> dict[str, list[list[ToolCallStep]]]:
    """Per answer kind, the scripted turns (each a list of tool calls); see the docstring."""
    oracle = pair.fix_diff
    target = _first_target(oracle)

    def propose(diff: str, summary: str) -> list[ToolCallStep]:
        return [("propose_patch", {"diff": diff, "summary": summary})]

    answers = {
        "oracle": [
            [("read_file", {"path": target})],
            [("run_failing_command", {})],
            propose(oracle, "the historical fix"),
        ],
        "wrong-then-oracle": [
            propose(wrong_patch(pair), "a comment"),
            propose(oracle, "the historical fix"),
        ],
    }
    partial, stale = partial_patch(pair), stale_patch(pair)
    if partial:  # a one-hunk fix has no partial version
        answers["partial"] = [propose(partial, "the first hunk of the fix")]
    if stale:
        answers["stale"] = [propose(stale, "the fix with stale context")]
    answers["test-edit"] = [propose(test_edit_patch(pair), "make the test pass")]
    answers["workflow"] = [propose(oracle + WORKFLOW_EDIT, "the fix and a CI tweak")]
    return answers


# ---------------------------------------------------------------------------- replay


@dataclass
class Replay:
    """What one recorded answer did to one pair."""

    pair: str
    kind: str
    proposed: int = 0
    refused: int = 0
    applying: int = 0
    verified: int = 0
    offered: bool = False
    calls: int = 0
    prompt_tokens: int = 0
    seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)


def applies(checkout: Path, diff: str) -> bool:
    done = subprocess.run(
        ["git", "apply", "--check", "-"], cwd=checkout, input=diff, text=True,
        capture_output=True, check=False,
    )  # fmt: skip
    return done.returncode == 0


def replay(pair: Pair, kind: str, turns: list[list[ToolCallStep]], counter: TokenCounter) -> Replay:
    """Run the loop once on ``pair`` with the scripted ``turns``; count the funnel."""
    from cicd_agent.analysis.redact import Redactor
    from cicd_agent.model.client import ModelClient
    from cicd_agent.modes.analyse_failure.fix.agent import FixAgent
    from cicd_agent.modes.analyse_failure.fix.contract import FailingCommand
    from cicd_agent.modes.analyse_failure.fix.verify import SandboxVerifier
    from cicd_agent.sandbox import Sandbox

    assert pair.checkout is not None
    server = ModelServer().start()
    for calls in turns:
        server.call_tools(*calls)
    server.answer(STOP)
    audit: list[dict[str, Any]] = []
    failing = FailingCommand(
        job="test", step="Run tests", script=pair.command, failing=pair.command
    )
    redact = Redactor().redact
    result = Replay(pair.name, kind)
    started = time.perf_counter()
    try:
        sandbox = Sandbox(
            pair.checkout, {"PATH": os.environ["PATH"], "HOME": str(pair.checkout.parent)}
        )
        verifier = SandboxVerifier(sandbox, failing, redact=redact, failing_tests=pair.tests)
        with sandbox, ModelClient(server.config(max_retries=0, timeout=60.0)) as model:
            agent = FixAgent(model, verifier, pair.checkout, redact=redact, audit=audit.append)
            outcome = agent.run(failing, pair.failing_output)
    finally:
        server.stop()
    result.seconds = time.perf_counter() - started
    for line in audit:
        if line["kind"] == "tool" and line["call"] == "propose_patch":
            result.proposed += 1
            if line["refused"]:
                result.refused += 1
                result.reasons.append(f"refused by the loop: {line['refused']}")
    for verdict in outcome.proposals:
        result.applying += applies(pair.checkout, verdict.patch.diff)
        result.verified += verdict.verified
        if not verdict.verified:
            result.reasons.append(verdict.reason)
    result.offered = outcome.offered is not None
    result.calls = outcome.calls
    result.prompt_tokens = sum(
        counter.count(json.dumps(request.body.get("messages", [])))
        + counter.count(json.dumps(request.body.get("tools", [])))
        for request in server.chat_requests
    )
    return result


# ---------------------------------------------------------------------------- report


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
