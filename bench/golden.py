"""Record what every mode writes (outputs, job summary, --json, exit code) on fixed inputs.

Used to show that a refactor changed nothing a user sees: run it before and after, then diff::

    python -m bench.golden /work/data/restructure/before
    python -m bench.golden /work/data/restructure/after
    diff -r /work/data/restructure/before /work/data/restructure/after

Every run is offline except ``review-model``, which talks to the local scripted model server
(tests/harness/model_server.py) with a hostile answer (mentions, HTML, a foreign link, our
marker), so a change to how model text is neutralised shows up here. Temporary paths are
replaced by ``<TMP>``, progress timings on stderr (``[  1.2s]``, ``in 6.2s``) by ``[T]``, and
in the model run the prompt-token count and the cost derived from it by ``N`` (the tokenizer's
count drifts by about ten between runs), so two recordings compare byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.fixtures.gentests_project.build import make_repo
from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY, ModelServer

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "cicd-agent")
WEEKDAY_NOON = "2026-11-18T12:00:00+00:00"
SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(20))
AWS_KEY = "AKIA" + "QWERTYUIOPASDFGH"
HOSTILE = {
    "summary": "Looks fine @octo-org/admins <img src=x onerror=alert(1)> "
    "<!-- cicd-agent:review --> see [docs](https://evil.example.com/x)",
    "verdict": "comment",
    "findings": [
        {
            "path": "src/billing.py",
            "line": 3,
            "start_line": None,
            "severity": "medium",
            "category": "correctness",
            "title": "@everyone <details><summary>x</summary>hidden</details>",
            "body": "Ping @security-team. ![t](https://evil.example.com/pixel.png) "
            "<!-- cicd-agent:failure -->",
            "replacement": None,
            "confidence": 0.9,
        }
    ],
}


TIMING = re.compile(r"\[\s*\d+(?:\.\d+)?s\]|\b\d+\.\d+s\b")
"""Progress timings on stderr: the ``[  1.2s]`` of every line and a step's "in 6.2s"."""
TOKEN_DRIFT = (
    (re.compile(r"[\d,]+ tokens in"), "N tokens in"),
    (re.compile(r"[\d,]+ prompt tokens"), "N prompt tokens"),
    (re.compile(r"(tokens_used\W+)\d+"), r"\1N"),
    (re.compile(r"(\"prompt_tokens\": )\d+"), r"\1N"),
    (re.compile(r"(cost_usd\W+)[\d.]+"), r"\1N"),
    (re.compile(r"≈ \$[\d.]+"), "≈ $N"),
)


