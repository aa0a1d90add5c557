"""A scripting proxy in front of the validating GitHub mock (Prism).

Every request still goes to Prism first, so the OpenAPI description validates it; a test can then
replace what comes back for one method and path (a 403, a secondary rate limit with
``retry-after``, a list that contains our marker, a redirect to a log blob). Every request is
recorded (method, path, body, status) so tests can assert what was sent and how often.

GitHub Enterprise Server puts the API under ``/api/v3``; the proxy accepts that prefix and strips
it before matching and forwarding, so the GHES form of the base URL is exercised for real.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .graphql_mock import PATHS as GRAPHQL_PATHS
from .graphql_mock import GraphQLMock

GHES_PREFIX = "/api/v3"
_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "accept-encoding"}
)
_UNSET: Any = object()
# GitHub's vendor media types (application/vnd.github.v3+json, …) are JSON, and GitHub serves
# them as such; the description only lists application/json, so Prism would answer 406. So are
# the old preview types PyGithub still sends (reactions: ``…squirrel-girl-preview``).
_GITHUB_JSON = re.compile(
    r"application/vnd\.github(?:\.[\w-]+)*\+json|application/vnd\.github\.[\w-]+-preview\b"
)


@dataclass
class Rule:
    """How to answer requests matching ``method`` and the full-match regex ``path``."""

    method: str
    path: re.Pattern[str]
    status: int | None = None
    body: Any = _UNSET
    edit: Callable[[Any], Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    forward: bool = True
    used: int = 0

    def matches(self, method: str, path: str) -> bool:
        live = self.times is None or self.used < self.times
        return live and method == self.method and self.path.fullmatch(path) is not None


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    api_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int
    upstream_status: int | None
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, delayed ACKs add ~40 ms a request.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self.server.proxy.handle(self)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the record and Prism's log say everything."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: ScriptingProxy


class ScriptingProxy:
    """Forwards to Prism at ``upstream`` (host, port); scripted answers override the reply."""

    def __init__(self, upstream: tuple[str, int], placeholder: str) -> None:
        self.upstream = upstream
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._placeholder = placeholder
        """The base URL in the description Prism serves; its answers get this proxy's instead
        (one Prism serves every test worker, each with its own proxy)."""
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._records: list[Recorded] = []
        self._rejected: list[str] = []
        self.upstream_seconds: list[float] = []
        self.graphql = GraphQLMock()
        """GitHub's GraphQL endpoint (Prism serves only REST): review threads as state."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- scripting ------------------------------------------------------------------------

    def script(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        body: Any = _UNSET,
        edit: Callable[[Any], Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = None,
        forward: bool = True,
    ) -> Rule:
        """Answer ``method path`` (regex over the API path) differently; newest rule wins."""
        rule = Rule(
            method.upper(), re.compile(path), status, body, edit, headers or {}, times, forward
        )
        with self._lock:
            self._rules.insert(0, rule)
        return rule

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        times: int | None = None,
    ) -> Rule:
        """A GitHub-shaped error answer, after Prism has validated the request."""
        body = {"message": message, "documentation_url": "https://docs.github.com/rest"}
        return self.script(method, path, status=status, body=body, headers=headers, times=times)

    def serve(self, path: str, content: bytes) -> str:
        """Serve ``content`` at ``path`` outside the API (a log blob) and return its URL."""
        self.script("GET", re.escape(path), status=200, body=content, forward=False)
        return f"{self.base_url}{path}"

    def reset(self) -> None:
        with self._lock:
            self._rules.clear()
            self._records.clear()
            self._rejected.clear()
        self.graphql.reset()

    @property
    def rejected(self) -> list[str]:
        """One line per request since the reset that Prism (or the GraphQL schema) rejected:
        method, path, reasons."""
        with self._lock:
            return list(self._rejected) + list(self.graphql.rejected)

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._records)

    def calls(self, method: str, path: str) -> list[Recorded]:
        """Recorded requests with this method whose API path fully matches the regex."""
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.api_path)]

    # --- serving ----------------------------------------------------------------------------

    def _take_rule(self, method: str, api_path: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, api_path):
                    rule.used += 1
                    return rule
        return None

    def _forward(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes, float]:
        started = time.perf_counter()
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            connection.request(method, target, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read().replace(self._placeholder.encode(), self.base_url.encode())
            reply_headers = {
                k: v.replace(self._placeholder, self.base_url)
                for k, v in response.getheaders()
                if k.lower() not in _HOP_HEADERS
            }
            status = response.status
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        reasons = rejection(reply_headers, payload)
        with self._lock:
            self.upstream_seconds.append(elapsed)
            if reasons:
                self._rejected.append(f"{method} {target.split('?')[0]}: {' | '.join(reasons)}")
        return status, reply_headers, payload, elapsed

    def handle(self, request: _Handler) -> None:
        method = request.command
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        parts = urlsplit(request.path)
        api_path = parts.path.removeprefix(GHES_PREFIX) or "/"
        target = api_path + (f"?{parts.query}" if parts.query else "")
        sent_headers = {
            k: _GITHUB_JSON.sub("application/json", v) if k.lower() == "accept" else v
            for k, v in request.headers.items()
            if k.lower() not in _HOP_HEADERS
        }
        rule = self._take_rule(method, api_path)

        status, payload, elapsed = 200, b"", 0.0
        headers: dict[str, str] = {}
        upstream: int | None = None
        if method == "POST" and parts.path in GRAPHQL_PATHS and (rule is None or rule.forward):
            status, payload = self.graphql.answer(body)
            headers, upstream = {"Content-Type": "application/json; charset=utf-8"}, status
        elif rule is None or rule.forward:
            status, headers, payload, elapsed = self._forward(method, target, sent_headers, body)
            upstream = status
        if rule is not None:
            try:
                status, headers, payload = self._apply(rule, status, headers, payload)
            except Exception as exc:  # a broken script must fail its test, not hang the client
                status, headers = 599, {"Content-Type": "text/plain"}
                payload = f"scripted answer failed: {exc!r}".encode()

        with self._lock:
            self._records.append(
                Recorded(
                    method=method,
                    path=parts.path,
                    api_path=api_path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in request.headers.items()},
                    body=body,
                    status=status,
                    upstream_status=upstream,
                    elapsed=elapsed,
                )
            )
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    @staticmethod
    def _apply(
        rule: Rule, status: int, headers: dict[str, str], payload: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if rule.edit is not None:
            payload = json.dumps(rule.edit(json.loads(payload))).encode()
        elif rule.body is not _UNSET:
            raw = rule.body if isinstance(rule.body, bytes) else json.dumps(rule.body).encode()
            payload = raw
            kind = (
                "application/octet-stream" if isinstance(rule.body, bytes) else "application/json"
            )
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            headers["Content-Type"] = kind
        replaced = {k.lower() for k in rule.headers}
        headers = {k: v for k, v in headers.items() if k.lower() not in replaced} | rule.headers
        return rule.status or status, headers, payload


_PRISM_ERROR = "https://stoplight.io/prism/errors#"


def rejection(headers: dict[str, str], payload: bytes) -> list[str]:
    """Why Prism rejected a request, from its answer ([] when it did not): each violation of
    the description by the request (``sl-violations``; those of the response are ignored:
    GitHub's own examples break its schemas), or Prism's own error (no such route, method or
    media type; an invalid request the description has no answer for, with its violations).
    Read from the answer, not Prism's log, so one Prism serves many workers."""
    found = {k.lower(): v for k, v in headers.items()}
    violations = found.get("sl-violations", "")
    try:
        listed = json.loads(violations) if violations else []
    except ValueError:  # Prism cuts a long list: what it kept of the request's comes first
        listed = [{"location": ["request"], "message": violations[:500]}]
        listed = listed if '["request"' in violations else []
    if "problem+json" in found.get("content-type", ""):
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            problem = json.loads(payload)
            if str(problem.get("type", "")).startswith(_PRISM_ERROR):
                said = f"Request terminated with error: {problem['type']}: {problem.get('title')}"
                listed.append({"location": ["request"], "message": said})
                listed += [
                    {**v, "location": ["request", *v.get("location", [])]}
                    for v in problem.get("validation", [])
                ]
    return [
        f"Violation: {'.'.join(map(str, v.get('location', [])))} {v.get('message', '')}"
        for v in listed
        if v.get("location", [""])[0] == "request"
    ]
