"""How the gen-tests gate behaves on a real library: humanize 4.17.0 from PyPI, with its own tests.

Not part of the unit-test run. One command::

    .venv/bin/python bench/gen_tests_gate.py

What it does:

1. ``pip download`` the humanize 4.17.0 sdist (it ships ``tests/``), unpack it, and give it
   its own virtual environment (the "project's environment": the package installed editable,
   pytest and freezegun — the test dependencies its suite needs).
2. Take away the tests a pull request author "forgot": ``tests/test_number.py`` and
   ``tests/test_filesize.py`` (and ``test_i18n.py``/``test_benchmarks.py``, which need extra
   plugins or exercise the same code). The suite that stays — doctests, time and list tests —
   still covers most of ``number.py`` and ``filesize.py``.
3. Run ``cicd-agent gen-tests --source src/humanize/number.py src/humanize/filesize.py`` with
   the local model server replaying recorded answers from ``bench/gen_tests_answers/``
   (``<segment>__<attempt>.py.txt``): answers written to look like a model's, good ones and the
   usual mistakes (a wrong expected value, an invented function, a test without assertions, a
   test that changes the locale and never restores it, a test of already covered code).
4. Print the funnel, every candidate's stop, coverage before and after and the timings, and
   write them to ``research/gen_tests/gen_tests_gate.md``. With ``--json``, the last line of stdout
   is the figures ``bench/run.py`` reports: the funnel's rates, coverage, gate time per candidate,
   model calls, and prompt tokens per call against the naive prompt that shows the whole target
   module and the whole nearest test file instead of the segment and an excerpt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Figure, emit, figure, tokenizer_note, use_tiktoken_cache  # noqa: E402
from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest  # noqa: E402

from cicd_agent.modes.gen_tests.gate import FUNNEL_KEYS  # noqa: E402

PACKAGE = "humanize==4.17.0"
ANSWERS = Path(__file__).parent / "gen_tests_answers"
RESULTS = Path(__file__).parent / "gen_tests_gate.md"
WORK = Path(tempfile.gettempdir()) / "cicd-agent-bench-gen-tests"
REMOVED_TESTS = ("test_number.py", "test_filesize.py", "test_i18n.py", "test_benchmarks.py")
TARGETS = "src/humanize/number.py src/humanize/filesize.py"
_SEGMENT = re.compile(r"runs the missing lines of `([^`]+)` in `")


def prepare() -> tuple[Path, Path]:
    """The library checkout (tests removed) and its virtual environment's python."""
    WORK.mkdir(exist_ok=True)
    downloads = WORK / "downloads"
    if not any(downloads.glob("humanize-*.tar.gz")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                str(downloads),
                PACKAGE,
            ],
            check=True,
        )
    sdist = next(downloads.glob("humanize-*.tar.gz"))
    project = WORK / "humanize"
    shutil.rmtree(project, ignore_errors=True)
    with tarfile.open(sdist) as archive:
        archive.extractall(WORK, filter="data")
    (WORK / sdist.name.removesuffix(".tar.gz")).rename(project)
    for name in REMOVED_TESTS:
        (project / "tests" / name).unlink()
    venv = WORK / "venv"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "pytest>=9", "freezegun"], check=True
        )
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-deps", "-e", str(project)], check=True
    )
    return project, venv / "bin" / "python"


class Replay:
    """Answers each prompt with the recorded answer for its segment and attempt."""

    def __init__(self) -> None:
        self.attempts: dict[str, int] = {}
        self.missing: list[str] = []
        self.requests: list[RecordedRequest] = []

    def __call__(self, request: RecordedRequest) -> dict[str, str]:
        self.requests.append(request)
        match = _SEGMENT.search(request.text("user"))
        segment = match.group(1) if match else "?"
        number = self.attempts.get(segment, 0) + 1
        self.attempts[segment] = number
        answer = ANSWERS / f"{segment}__{number}.py.txt"
        if not answer.exists():
            self.missing.append(answer.name)
            return {"test_module": "", "rationale": "no recorded answer"}
        return {
            "test_module": answer.read_text(encoding="utf-8"),
            "rationale": f"recorded {answer.name}",
        }


