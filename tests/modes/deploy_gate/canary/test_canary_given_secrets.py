"""A secret handed to cicd-agent by a flag is known to the run's redactor before the first
request, as one handed by an input or the environment is: deploy-gate's canary phase, whose
metric store's flags take one.

The attack: a metric store (here a real HTTP server on loopback) answers 400 with an error
that quotes the ``Authorization`` header it received. The client says what the store said;
the CLI's one failure path writes it to the job summary and the ``error`` output. The log
masks the token (``::add-mask::``), so only the redactor stands between it and the summary.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.metric_store import Answer, Store, store
from tests.modes.deploy_gate.helpers.canary import scenario_config

__all__ = ["store"]

TOKEN = "7c1e4d92b8a05f36e0a1c4d9"
"""No vendor's shape: only knowing the value can hide it."""
PASSWORD = "canary-pw-51b0f7e3a9"


def _quoting(status: int) -> Answer:
    def answer(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        said = (f"bad_data: the header {headers.get('authorization', '')!r} is not accepted "
                f"(token {headers.get('authorization', '').rpartition(' ')[2]})")  # fmt: skip
        return status, json.dumps({"status": "error", "errorType": "bad_data",
                                   "error": said}).encode()  # fmt: skip

    return answer


@pytest.mark.parametrize(
    ("flags", "secret"),
    [(["--prometheus-token", TOKEN], TOKEN),
     (["--prometheus-username", "canary", "--prometheus-password", PASSWORD], PASSWORD)],
    ids=["bearer token flag", "password flag"],
)  # fmt: skip
def test_attack_a_flags_secret_quoted_by_the_store_never_reaches_summary_or_outputs(
    tmp_path: Path, store: Callable[[Answer], Store], flags: list[str], secret: str
) -> None:
    server = store(_quoting(400))
    done = run_cli(["deploy-gate", "--phase", "canary", "--provider", "none",
                    "--prometheus-url", server.url, *flags, "--canary-config",
                    scenario_config("identical").model_dump_json(exclude_defaults=True)],
                   tmp_path)  # fmt: skip
    assert server.seen, "the store was asked"
    assert done.code == 2, done.stdout  # the store refused the query: a usage error
    assert done.outputs["error"] and done.summary
    log = "".join(line for line in done.stdout.splitlines(keepends=True)
                  if not line.startswith("::add-mask::"))  # the runner's mask, never shown
    for written in (done.summary, done.outputs_text, log, done.stderr):
        assert secret not in written
    assert "REDACTED" in done.outputs["error"]
