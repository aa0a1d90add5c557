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
   write them to ``bench/gen_tests_gate.md``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest  # noqa: E402

from cicd_agent.gentests.gate import FUNNEL_KEYS  # noqa: E402

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

    def __call__(self, request: RecordedRequest) -> dict[str, str]:
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


def main() -> None:
    project, python = prepare()
    document, seconds, replay = run(project, python)
    text = report(document, seconds, replay)
    RESULTS.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
