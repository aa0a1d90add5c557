"""deploy-gate's publish step: every deploy the gate saw leaves one audit line saying what was
decided (also when the run could not finish: held), and Slack hears of a hold, never on a dry
run, and a webhook that fails is a note.

Through the deploy phase's steps on a real git repository and a real context; Slack is a local
HTTP server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.job.context import RunContext
from cicd_agent.modes.deploy_gate.mode import MODE
from cicd_agent.modes.deploy_gate.options import phase_options
from cicd_agent.modes.deploy_gate.publish import fail_closed
from cicd_agent.modes.deploy_gate.result import DeployResult
from tests.git_builder import GitRepoBuilder
from tests.helpers.context import run_context
from tests.helpers.network import free_port

HOLD_ALL = '{"hold_levels": ["low", "medium", "high", "critical"]}'
PASSWORD = "audit-pw-77c1"


@pytest.fixture
def slack() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook URL on this machine and the messages it received."""
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T0/B0/hook-secret", received
    server.shutdown()
    server.server_close()


def _context(tmp_path: Path, *argv: str) -> RunContext[Any]:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"src/app.py": "def f(x):\n    return x\n"})
    head = repo.commit("Change", {"src/app.py": "def f(x):\n    return x + 1\n"})
    flags = ["--provider", "none", "--repo", str(repo.path), "--base", base, "--head", head,
             "--deploy-time", "2026-11-18T12:00:00+00:00",
             "--audit-file", str(tmp_path / "audit.jsonl")]  # fmt: skip
    environ = {"GITHUB_REPOSITORY": "octo/shop", "GITHUB_SERVER_URL": "https://github.com",
               "GITHUB_RUN_ID": "77"}  # fmt: skip
    ctx, _ = run_context("deploy-gate", [*flags, *argv], environ, phase_options)
    return ctx


def _published(ctx: RunContext[Any]) -> DeployResult:
    """The deploy phase run through its publish step: the result as published."""
    result, _ = MODE.run(ctx)
    assert isinstance(result, DeployResult)
    return result


def test_the_audit_line_records_what_was_decided_and_on_which_inputs(
    tmp_path: Path, slack: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = slack
    result = _published(_context(tmp_path, "--slack-webhook-url", url))
    assert result.audit_file == str(tmp_path / "audit.jsonl")
    (line,) = (tmp_path / "audit.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert (record["mode"], record["phase"], record["repository"]) == ("deploy-gate", "deploy", "octo/shop")
    verdict = record["verdict"]
    assert verdict["finished"] is True
    assert verdict["recommendation"] == result.recommendation.value == "proceed"
    assert (verdict["risk_level"], verdict["strategy"]) == (result.risk_level.value, result.strategy.value)
    assert record["inputs"]["head"] == result.head and record["inputs_digest"]
    assert received == []  # a plain proceed tells nobody


def test_a_hold_is_told_to_slack_with_the_run_link_and_not_the_webhooks_secret(
    tmp_path: Path, slack: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = slack
    result = _published(_context(tmp_path, "--slack-webhook-url", url, "--policy", HOLD_ALL))
    assert result.recommendation.value == "hold"
    record = json.loads((tmp_path / "audit.jsonl").read_text())
    assert record["verdict"]["recommendation"] == "hold" and record["verdict"]["hold_reasons"]
    (message,) = received
    text = json.dumps(message)
    assert f"deploy-gate for octo/shop @ {result.head[:12]}" in text
    assert "https://github.com/octo/shop/actions/runs/77" in text
    assert "hook-secret" not in text


def test_a_dry_run_tells_nobody_and_says_so(
    tmp_path: Path, slack: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = slack
    ctx = _context(tmp_path, "--slack-webhook-url", url, "--policy", HOLD_ALL, "--dry-run")
    _published(ctx)
    assert received == [] and "Dry run: the Slack message was not sent." in ctx.notes


def test_a_webhook_that_cannot_be_reached_is_a_note(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    ctx = _context(tmp_path, "--slack-webhook-url", url, "--policy", HOLD_ALL)
    result = _published(ctx)
    assert result.audit_file  # the audit is written first, whatever Slack does
    assert any(note.startswith("The Slack message could not be sent: ") for note in ctx.notes)


def test_a_run_that_could_not_finish_is_held_and_audited_with_its_notes_redacted(
    tmp_path: Path,
) -> None:
    ctx = _context(tmp_path)
    ctx.note(f"The database at postgresql://gate:{PASSWORD}@db/audit refused the connection.")
    outputs = fail_closed(ctx)
    assert outputs == {
        "recommendation": "hold",
        "requires_approval": "true",
        "audit_file": str(tmp_path / "audit.jsonl"),
    }
    record = json.loads((tmp_path / "audit.jsonl").read_text())
    assert record["verdict"] == {"recommendation": "hold", "finished": False}
    assert PASSWORD not in json.dumps(record) and len(record["notes"]) == 1


def test_an_audit_file_that_cannot_be_written_is_a_note_and_the_hold_stands(
    tmp_path: Path,
) -> None:
    (tmp_path / "audit.jsonl").mkdir()  # a folder where the file should be
    ctx = _context(tmp_path)
    assert fail_closed(ctx) == {"recommendation": "hold", "requires_approval": "true"}
    assert any(note.startswith("The audit file ") for note in ctx.notes)
