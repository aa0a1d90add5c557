"""``cicd-agent-canary-server``: the canary judge behind HTTP, for the rollout tools that own the
traffic steps (Argo Rollouts' ``web`` metric, Flagger's webhooks) instead of a workflow. An
entry point beside the CLI, whose contract it serves, not a step of the mode.

Why a server and not only the CLI: Argo Rollouts' job metric knows success and failure alone,
and Flagger calls URLs; ``continue`` ("not enough evidence yet, measure again") needs a third
answer, and a judge that carries its evidence from one call to the next needs somewhere to keep
it. The server is an adapter over the CLI's own contract: each judgement runs
``cicd-agent deploy-gate --phase canary --json`` in-process with the options it was started
with, reads the verdict from the JSON document, and keeps what the judge hands back for its next
call (``canary_state``, when the judge gives one) per release, in memory.

- ``GET /verdict?release=KEY&risk=LEVEL``, for Argo Rollouts' ``web`` metric
  (``jsonPath: {$.verdict}``): 200 and the verdict as JSON.
- ``POST /flagger/confirm-promotion``: 200 on promote, else 409 (Flagger waits, measures again).
- ``POST /flagger/rollback``: 200 on rollback, else 409.
- ``GET /healthz``, for the kubelet: 200, the only route without the token.

Hostile callers (the canary pod itself can reach the port): every route but ``/healthz`` needs
the server's token (``Authorization: Bearer``; Flagger, whose webhooks carry no headers, may send
it as ``metadata.token``), checked before a release is named, so an unauthenticated caller can
neither take a release's place nor be judged. The HTTP is uvicorn's over h11 (its module
:mod:`~cicd_agent.modes.deploy_gate.serve.http` adds the two bounds it lacks: a deadline for
the whole request and connections per peer). The judgements run in a thread pool; one
judgement of a release (at a risk level) runs at a time and every request for it meanwhile
awaits that one, and its answer is reused for ``--min-interval`` seconds. No option of the
judge comes from a request.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import re
import secrets
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cicd_agent.actions.inputs import input_value
from cicd_agent.cli import main as run_command_line
from cicd_agent.modes.deploy_gate.serve.http import Handler, Limits, Request, server

RELEASE = re.compile(r"[A-Za-z0-9._/:@-]{1,200}")
"""What a release key may be: a name, a namespace/name, an image digest."""
VERDICTS = ("promote", "continue", "rollback", "insufficient")
RISK_LEVELS = ("low", "medium", "high", "critical")
"""The deploy phase's ``risk_level`` values, which a request may name to set the strictness."""
JUDGEMENTS = 64
"""Judgements of different releases run at once: each mostly waits on Prometheus (its retries
sleep), so one per core would queue a rollout behind every other release's."""
TOKEN_ENV = "CICD_AGENT_CANARY_TOKEN"  # noqa: S105 (the variable's name, not a token)
MIN_TOKEN = 16
Run = Callable[[list[str], Mapping[str, str]], tuple[int, dict[str, Any]]]


@dataclass
class Slot:
    """One release's (at one risk level) place: its last answer (``document``, given at
    ``at``), what the judge asked to be given back (``state``), and the judgement under way,
    which every request for the release awaits instead of starting its own (a slot with one
    under way is never given up to make room)."""

    at: float = 0.0
    document: dict[str, Any] | None = None
    state: str | None = None
    running: asyncio.Future[dict[str, Any]] | None = None


