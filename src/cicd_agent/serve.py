"""``cicd-agent-canary-server``: the canary judge behind HTTP, for the rollout tools that own the
traffic steps (Argo Rollouts' ``web`` metric, Flagger's webhooks) instead of a workflow. An
entry point beside :mod:`cicd_agent.cli`, whose contract it serves, not a step of a mode.

Why a server and not only the CLI: Argo Rollouts' job metric knows success and failure alone,
and Flagger calls URLs; ``continue`` ("not enough evidence yet, measure again") needs a third
answer, and a judge that carries its evidence from one call to the next needs somewhere to keep
it. The server is an adapter over the CLI's own contract: each request runs
``cicd-agent deploy-gate --phase canary --json`` in-process with the options it was started
with, reads the verdict from the JSON document, and keeps what the judge hands back for its next
call (``canary_state``, when the judge gives one) per release, in memory.

- ``GET /verdict?release=KEY&risk=LEVEL``, for Argo Rollouts' ``web`` metric
  (``jsonPath: {$.verdict}``): 200 and the verdict as JSON. ``risk`` is the deploy phase's
  ``risk_level``, which sets the canary's strictness (Flagger: the hook's ``metadata.risk``).
- ``POST /flagger/confirm-promotion``, Flagger's ``confirm-promotion`` hook: 200 on promote,
  else 409 (Flagger waits and measures again).
- ``POST /flagger/rollback``, Flagger's ``rollback`` hook: 200 on rollback, else 409.
- ``GET /healthz``, for the kubelet: 200.

Hostile callers: anyone who can reach the port can ask for a verdict and nothing else. The
release key (a query parameter, or Flagger's ``name``/``namespace``) is only a dictionary key,
bounded in length and count, and a rollout under way is never pushed out by new keys; request
bodies are bounded, a request must arrive within :data:`REQUEST_TIMEOUT` and at most
:data:`MAX_CONNECTIONS` are served at once; one judgement of a release (at a risk level) runs at
a time, and its verdict is reused for ``--min-interval`` seconds, so a flood of requests costs
Prometheus one query set per release and interval, while other releases are judged side by side
(one slow Prometheus query never holds up every rollout). No option of the judge comes from a
request.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cicd_agent.runner.inputs import input_value

MAX_BODY = 64 * 1024
"""Flagger's hook payload is a few hundred bytes; anything larger is refused unread."""
MAX_RELEASES = 256
"""Releases whose state is kept. Release keys are the caller's to choose, so a rollout under way
is never pushed out by new names: only a release idle for :data:`IDLE_SECONDS` makes room, and
a new name while all are in use is answered ``continue`` without a judgement."""
IDLE_SECONDS = 3600.0
"""A release not judged for this long is over; its evidence may make room for a new one."""
REQUEST_TIMEOUT = 30.0
"""Seconds a connection may take to send its request: a caller that opens one and waits is hung
up on, not given a thread for ever."""
MAX_CONNECTIONS = 64
"""Connections served at once; more are closed unanswered (the rollout tools retry)."""
RELEASE = re.compile(r"[A-Za-z0-9._/:@-]{1,200}")
"""What a release key may be: a name, a namespace/name, an image digest."""
VERDICTS = ("promote", "continue", "rollback")
RISK_LEVELS = ("low", "medium", "high", "critical")
"""The deploy phase's ``risk_level`` values, which a request may name to set the strictness."""


@dataclass
class Judged:
    """The last answer for one release, and what the judge asked to be given back."""

    at: float
    document: dict[str, Any]
    state: str | None = None