def run(project: Path, python: Path) -> tuple[dict[str, Any], float, Replay]:
    replay = Replay()
    server = ModelServer().start()
    server.answer_with(replay, times=None)
    env = {
        "PATH": f"{python.parent}{os.pathsep}/usr/bin:/bin",
        "HOME": str(WORK),
        "LANG": "C.UTF-8",
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        env["TIKTOKEN_CACHE_DIR"] = os.environ["TIKTOKEN_CACHE_DIR"]
    started = time.monotonic()
    try:
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "cicd-agent"),
                "gen-tests",
                "--repo",
                str(project),
                "--source",
                TARGETS,
                "--test-command",
                f"{python} -m pytest",
                "--base-url",
                server.base_url,
                "--json",
                "--patch-file",
                str(WORK / "humanize.patch"),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        server.stop()
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"gen-tests exited {done.returncode}")
    return json.loads(done.stdout), seconds, replay


def report(document: dict[str, Any], seconds: float, replay: Replay) -> str:
    funnel = {key: document["funnel"][key] for key in FUNNEL_KEYS}
    candidates = document["candidates"]
    gate_seconds = sum(c["seconds"] for c in candidates)
    runs = sum(c["runs"] for c in candidates)
    lines = [
        "# gen-tests gate on a real library",
        "",
        f"Library: {PACKAGE} (sdist from PyPI, its own test suite: doctests + tests/test_time.py"
        " + tests/test_lists.py; tests/test_number.py and tests/test_filesize.py removed).",
        f"Targets: {TARGETS} (whole files, `--source`).",
        "Model: recorded answers replayed by the local model server (bench/gen_tests_answers/).",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "Command: `.venv/bin/python bench/gen_tests_gate.py`.",
        "",
        "| " + " | ".join(funnel) + " |",
        "| " + " | ".join("---:" for _ in funnel) + " |",
        "| " + " | ".join(str(v) for v in funnel.values()) + " |",
        "",
        f"Coverage of the two files (lines + branches): {document['coverage_before']}% → "
        f"{document['coverage_after']}%.",
        f"Segments with gaps: {len(document['segments'])}; accepted tests: {document['tests_accepted']}.",
        f"Wall time: {seconds:.1f} s in all; gate {gate_seconds:.1f} s over {len(candidates)} "
        f"candidates ({gate_seconds / max(1, len(candidates)):.1f} s each, {runs} pytest runs).",
        document["isolation"],
        "",
        "| segment | attempt | stopped at | why | runs | s |",
        "|---|---:|---|---|---:|---:|",
    ]
    for c in candidates:
        stop = c["stopped_at"] or "accepted"
        reason = c["reason"].replace("|", "\\|")[:140]
        segment = c["segment"].split("::")[1]
        lines.append(
            f"| {segment} | {c['attempt']} | {stop} | {reason} | {c['runs']} | {c['seconds']} |"
        )
    if replay.missing:
        lines += ["", f"Prompts without a recorded answer: {', '.join(replay.missing)}."]
    return "\n".join(lines) + "\n"


_FENCE = re.compile(
    r'<untrusted-data label="([^"]*)" id="(\w+)">\n(.*?)\n</untrusted-data id="\2">', re.S
)
_TESTS_FILE = re.compile(r"How the existing tests in `([^`]+)` are written")
_RETRY = "Your previous module was rejected"
TARGET_PERCENT = 25.0
_TARGET = re.compile(r"runs the missing lines of `[^`]+` in `([^`]+)` \(lines")