@dataclass
class Judge:
    """Runs the canary phase with fixed options and remembers each release's last answer.

    The table lives on the event loop's thread, so it needs no lock; each judgement runs in
    ``pool``, one at a time per release, because each takes back the evidence the one before
    handed on. Release keys are the authenticated caller's to choose, and a rollout under way is
    never pushed out by new names: only a release idle for ``idle_seconds`` makes room, and a
    new name while all ``max_releases`` places are in use is answered ``continue`` unjudged."""

    argv: tuple[str, ...]
    environ: Mapping[str, str]
    min_interval: float
    run: Run
    clock: Callable[[], float] = time.monotonic
    max_releases: int = 256
    idle_seconds: float = 3600.0
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(JUDGEMENTS))
    _releases: OrderedDict[str, Slot] = field(default_factory=OrderedDict)

    async def verdict(self, release: str, risk: str | None = None) -> dict[str, Any]:
        """The judge's document for ``release`` judged at ``risk`` (which sets the canary's
        strictness): fresh, or the last one within the interval. Evidence is kept per release
        *and* risk level, so a caller naming a milder level gets a sequence of its own."""
        key = f"{release}#{risk or ''}"
        slot = self._releases.get(key)
        if slot is None:
            if not self._make_room():
                error = f"the server is judging {self.max_releases} releases already"
                return _answer(2, {"error": f"{error}; a new release is judged once one is idle"})
            slot = self._releases[key] = Slot()
        if slot.document is not None and self.clock() - slot.at < self.min_interval:
            return slot.document  # judged within the interval: reused
        if slot.running is None:
            slot.running = asyncio.ensure_future(self._judge(key, slot, risk))
        # shielded: a caller that hangs up does not cancel the judgement the others await
        return await asyncio.shield(slot.running)

    async def _judge(self, key: str, slot: Slot, risk: str | None) -> dict[str, Any]:
        argv = [*self.argv, *(["--risk-level", risk] if risk else [])]
        if slot.state:
            argv += ["--canary-state", slot.state]
        try:
            loop = asyncio.get_running_loop()
            code, document = await loop.run_in_executor(self.pool, self.run, argv, self.environ)
            answer = _answer(code, document)
            state = document.get("canary_state")
            slot.at, slot.document = self.clock(), answer
            slot.state = state if isinstance(state, str) else None
            self._releases.move_to_end(key)
            return answer
        finally:
            slot.running = None
            if slot.document is None:
                self._releases.pop(key, None)  # its judgement failed: the name holds no place

    def _make_room(self) -> bool:
        """Whether a new release fits, dropping the least recently judged if it is idle."""
        if len(self._releases) < self.max_releases:
            return True
        oldest = next(iter(self._releases.values()))
        if oldest.running is not None or (
            oldest.document is not None and self.clock() - oldest.at < self.idle_seconds
        ):
            return False
        self._releases.popitem(last=False)
        return True


def _answer(code: int, document: dict[str, Any]) -> dict[str, Any]:
    """What a caller sees: the verdict and its reasons; never a promote the judge did not give
    (a usage error or a crash reads as ``continue``, unhealthy)."""
    verdict = document.get("verdict")
    if code not in (0, 1, 3) or verdict not in VERDICTS:
        return {
            "verdict": "continue",
            "healthy": False,
            "rollback": False,
            "reasons": [str(document.get("error") or f"the judge exited {code}")],
        }
    keep = ("verdict", "healthy", "rollback", "canary_score", "reasons", "metric_results")
    return {key: document[key] for key in keep if key in document}