@dataclass
class Slot:
    """One release's (at one risk level) place in the server: its last answer, the lock that
    lets one judgement of it run at a time, and how many requests hold the slot (a slot in use
    is never given up to make room, so a judgement never lands in a slot the table forgot)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    judged: Judged | None = None
    users: int = 0


@dataclass
class Judge:
    """Runs the canary phase with fixed options and remembers each release's last answer.

    Two locks: ``_lock`` guards the table of slots and is held only to read or update it, never
    while judging; each slot's own lock serialises the judgements of that release, which must
    run in order because each takes back the evidence the one before handed on."""

    argv: tuple[str, ...]
    environ: Mapping[str, str]
    min_interval: float
    run: Callable[[list[str], Mapping[str, str]], tuple[int, dict[str, Any]]]
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _releases: OrderedDict[str, Slot] = field(default_factory=OrderedDict)

    def verdict(self, release: str, risk: str | None = None) -> dict[str, Any]:
        """The judge's document for ``release`` judged at ``risk`` (the deploy phase's level,
        which sets the canary's strictness): fresh, or the last one within the interval.

        Evidence is kept per release *and* risk level, so a caller who names a milder level
        for a release gets a separate sequence, never a verdict another caller reads."""
        key = f"{release}#{risk or ''}"
        with self._lock:
            slot = self._releases.get(key)
            if slot is None:
                if not self._make_room():
                    return _answer(
                        2,
                        {
                            "error": f"the server is judging {MAX_RELEASES} releases "
                            "already; a new release is judged once one is idle"
                        },
                    )
                slot = self._releases[key] = Slot()
            recent = self._recent(slot)
            if recent is not None:
                return recent
            slot.users += 1
        try:
            with slot.lock:
                return self._judge(key, slot, risk)
        finally:
            with self._lock:
                slot.users -= 1
                if slot.judged is None and slot.users == 0:
                    del self._releases[key]  # its judgement failed: the name holds no place

    def _judge(self, key: str, slot: Slot, risk: str | None) -> dict[str, Any]:
        """One judgement of ``slot``'s release, its lock held: a request that waited for it
        reads the answer the judgement before gave, if still recent, instead of judging again."""
        with self._lock:
            recent = self._recent(slot)
            if recent is not None:
                return recent
            last_state = slot.judged.state if slot.judged else None
        argv = list(self.argv)
        if risk:
            argv += ["--risk-level", risk]
        if last_state:
            argv += ["--canary-state", last_state]
        code, document = self.run(argv, self.environ)
        answer = _answer(code, document)
        state = document.get("canary_state")
        with self._lock:
            slot.judged = Judged(self.clock(), answer, state if isinstance(state, str) else None)
            self._releases.move_to_end(key)  # in the table: a slot in use is never dropped
        return answer

    def _recent(self, slot: Slot) -> dict[str, Any] | None:
        """The slot's last answer while it is within the interval (``_lock`` held)."""
        last = slot.judged
        if last is not None and self.clock() - last.at < self.min_interval:
            return last.document
        return None

    def _make_room(self) -> bool:
        """Whether a new release fits, dropping the least recently judged if it is idle and no
        request holds it (``_lock`` held)."""
        if len(self._releases) < MAX_RELEASES:
            return True
        oldest = next(iter(self._releases.values()))
        if oldest.users or (
            oldest.judged is not None and self.clock() - oldest.judged.at < IDLE_SECONDS
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
    from cicd_agent.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
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


def handler_for(judge: Judge) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to ``judge`` (http.server builds one per request)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "cicd-agent-canary"
        sys_version = ""
        timeout = REQUEST_TIMEOUT  # a socket timeout on every read of the request

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/healthz":
                self._send(200, {"ok": True})
            elif url.path == "/verdict":
                query = parse_qs(url.query)
                release = (query.get("release") or ["default"])[0]
                risks = query.get("risk")
                self._judge(release, risks[0] if risks else None, None)
            else:
                self._send(404, {"error": "unknown path"})

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            wanted = {"/flagger/confirm-promotion": "promote", "/flagger/rollback": "rollback"}
            if path not in wanted:
                self._send(404, {"error": "unknown path"})
                return
            payload = self._body()
            if payload is None:
                return
            # Flagger's checksum changes with the release's spec: a new release starts afresh.
            name, namespace = payload.get("name"), payload.get("namespace")
            checksum = payload.get("checksum")
            release = f"{namespace}/{name}" if name and namespace else "default"
            if checksum:
                release += f"@{checksum}"
            metadata = payload.get("metadata")
            risk = metadata.get("risk") if isinstance(metadata, dict) else None
            self._judge(str(release), risk, wanted[path])

        def _body(self) -> dict[str, Any] | None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                self._send(413, {"error": f"the body must be at most {MAX_BODY} bytes"})
                return None
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                self._send(400, {"error": "the body must be a JSON object"})
                return None
            return payload

        def _judge(self, release: str, risk: object, wanted: str | None) -> None:
            if not RELEASE.fullmatch(release):
                self._send(400, {"error": "release: letters, digits and ._/:@- only"})
                return
            if risk is not None and risk not in RISK_LEVELS:
                self._send(400, {"error": f"risk: one of {', '.join(RISK_LEVELS)}"})
                return
            answer = judge.verdict(release, risk if isinstance(risk, str) else None)
            if wanted is None:
                self._send(200, answer)
            else:
                self._send(200 if answer["verdict"] == wanted else 409, answer)

        def _send(self, status: int, body: Mapping[str, Any]) -> None:
            data = json.dumps(body, sort_keys=True).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"cicd-agent-canary-server: {format % args}\n")

    return Handler


class BoundedServer(ThreadingHTTPServer):
    """A threading server that serves at most :data:`MAX_CONNECTIONS` connections at once: a
    thread per connection, so the count bounds the memory a flood of connections can take."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """The server's own options; everything after ``--`` goes to the canary phase unchanged."""
    words = list(argv)
    at = words.index("--") if "--" in words else len(words)
    own, judge = words[:at], words[at + 1 :]
    parser = argparse.ArgumentParser(
        prog="cicd-agent-canary-server",
        description="Serve the canary judge to Argo Rollouts (web metric) and Flagger (webhooks).",
        epilog="Options after -- are deploy-gate --phase canary's (e.g. --prometheus-url, "
        "--canary-config); secrets come from the environment (INPUT_PROMETHEUS-TOKEN, ...).",
    )
    parser.add_argument("--listen", default="0.0.0.0:8080", help="HOST:PORT (default 0.0.0.0:8080)")
    parser.add_argument(
        "--min-interval",
        type=float,
        default=60.0,
        help="seconds a verdict is reused for the same release (default 60)",
    )
    args = parser.parse_args(own)
    if "--phase" in judge or "--json" in judge:
        parser.error("--phase and --json are the server's to set")
    return args, judge


def judge_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The judge's environment: the server's without GitHub's variables, and a secret of its
    own to seal the canary state with unless one is given (the state never leaves this
    process, so no one else needs the key)."""
    kept = {k: v for k, v in environ.items() if not k.startswith("GITHUB_")}
    if input_value(kept, "canary-state-secret") is None:
        kept["INPUT_CANARY-STATE-SECRET"] = secrets.token_hex(32)
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    args, judge_argv = parse(sys.argv[1:] if argv is None else argv)
    host, _, port = args.listen.rpartition(":")
    judge = Judge(tuple(judge_argv), judge_environ(os.environ), args.min_interval, run_in_process)
    server = BoundedServer((host or "0.0.0.0", int(port)), handler_for(judge))  # noqa: S104
    sys.stderr.write(f"cicd-agent-canary-server: listening on {args.listen}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
