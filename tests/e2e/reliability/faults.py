"""How each fault of the matrix is produced, through the real HTTP paths.

Model faults are scripted on the local OpenAI-compatible server; GitHub faults are rules on the
scripting proxy in front of the validating mock, so every request is still checked against
GitHub's OpenAPI description before the fault replaces the answer.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.reliability.scenarios import HUNG, phantom_answer
from tests.harness.github_proxy import ScriptingProxy
from tests.harness.model_server import ModelServer

_READS = ("GET",)
_WRITES = ("POST", "PATCH", "PUT", "DELETE")
_ALL = _READS + _WRITES
_API_PATHS = r"(?!/blobs/)/.*"
"""Every REST path; log blobs are storage, not the API, and are served apart by the proxy."""


def apply_model_fault(server: ModelServer, fault: str, mode: str) -> None:
    """Make every chat request from now on fail in the way ``fault`` names (the runner gives the
    model ``MODEL_TIMEOUT`` only for the hung model, which never answers: see ``ANSWER_TIMEOUT``
    in ``scenarios``)."""
    steps: dict[str, Callable[[], None]] = {
        "model_429": lambda: server.rate_limit(times=None),
        "model_500": lambda: server.fail(500, times=None),
        "model_timeout": lambda: server.slow(HUNG, times=None),
        "model_invalid_json": lambda: server.invalid_json(times=None),
        "model_refusal": lambda: server.refuse(times=None),
        "model_length": lambda: server.cut_off(times=None),
        "model_empty": lambda: server.empty(times=None),
        "model_phantom_refs": lambda: server.answer(phantom_answer(mode), times=None),
    }
    steps[fault]()


# fault → (methods it hits, the paths, status, GitHub's message, extra headers)
GITHUB_FAULTS: dict[str, tuple[tuple[str, ...], str, int, str, dict[str, str]]] = {
    "github_401": (_ALL, _API_PATHS, 401, "Bad credentials", {}),
    "github_403_read_only": (
        _WRITES,
        _API_PATHS,
        403,
        "Resource not accessible by integration",
        {},
    ),
    "github_404": (_ALL, _API_PATHS, 404, "Not Found", {}),
    "github_422": (_WRITES, _API_PATHS, 422, "Validation Failed", {}),
    "github_5xx": (_ALL, _API_PATHS, 502, "Server Error", {}),
    # The second of review's three publications (the review, the check run, the comment).
    "github_5xx_midway": (("POST",), r"/repos/[^/]+/[^/]+/check-runs", 502, "Server Error", {}),
    "github_secondary_rate_limit": (
        _ALL,
        _API_PATHS,
        403,
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        {"retry-after": "60"},
    ),
}


def apply_github_fault(proxy: ScriptingProxy, fault: str) -> None:
    """Make GitHub answer every request ``fault`` hits with that error, from now on."""
    methods, paths, status, message, headers = GITHUB_FAULTS[fault]
    for method in methods:
        proxy.fail(method, paths, status, message, headers=dict(headers), times=None)