def run_in_process(argv: list[str], environ: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    """``cicd-agent deploy-gate --phase canary ARGV --json``, in this process."""
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_command_line(
        ["deploy-gate", "--phase", "canary", "--json", *argv],
        environ=environ,
        stdout=stdout,
        stderr=stderr,
    )
    text = stdout.getvalue().strip()
    try:
        document = json.loads(text) if text.startswith("{") else {}
    except ValueError:
        document = {}
    if not document:
        document = {"error": stderr.getvalue().strip().splitlines()[-1:] or ["no output"]}
    return code, document


WANTED = {"/flagger/confirm-promotion": "promote", "/flagger/rollback": "rollback"}
"""Flagger's hooks, and the verdict each answers 200 for (409 otherwise)."""
ROUTES = {("GET", "/verdict"), *(("POST", path) for path in WANTED)}


def routes(judge: Judge, token: str) -> Handler:
    """The server's answer to one request: ``(status, body)``, the token checked before
    anything of the request is read as a release."""

    async def answer(request: Request) -> tuple[int, dict[str, Any]]:
        if request.path == "/healthz" and request.method == "GET":
            return 200, {"ok": True}
        if (request.method, request.path) not in ROUTES:
            return 404, {"error": "unknown path"}
        payload = request.json() if request.method == "POST" else {}
        metadata = payload.get("metadata") if isinstance(payload, dict) else None
        metadata = metadata if isinstance(metadata, dict) else {}
        if not request.carries(token, metadata.get("token")):
            return 401, {"error": "a token is needed: Authorization: Bearer TOKEN"}
        if request.method == "GET":
            release, risk = request.query("release") or "default", request.query("risk")
        elif not isinstance(payload, dict):
            return 400, {"error": "the body must be a JSON object"}
        else:
            # Flagger's checksum changes with the release's spec: a new release starts afresh.
            name, namespace = payload.get("name"), payload.get("namespace")
            release = f"{namespace}/{name}" if name and namespace else "default"
            if payload.get("checksum"):
                release += f"@{payload['checksum']}"
            risk = metadata.get("risk")
        if not RELEASE.fullmatch(str(release)):
            return 400, {"error": "release: letters, digits and ._/:@- only"}
        if risk is not None and risk not in RISK_LEVELS:
            return 400, {"error": f"risk: one of {', '.join(RISK_LEVELS)}"}
        verdict = await judge.verdict(str(release), risk)
        wanted = WANTED.get(request.path)
        return (200 if wanted in (None, verdict["verdict"]) else 409), verdict

    return answer


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """The server's own options; everything after ``--`` goes to the canary phase unchanged."""
    words = list(argv)
    at = words.index("--") if "--" in words else len(words)
    own, judge = words[:at], words[at + 1 :]
    parser = argparse.ArgumentParser(
        prog="cicd-agent-canary-server",
        description="Serve the canary judge to Argo Rollouts (web metric) and Flagger (webhooks).",
        epilog=f"The token callers send comes from ${TOKEN_ENV} or --token-file. Options after "
        "-- are deploy-gate --phase canary's (e.g. --prometheus-url, --canary-config); secrets "
        "come from the environment (INPUT_PROMETHEUS-TOKEN, ...).",
    )
    add = parser.add_argument
    add("--listen", default="0.0.0.0:8080", help="HOST:PORT (default 0.0.0.0:8080)")
    add("--min-interval", type=float, default=60.0, help="seconds a verdict is reused (60)")
    add("--token-file", type=Path, help=f"file holding the token (else ${TOKEN_ENV})")
    defaults = Limits()
    for flag, bound, what in (
        ("--request-seconds", defaults.request_seconds, "a whole request must arrive within this"),
        ("--max-connections", defaults.connections, "connections open at once"),
        (
            "--max-connections-per-peer",
            defaults.per_peer,
            "connections open at once from one address",
        ),
    ):
        add(flag, type=type(bound), default=bound, help=f"{what} (default {bound:g})")
    args = parser.parse_args(own)
    if "--phase" in judge or "--json" in judge:
        parser.error("--phase and --json are the server's to set")
    return args, judge


def server_token(token_file: Path | None, environ: Mapping[str, str]) -> str:
    """The token every caller but the kubelet's probe sends: from a file (a mounted Secret) or
    the environment, never the command line, where ``ps`` shows it. ValueError names the fix."""
    fix = (
        f"set {TOKEN_ENV} from a Kubernetes Secret (or --token-file to a mounted one), e.g. "
        "`openssl rand -hex 32`, and give the same value to Argo Rollouts or Flagger"
    )
    try:
        token = token_file.read_text(encoding="utf-8") if token_file else environ.get(TOKEN_ENV)
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read the token file {token_file}: {error}; {fix}") from error
    token = (token or "").strip()
    if len(token) < MIN_TOKEN:
        said = "no token" if not token else f"the token is under {MIN_TOKEN} characters"
        raise ValueError(f"{said}: {fix}")
    return token


def judge_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The judge's environment: the server's without GitHub's variables or the server's token,
    and a secret of its own to seal the canary state with unless one is given (the state never
    leaves this process, so no one else needs the key)."""
    kept = {k: v for k, v in environ.items() if not k.startswith("GITHUB_") and k != TOKEN_ENV}
    if input_value(kept, "canary-state-secret") is None:
        kept["INPUT_CANARY-STATE-SECRET"] = secrets.token_hex(32)
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    args, judge_argv = parse(sys.argv[1:] if argv is None else argv)
    try:
        token = server_token(args.token_file, os.environ)
    except ValueError as error:
        sys.stderr.write(f"cicd-agent-canary-server: {error}\n")
        return 2
    host, _, port = args.listen.rpartition(":")
    limits = Limits(args.request_seconds, args.max_connections, args.max_connections_per_peer)
    judge = Judge(tuple(judge_argv), judge_environ(os.environ), args.min_interval, run_in_process)
    # A refused request is one line (serve.http), prefixed like the server's own lines.
    logging.basicConfig(format="cicd-agent-canary-server: %(message)s", stream=sys.stderr)
    sys.stderr.write(f"cicd-agent-canary-server: listening on {args.listen}\n")
    server(routes(judge, token), host or "0.0.0.0", int(port), limits).run()  # noqa: S104
    return 0


if __name__ == "__main__":
    sys.exit(main())
