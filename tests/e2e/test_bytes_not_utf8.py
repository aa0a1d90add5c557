"""Bytes that are not UTF-8, in files, file names, diffs, commit messages and logs, never crash a
mode. A pull request adding a Latin-1 text file (``name = "café"`` saved as
ISO-8859-1; in psf/requests an Adobe Illustrator ``.ai`` logo) made deploy-gate exit 3: the
secret finder handed surrogate-escaped text to its keyword automaton. Exit 3 holds the deploy,
so one such file could hold every deploy. Every mode runs here, offline (``--provider none``;
the command mode against the validating GitHub mock), over one change that adds such files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.cli import run_cli
from tests.helpers.commands import pull_request_comment, run_command, serve_pull
from tests.helpers.failed_run import failed_run, zip_of

AWS_KEY = "AKIA" + "QWERTYUIOPASDFGH"
ADDED: dict[str, bytes] = {
    "src/cafe.py": 'name = "café"\ntoken = "s3cr3t-café-token-value"\n'.encode("latin-1"),
    "src/utf16_notes.txt": "héllo wörld\npassword = 'hunter2hunter2'\n".encode("utf-16"),
    "assets/logo.ai": (
        b"%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 24.0\xae\n%%Title: logo\xa9.ai\n"
        + bytes(range(0x80, 0x100))
        + f"\naws_key = '{AWS_KEY}' \xe9\n".encode("latin-1")
        + b"%%EOF\n"
    ),
    "src/app.py": "def total(items):\n    return sum(items)  # caf\xe9\n".encode("latin-1"),
    ".github/workflows/ci.yml": (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo café\n"
    ).encode("latin-1"),
}
NAME_NOT_UTF8 = b"docs/r\xe9sum\xe9.txt"


def commit_bytes(repo: GitRepoBuilder, message: bytes) -> str:
    """Commit what is staged with a message that is not UTF-8 (as a Latin-1 editor writes)."""
    path = repo.path.parent / "message.txt"
    path.write_bytes(message)
    repo.git("add", "-A")
    repo.git("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", str(path))
    return repo.git("rev-parse", "HEAD")


@pytest.fixture(scope="module")
def change(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    root = tmp_path_factory.mktemp("bytes")
    repo = GitRepoBuilder(root / "repo")
    base = repo.commit(
        "base",
        {
            "src/app.py": "def total(items):\n    return sum(items)\n",
            "tests/test_app.py": "from src.app import total\n\n\ndef test_total():\n"
            "    assert total([1, 2]) == 3\n",
            "src/__init__.py": "",
        },
    )
    repo.write(dict(ADDED))
    (repo.path / "docs").mkdir()
    (repo.path / NAME_NOT_UTF8.decode("utf-8", "surrogateescape")).write_bytes(
        f"r\xe9sum\xe9\nkey = '{AWS_KEY}'\n".encode("latin-1")
    )
    head = commit_bytes(repo, b"Ajout du caf\xe9 et du logo\n\nSign\xe9: Ren\xe9e\n")
    return repo.path, base, head


def document(done: Any) -> dict[str, Any]:
    assert done.code in (0, 1), f"exit {done.code}\n{done.stderr}\n{done.summary}"
    found = done.document
    assert isinstance(found, dict), done.stdout
    json.dumps(found, ensure_ascii=False).encode("utf-8")  # every text of it is valid UTF-8
    return found


def range_args(change: tuple[Path, str, str]) -> list[str]:
    repo, base, head = change
    return ["--provider", "none", "--repo", str(repo), "--base", base, "--head", head, "--json"]


def test_review(change: tuple[Path, str, str], tmp_path: Path) -> None:
    found = document(run_cli(["review", *range_args(change)], tmp_path))
    assert found["files_changed"] >= len(ADDED)
    # The key in the Latin-1 .ai file is still found, and never printed.
    assert AWS_KEY not in json.dumps(found)
    paths = [str(f.get("path", "")) for f in found["findings"]]
    assert "assets/logo.ai" in paths and any(p.startswith("docs/r") for p in paths), paths


def test_deploy_gate(change: tuple[Path, str, str], tmp_path: Path) -> None:
    argv = ["deploy-gate", *range_args(change), "--cache-dir", str(tmp_path / "cache")]
    argv += ["--deploy-time", "2026-11-18T12:00:00+00:00"]
    found = document(run_cli(argv, tmp_path))
    assert found["risk_level"] in ("low", "medium", "high", "critical")
    assert AWS_KEY not in json.dumps(found)


def test_gen_tests(change: tuple[Path, str, str], tmp_path: Path) -> None:
    # The suite runs with our own interpreter (it has pytest): with no PATH in the run's
    # environment, a bare `python` is not found, and that is exit 2 now, as it should be.
    command = ["--test-command", f"{sys.executable} -m pytest"]
    document(run_cli(["gen-tests", *range_args(change), *command], tmp_path))


def test_analyse_failure(change: tuple[Path, str, str], tmp_path: Path) -> None:
    log = failed_run().job_log.replace(
        b"assert 5 == 6", b"assert 5 == 6 caf\xe9 \xff\xfe" + "wörld".encode("utf-16")
    )
    logs = tmp_path / "logs.zip"
    logs.write_bytes(zip_of({"0_test.txt": log}))
    argv = ["analyse-failure", *range_args(change), "--logs", str(logs)]
    found = document(run_cli(argv, tmp_path))
    assert found["failure_type"] == "test_failure"


def test_command(change: tuple[Path, str, str], tmp_path: Path, github_api: Any) -> None:
    repo, base, head = change
    serve_pull(github_api, base, head)
    event = pull_request_comment(tmp_path, "/cicd-agent review")
    done = run_command(tmp_path, github_api, event, repo)
    assert done.code in (0, 1), done.summary + done.stdout + done.stderr


def test_the_diff_git_writes_holds_the_bytes(change: tuple[Path, str, str]) -> None:
    """The fixture is what the tests say it is: git shows these files as text, bytes and all."""
    repo, base, head = change
    diff = subprocess.run(
        ["git", "diff", base, head], cwd=repo, capture_output=True, check=True
    ).stdout
    assert b"caf\xe9" in diff and b"Illustrator(R) 24.0\xae" in diff
    assert b"Binary files" in diff  # the UTF-16 file


# --- with a model: the prompts carry the text, as valid UTF-8 ------------------------------


def model_args(model_server: Any) -> list[str]:
    return ["--provider", "openai", "--base-url", model_server.base_url, "--model", "gpt-4o"]


def sent_text(model_server: Any) -> str:
    prompts = model_server.all_prompt_text()
    assert prompts, "nothing reached the model"
    prompts.encode("utf-8")
    return str(prompts)


def test_review_prompt(change: tuple[Path, str, str], tmp_path: Path, model_server: Any) -> None:
    from tests.helpers.review import answer

    repo, base, head = change
    model_server.answer(answer(), times=None)
    argv = ["review", *model_args(model_server), "--repo", str(repo), "--base", base]
    argv += ["--head", head, "--json"]
    document(run_cli(argv, tmp_path, {"OPENAI_API_KEY": TEST_API_KEY}))
    assert 'name = "caf\ufffd"' in sent_text(model_server)


def test_deploy_gate_prompt(
    change: tuple[Path, str, str], tmp_path: Path, model_server: Any
) -> None:
    from tests.modes.deploy_gate.test_deploy_gate_model import opinion

    repo, base, head = change
    model_server.answer(opinion("low"), times=None)
    argv = ["deploy-gate", *model_args(model_server), "--repo", str(repo), "--base", base]
    argv += ["--head", head, "--json", "--cache-dir", str(tmp_path / "cache")]
    document(run_cli(argv, tmp_path, {"OPENAI_API_KEY": TEST_API_KEY}))
    assert "caf\ufffd" in sent_text(model_server)


def test_analyse_failure_prompt(
    change: tuple[Path, str, str], tmp_path: Path, model_server: Any
) -> None:
    from tests.helpers.failed_run import opinion

    repo, base, head = change
    log = failed_run().job_log.replace(b"assert 5 == 6", b"assert 5 == 6 caf\xe9 \xff\xfe")
    logs = tmp_path / "logs.zip"
    logs.write_bytes(zip_of({"0_test.txt": log}))
    model_server.answer(opinion(), times=None)
    argv = ["analyse-failure", *model_args(model_server), "--repo", str(repo), "--base", base]
    argv += ["--head", head, "--json", "--logs", str(logs)]
    document(run_cli(argv, tmp_path, {"OPENAI_API_KEY": TEST_API_KEY}))
    assert "assert 5 == 6 caf\ufffd" in sent_text(model_server)
