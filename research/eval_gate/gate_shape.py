"""The eval gate's shape, measured end to end with real parts: ``cicd-agent eval`` on a git
repository holding a promptfoo config at base and head, each case asked of the test suite's
model server on 127.0.0.1 through the ``openai`` SDK, which answers with a seeded coin per
case and sample.

Three suites, each over ``--seeds`` seeds (the seed moves both the cases' pass chances and
the coins):

- ``drop``: 200 cases, repeats 3, the head's prompt passes 10 points less often on average
  (each case's chance scaled down); counted: seeds whose verdict is ``regressed``.
- ``same``: 200 cases, repeats 3, the head's prompt changed in words only (so every request is
  asked again), the same chances; counted: seeds whose verdict is ``regressed``.
- ``small``: 20 cases, repeats 3, the same chances; counted: seeds whose verdict is
  ``insufficient`` (never ``passed``).

Usage: ``.venv/bin/python research/eval_gate/gate_shape.py [--seeds N] [--first SEED]
[--suite NAME]``;
progress on stderr, one JSON line a suite on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest  # noqa: E402
from tests.helpers.cli import run_cli  # noqa: E402

SUITES = {"drop": (200, 0.10, "v2 "), "same": (200, 0.0, "Please: "), "small": (20, 0.0, "")}


def chance_of(seed: int, number: int) -> float:
    """A case's pass chance: most cases steady, a third of them flaky (from 0.2 to 0.9)."""
    digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
    u, v = digest[0] / 255, digest[1] / 255
    return 0.97 if u < 0.66 else 0.2 + 0.7 * v


def config(prefix: str, cases: int) -> str:
    tests = "".join(
        f"  - description: case {i}\n    vars: {{n: {i}}}\n"
        "    assert:\n      - type: icontains\n        value: right\n"
        for i in range(cases)
    )
    return (
        f"prompts: ['{prefix}Question {{{{n}}}}']\nproviders: [openai:chat:local]\ntests:\n{tests}"
    )


def git(root: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "r",
        "GIT_AUTHOR_EMAIL": "r@example.com",
        "GIT_COMMITTER_NAME": "r",
        "GIT_COMMITTER_EMAIL": "r@example.com",
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def one(suite: str, seed: int, work: Path) -> str:
    cases, drop, prefix = SUITES[suite]
    root = work / f"{suite}-{seed}"
    root.mkdir()
    git(root, "init", "-q")
    shas = []
    for text in (config("", cases), config(prefix, cases)):
        (root / "promptfooconfig.yaml").write_text(text)
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "x")
        shas.append(git(root, "rev-parse", "HEAD"))
    chances = [chance_of(seed, i) for i in range(cases)]
    scale = 1 - drop / (sum(chances) / cases)

    def chance(request: RecordedRequest) -> float:
        text = request.text()
        number = int(text.rsplit(" ", 1)[-1])
        return chances[number] * (scale if text.startswith("v2 ") else 1.0)

    server = ModelServer().start()
    try:
        server.answer_noisily(chance, seed=seed, right="That is right.", wrong="No.")
        done = run_cli(
            [
                "eval",
                "--repo",
                str(root),
                "--base",
                shas[0],
                "--head",
                shas[1],
                "--provider",
                "openai",
                "--base-url",
                server.base_url,
                "--repeats",
                "3",
            ],
            work,
            {
                "OPENAI_API_KEY": TEST_API_KEY,
                "GITHUB_OUTPUT": str(work / "out"),
                "GITHUB_STEP_SUMMARY": str(work / "summary"),
            },
        )
    finally:
        server.stop()
    return done.outputs.get("verdict", f"exit {done.code}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--suite", choices=sorted(SUITES), action="append")
    args = parser.parse_args()
    for suite in args.suite or sorted(SUITES):
        verdicts: list[str] = []
        with tempfile.TemporaryDirectory() as folder:
            for seed in range(args.first, args.first + args.seeds):
                (Path(folder) / "out").write_text("")
                (Path(folder) / "summary").write_text("")
                verdicts.append(one(suite, seed, Path(folder)))
                print(f"{suite} seed {seed}: {verdicts[-1]}", file=sys.stderr, flush=True)
        counts = {v: verdicts.count(v) for v in sorted(set(verdicts))}
        seeds = f"{args.first}-{args.first + args.seeds - 1}"
        print(json.dumps({"suite": suite, "seeds": seeds, "verdicts": counts}), flush=True)


if __name__ == "__main__":
    main()