def naive_user(user: str, project: Path) -> str:
    """The same prompt showing the whole target module and the whole nearest test file."""
    whole: dict[str, str] = {}
    for pattern, suffix in ((_TARGET, " lines"), (_TESTS_FILE, "")):
        found = pattern.search(user)
        if found:
            path = found.group(1)
            whole[path + suffix] = (project / path).read_text(encoding="utf-8")

    def widen(match: re.Match[str]) -> str:
        label = match.group(1)
        key = next((k for k in whole if label == k or label.startswith(k + " ")), None)
        if key is None:
            return match.group(0)
        nonce = match.group(2)
        return f'<untrusted-data label="{label}" id="{nonce}">\n{whole[key]}\n</untrusted-data id="{nonce}">'

    return _FENCE.sub(widen, user)


def figures(
    document: dict[str, Any], seconds: float, replay: Replay, project: Path
) -> list[Figure]:
    """Funnel, coverage, gate time, model calls and tokens of one gen-tests run."""
    from cicd_agent.model.tokens import TokenCounter

    funnel = document["funnel"]
    generated = max(1, funnel["generated"])
    sent, naive, ratios, retries = 0, 0, [], []
    counter = TokenCounter.for_model(replay.requests[0].model or "") if replay.requests else None
    for request in replay.requests:
        assert counter is not None
        schema = counter.count(json.dumps(request.response_schema or {}))
        system, user = request.text("system"), request.text("user")
        ours = counter.count(system) + counter.count(user) + schema
        theirs = counter.count(system) + counter.count(naive_user(user, project)) + schema
        sent, naive = sent + ours, naive + theirs
        ratios.append(100 * ours / theirs)
        retries.append(_RETRY in user)
    how = f"{PACKAGE}, {len(document['segments'])} segments, recorded answers replayed; " + (
        tokenizer_note(counter.encoding_name, counter.exact) if counter else "no calls"
    )
    first = [r for r, retry in zip(ratios, retries, strict=True) if not retry] or [0.0]
    again = [r for r, retry in zip(ratios, retries, strict=True) if retry] or [0.0]
    obstacle = (
        f"first attempts send {statistics.median(first):.0f} % of the whole-module prompt "
        f"(median): the segment, the module's imports and an excerpt of the nearest tests are "
        f"a large share of modules this small; the {sum(retries)} re-prompts add the rejected "
        f"module and the gate's output ({statistics.median(again):.0f} % median). Recall "
        f"cannot be compared offline: the answers are replayed, not generated from the prompt"
    )
    stages = ", ".join(f"{key} {funnel[key]}" for key in FUNNEL_KEYS)
    return [
        figure("gen-tests: prompt tokens / whole-module prompt, per call", "%", ratios or [0.0],
               f"≤ {TARGET_PERCENT:g} %", lambda v: v <= TARGET_PERCENT,
               how + "; naive: the same prompt with the whole target module and the whole "
               "nearest test file instead of the segment and the excerpt", obstacle),
        figure("gen-tests: prompt tokens / whole-module prompt, all calls summed", "%",
               [100 * sent / max(1, naive)], f"≤ {TARGET_PERCENT:g} %",
               lambda v: v <= TARGET_PERCENT, f"{sent:,} sent vs {naive:,} naive", obstacle),
        figure("gen-tests: model calls per run", "", [len(replay.requests)],
               note="up to 3 attempts per segment"),
        figure("gen-tests: candidates accepted", "%", [100 * funnel["accepted"] / generated],
               note=f"funnel: {stages} (TestGen-LLM reported 25 % adding coverage)"),
        figure("gen-tests: coverage of the target files after", "%",
               [float(document["coverage_after"])],
               note=f"before: {document['coverage_before']} % (lines + branches)"),
        figure("gen-tests: gate time per candidate", "s",
               [c["seconds"] for c in document["candidates"]] or [0.0],
               note=f"whole run {seconds:.0f} s; every stage runs pytest in the sandbox"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON last")
    args = parser.parse_args()
    use_tiktoken_cache()
    project, python = prepare()
    document, seconds, replay = run(project, python)
    text = report(document, seconds, replay)
    RESULTS.write_text(text, encoding="utf-8")
    if args.json:
        emit(figures(document, seconds, replay, project))
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
