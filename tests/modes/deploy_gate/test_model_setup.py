"""Setting up a model as a new user does: a local server's any-key, a base URL without ``/v1``,
a model name the server does not know. deploy-gate through the real openai SDK and the local
model server; whatever goes wrong, the message says what to fix and the usage line counts the
calls that were made."""

from __future__ import annotations

from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import ModelServer
from tests.helpers.cli import CliRun, run_cli

SOURCE = "".join(f"def f{i}(x):\n    return x - {i}\n\n" for i in range(20))


def _gate(tmp_path: Path, base_url: str, key: str, *, on_runner: bool = True) -> CliRun:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"src/shop/orders.py": SOURCE})
    head = repo.commit("Cache orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    argv = [
        "deploy-gate", "--provider", "openai", "--base-url", base_url, "--model", "gpt-4o",
        "--repo", str(repo.path), "--base", base, "--head", head,
        "--deploy-time", "2026-11-18T12:00:00+00:00",
    ]  # fmt: skip
    return run_cli(argv, tmp_path, {"RUNNER_TEMP": "", "OPENAI_API_KEY": key}, on_runner=on_runner)


def test_a_one_letter_key_redacts_no_letter_of_what_the_server_said(
    tmp_path: Path, model_server: ModelServer
) -> None:
    """``OPENAI_API_KEY=x`` (a local server takes any key): "does not exist" was shown as
    "does not e[redacted]ist". A key under six characters is not hidden (documented), so it
    must not cut every word it is part of either."""
    message = "The model `gpt-4o` does not exist or you do not have access to it."
    model_server.fail(404, message=message, times=None)
    done = _gate(tmp_path, model_server.base_url, "x")
    assert done.code == 0, done.stderr
    text = done.summary + done.stderr + done.stdout
    assert "does not exist" in text, text
    assert "[redacted]" not in text, text
    # nor is it masked in the runner's log, which would star out every x
    assert "::add-mask::" not in done.stdout, done.stdout


def test_a_long_key_echoed_by_the_server_is_still_hidden(
    tmp_path: Path, model_server: ModelServer
) -> None:
    key = "sk-local-7f3a9c2e5b1d"
    model_server.fail(404, message=f"Unknown key {key} for model gpt-4o", times=None)
    done = _gate(tmp_path, model_server.base_url, key)
    assert f"::add-mask::{key}" in done.stdout.splitlines()
    logged = [line for line in done.stdout.splitlines() if not line.startswith("::add-mask::")]
    text = done.summary + done.stderr + "\n".join(logged) + done.outputs_text
    assert key not in text
    assert "Unknown key \\[redacted\\] for model" in done.summary, done.summary


def test_a_base_url_without_v1_names_the_url_and_suggests_v1(
    tmp_path: Path, model_server: ModelServer
) -> None:
    """In a terminal, where a user copies the URL from: it is shown whole, no zero-width space
    (the job summary's guard against links) in it."""
    server = model_server.base_url.removesuffix("/v1")
    done = _gate(tmp_path, server, "sk-local-7f3a9c2e5b1d", on_runner=False)
    assert done.code == 0, done.stderr
    assert f"HTTP 404 for POST {server}/chat/completions:" in done.stdout, done.stdout
    assert f"does not end in /v1: OpenAI-compatible servers answer at {server}/v1." in done.stdout
    assert [request.path for request in model_server.requests] == ["/chat/completions"]


def test_a_404_at_v1_points_at_the_model_name(tmp_path: Path, model_server: ModelServer) -> None:
    model_server.fail(404, message="The model `gpt-4o` does not exist.", times=None)
    done = _gate(tmp_path, model_server.base_url, "sk-local-7f3a9c2e5b1d", on_runner=False)
    url = model_server.base_url
    assert f"HTTP 404 for POST {url}/chat/completions:" in done.stdout, done.stdout
    assert f"Check the model name (the server lists its models at {url}/models)" in done.stdout


def test_failed_calls_are_counted_in_the_model_line(
    tmp_path: Path, model_server: ModelServer
) -> None:
    """Two calls failed: the line said "0 call(s)"."""
    model_server.fail(404, message="no such model", times=None)
    done = _gate(tmp_path, model_server.base_url, "sk-local-7f3a9c2e5b1d")
    sent = len(model_server.chat_requests)
    assert sent >= 1
    lines = [line for line in done.summary.splitlines() if "Model" in line and "call" in line]
    assert lines, done.summary
    assert f"{sent} call" in lines[0] and "failed" in lines[0], lines
    assert "0 call" not in lines[0], lines
