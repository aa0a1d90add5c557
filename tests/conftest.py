"""Session-wide test basics: offline tiktoken, a hermetic environment, the real webhook payloads.

The harness plugins (local model server, validating GitHub mock) live in ``tests/harness/`` and
are registered here only when their file exists, so the suite keeps running while one is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from cicd_agent.actions import withheld
from tests.harness import payloads

_HARNESS = Path(__file__).parent / "harness"
_PLUGINS = ("model_server", "github_mock", "prometheus_server", "postgres_server")

# pytester: for tests of the harness itself (an inner pytest run with a planted environment).
pytest_plugins = [
    "pytester",
    "tests.harness.temp_folders",  # each run's own temporary folders; no deep tree left behind
    "tests.harness.by_file",  # a parallel run gives each test file to one worker
    *(f"tests.harness.{name}" for name in _PLUGINS if (_HARNESS / f"{name}.py").exists()),
]

# tiktoken would download its encodings on first use; setup.sh writes them here from js-tiktoken.
# Set for the whole process (not per test) so subprocesses such as the CLI inherit it too.
_TIKTOKEN_CACHE = payloads.REPO_ROOT / ".harness" / "tiktoken"
if _TIKTOKEN_CACHE.is_dir():
    os.environ["TIKTOKEN_CACHE_DIR"] = str(_TIKTOKEN_CACHE)

# Variables a runner, a developer's shell or a CI system may set that would change what the code
# under test does (event, token, model key, inputs, debug logging). Tests set what they need.
_LEAKY_PREFIXES = ("GITHUB_", "INPUT_", "OPENAI_", "RUNNER_", "ACTIONS_", "GH_")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """An expected failure is a failed assertion: an ``xfail`` naming no exception of its own
    fails on any other error, so a changed signature's TypeError never passes as "still open"."""
    for item in items:
        mark = item.get_closest_marker("xfail")
        if mark is not None and "raises" not in mark.kwargs:
            kept = pytest.mark.xfail(*mark.args, **mark.kwargs, raises=AssertionError)
            item.add_marker(kept, append=False)


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the real runner, GitHub and OpenAI variables from every test's environment."""
    for name in list(os.environ):
        if name.startswith(_LEAKY_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def no_run_left_open() -> Iterator[None]:
    """A run's context registers its redactor for everything posted until whoever started the
    run closes it; a test that builds a context and never closes it must not redact what the
    next test posts (the suite would depend on the order tests run in)."""
    yield
    withheld._OPEN.clear()


@pytest.fixture(scope="session")
def webhook_examples() -> ModuleType:
    """The real ``@octokit/webhooks-examples`` payloads: ``webhook_examples.examples("push")``.

    A module rather than an object so tests get the same helpers they could import
    (``examples``, ``example``, ``failed_workflow_run``, ``write_event``; see payloads.py).
    """
    return payloads
