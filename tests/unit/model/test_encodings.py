"""tiktoken's encoding files: fetched at set-up, and an honest summary when they are missing.

The action's install step runs ``python -m cicd_agent.model.encodings`` into the cached
``TIKTOKEN_CACHE_DIR``, so a run never downloads them. A runner that cannot get them (no
internet) still runs: counts are the over-estimate, and the job summary says so.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from cicd_agent.job.pipeline import PlainResult
from cicd_agent.model.client import ModelClient
from cicd_agent.model.encodings import ENCODINGS, cached
from cicd_agent.model.usage import Usage
from tests.harness.model_server import ModelServer
from tests.helpers.network import free_port, offline_env

ESTIMATED = "Token counts are estimates"


class Answer(BaseModel):
    summary: str


def test_a_run_that_could_not_load_tiktoken_says_its_counts_are_estimates(
    model_server: ModelServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in offline_env(tmp_path, f"http://127.0.0.1:{free_port()}").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the model server is local; tiktoken's CDN is not
    import tiktoken.registry

    # An earlier test of this process may have loaded the encoding: tiktoken keeps it.
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    model_server.answer(Answer(summary="fine"))
    client = ModelClient(model_server.config())
    counter = client.counter("model")
    assert not counter.exact
    client.ask(Answer, system="Summarise.", user=counter.truncate("a diff", 100))
    report = client.usage.report()
    assert report.estimated_encodings == ["o200k_base"]
    summary = PlainResult(mode="review", headline="Reviewed.", usage=report).summary_markdown()
    assert ESTIMATED in summary and "o200k_base" in summary


def test_exact_counts_carry_no_such_note() -> None:
    usage = Usage()
    usage.record("model", "gpt-5.4", 1_000, 100)
    assert ESTIMATED not in usage.report().summary_line()


def _fetch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cicd_agent.model.encodings", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_set_up_without_network_notes_the_estimate_and_does_not_fail(tmp_path: Path) -> None:
    env = offline_env(tmp_path, f"http://127.0.0.1:{free_port()}")
    done = _fetch(env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("::notice")
    assert "o200k_base, cl100k_base" in done.stdout and "estimated" in done.stdout


def test_the_image_build_refuses_to_go_on_without_the_files(tmp_path: Path) -> None:
    """The Dockerfile runs it with --strict: an image must never ship without them."""
    done = _fetch(offline_env(tmp_path, f"http://127.0.0.1:{free_port()}"), "--strict")
    assert done.returncode == 1
    assert "could not be fetched" in done.stdout


def test_set_up_with_the_files_cached_reports_them_ready() -> None:
    cache = os.environ.get("TIKTOKEN_CACHE_DIR", "")
    if not (cache and any(Path(cache).glob("*"))):
        pytest.fail("no tiktoken cache: run tests/harness/setup.sh (tests/conftest.py sets it)")
    env = {**os.environ, "HTTPS_PROXY": f"http://127.0.0.1:{free_port()}"}
    done = _fetch(env, "--strict")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready" in done.stdout


def test_the_cache_counts_as_ready_only_with_every_file_under_tiktokens_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restored cache skips the download; one file short, or files under other names
    (tiktoken keys each by the SHA-1 of its URL), and the set-up loads them."""
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    assert not cached()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    (tmp_path / "o200k_base").write_text("not the cache key")
    assert not cached()
    urls = [
        f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        for name in ENCODINGS
    ]
    keys = [hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest() for url in urls]
    (tmp_path / keys[0]).write_text("")
    assert cached(ENCODINGS[:1]) and not cached()
    (tmp_path / keys[1]).write_text("")
    assert cached()