def _cli(
    out: Path,
    scratch: Path,
    name: str,
    argv: list[str],
    env: dict[str, str] | None = None,
    drift: bool = False,
) -> None:
    """Run the console script once and store exit code, outputs, summary and stdout."""
    work = scratch / f"run-{name}"
    work.mkdir()
    (work / "out").write_text("")
    (work / "summary").write_text("")
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "GITHUB_OUTPUT": str(work / "out"),
        "GITHUB_STEP_SUMMARY": str(work / "summary"),
        "RUNNER_TEMP": str(work),
        "TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR", ""),
        **(env or {}),
    }
    for json_flag in (False, True):
        done = subprocess.run(
            [CLI, *argv, *(["--json"] if json_flag else [])],
            cwd=work,
            env=environ,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        suffix = ".json" if json_flag else ""

        def clean(text: str, progress: bool = False) -> str:
            text = re.sub(r"ghadelimiter_[0-9a-f]+", "ghadelimiter_X", text)
            if progress:
                text = TIMING.sub("[T]", text)
            if drift:
                for pattern, stand_in in TOKEN_DRIFT:
                    text = pattern.sub(stand_in, text)
            return text.replace(str(scratch), "<TMP>")

        target = out / name
        target.mkdir(parents=True, exist_ok=True)
        (target / f"exit{suffix}").write_text(f"{done.returncode}\n")
        (target / f"stdout{suffix}").write_text(clean(done.stdout))
        (target / f"stderr{suffix}").write_text(clean(done.stderr, progress=True))
        (target / f"outputs{suffix}").write_text(clean((work / "out").read_text()))
        (target / f"summary{suffix}").write_text(clean((work / "summary").read_text()))
        (work / "out").write_text("")
        (work / "summary").write_text("")


def review_repo(scratch: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(scratch / "review-repo")
    base = repo.commit("base", {"src/billing.py": "def total(items):\n    return sum(items)\n"})
    head = repo.commit(
        "add discount",
        {
            "src/billing.py": (
                "import pdb\n\ndef total(items, discount=0):\n    pdb.set_trace()\n"
                f"    aws_key = '{AWS_KEY}'\n    return sum(items) - discount\n"
            ),
            "docs/billing.md": "# Billing\n",
        },
    )
    return repo, base, head


def deploy_repo(scratch: Path) -> tuple[GitRepoBuilder, dict[str, str]]:
    repo = GitRepoBuilder(scratch / "deploy-repo")
    shas = {
        "base": repo.commit(
            "Initial project",
            {
                "src/shop/orders.py": SOURCE,
                "src/shop/users.py": SOURCE,
                "tests/test_orders.py": "def test_orders():\n    assert True\n",
                "README.md": "# shop\n",
                "poetry.lock": "[[package]]\nname = 'requests'\nversion = '2.31.0'\n",
                ".github/workflows/ci.yml": "on: push\njobs: {}\n",
            },
        )
    }
    shas["docs"] = repo.commit("docs", {"README.md": "# shop\n\nMore.\n"})
    shas["source"] = repo.commit("orders", {"src/shop/orders.py": SOURCE + "X = 1\n"})
    shas["migration"] = repo.commit(
        "migrate",
        {
            "migrations/0002_drop.sql": "DROP TABLE users;\n",
            "poetry.lock": "[[package]]\nname = 'requests'\nversion = '2.32.0'\n",
        },
    )
    shas["workflow"] = repo.commit(
        "ci", {".github/workflows/ci.yml": "on: push\njobs: {build: {runs-on: x}}\n"}
    )
    return repo, shas


def record(out: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="golden-"))
    try:

        def run(
            name: str, argv: list[str], env: dict[str, str] | None = None, drift: bool = False
        ) -> None:
            _cli(out, scratch, name, argv, env, drift)

        repo, base, head = review_repo(scratch)
        common = ["--repo", str(repo.path), "--base", base, "--head", head]
        run("review-offline", ["review", *common, "--provider", "none"])
        run("review-failon", ["review", *common, "--provider", "none", "--fail-on", "high"])
        run("review-bad-confidence", ["review", *common, "--approval-confidence", "7"])
        server = ModelServer().start()
        try:
            server.answer(HOSTILE, times=None)
            run(
                "review-model",
                ["review", *common, "--provider", "openai", "--base-url", server.base_url,
                 "--model", "gpt-4o-mini"],
                {"OPENAI_API_KEY": TEST_API_KEY},
                drift=True,
            )  # fmt: skip
        finally:
            server.stop()

        deploy, shas = deploy_repo(scratch)
        prev = shas["base"]
        for name in ("docs", "source", "migration", "workflow"):
            run(
                f"deploy-{name}",
                ["deploy-gate", "--provider", "none", "--repo", str(deploy.path),
                 "--base", prev, "--head", shas[name], "--deploy-time", WEEKDAY_NOON,
                 "--audit-file", str(scratch / f"audit-{name}.jsonl")],
            )  # fmt: skip
            prev = shas[name]
        junit = scratch / "junit.xml"
        junit.write_text(
            '<testsuite name="t" tests="2" failures="1"><testcase name="a"/>'
            '<testcase name="b"><failure message="boom">x</failure></testcase></testsuite>'
        )
        run(
            "deploy-failing-tests",
            ["deploy-gate", "--provider", "none", "--repo", str(deploy.path),
             "--base", shas["base"], "--head", shas["source"], "--deploy-time", WEEKDAY_NOON,
             "--junit", str(junit), "--fail-on", "hold",
             "--audit-file", str(scratch / "audit-fail.jsonl")],
        )  # fmt: skip
        run("deploy-bad-phase-failon", ["deploy-gate", "--provider", "none",
            "--repo", str(deploy.path), "--base", shas["base"], "--head", shas["source"],
            "--deploy-time", WEEKDAY_NOON, "--fail-on", "rollback"])  # fmt: skip
        run("canary-bad-failon", ["deploy-gate", "--phase", "canary", "--provider", "none",
            "--prometheus-url", "http://127.0.0.1:9", "--fail-on", "hold"])  # fmt: skip
        run("canary-down", ["deploy-gate", "--phase", "canary", "--provider", "none",
            "--prometheus-url", "http://127.0.0.1:9"])  # fmt: skip

        logs = ROOT / "examples" / "logs" / "pytest-failure.zip"
        run("failure-offline", ["analyse-failure", "--provider", "none", "--logs", str(logs)])
        run(
            "failure-failon",
            ["analyse-failure", "--provider", "none", "--logs", str(logs), "--fail-on", "flaky"],
        )

        shop = scratch / "shop"
        os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = "1700000000 +0000"
        sbase, shead = make_repo(shop)
        run("gen-tests-offline", ["gen-tests", "--provider", "none", "--repo", str(shop),
            "--base", sbase, "--head", shead, "--test-command", "python -m pytest -q"])  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if target.exists():
        shutil.rmtree(target)
    record(target)
    print(json.dumps(sorted(p.name for p in target.iterdir())))
