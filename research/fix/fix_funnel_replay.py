"""One run of the fix step's tool loop on a pair with scripted answers (research/fix/fix_funnel.py).

The real :class:`FixAgent` and verifier, with the openai SDK over HTTP to the local scripted model
server; what comes out is the funnel's counts for that run (step 4 of research/fix/fix_funnel.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fix_funnel_answers import STOP  # noqa: E402
from fix_funnel_pairs import Pair  # noqa: E402
from tests.harness.model_server import ModelServer, ToolCallStep  # noqa: E402

from cicd_agent.model.tokens import TokenCounter  # noqa: E402


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
    from cicd_agent.modes.analyse_failure.fix.judge import SandboxVerifier
    from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand
    from cicd_agent.sandbox.run import Sandbox

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
