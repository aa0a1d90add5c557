"""The user's suite as gen-tests runs it: its test command (and pytest's part of it, which runs a
candidate alone the same way) and its baseline at head, without any candidate. The gate
(:mod:`.gate`) judges a candidate against both; collect (:mod:`.collect`) makes them."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath

from cicd_agent.api import UsageError


@dataclass(frozen=True)
class ProjectCommand:
    """The user's test command, and how to run pytest alone on chosen files in the same way."""

    suite: tuple[str, ...]
    pytest: tuple[str, ...]
    is_pytest: bool

    @classmethod
    def parse(cls, command: str) -> ProjectCommand:
        """Split ``command`` (no shell is ever involved) and find its pytest invocation.

        ``python -m pytest tests -x`` runs candidates as ``python -m pytest FILE``; a command
        that is not pytest (``make test``) runs the suite as given and candidates with
        ``python -m pytest``; ``coverage run -m pytest`` runs as pytest alone.
        """
        try:
            words = tuple(shlex.split(command))
        except ValueError as exc:
            raise UsageError(f"test-command cannot be split into words: {exc}.") from exc
        if not words:
            raise UsageError("test-command is empty.", hint="The default is `python -m pytest`.")
        words = _without_coverage_run(words)
        for index, word in enumerate(words):
            if PurePosixPath(word).name in ("pytest", "py.test"):
                return cls(words, words[: index + 1], True)
            if word == "-m" and index + 1 < len(words) and words[index + 1] == "pytest":
                return cls(words, words[: index + 2], True)
        return cls(words, ("python", "-m", "pytest"), False)


def _without_coverage_run(words: tuple[str, ...]) -> tuple[str, ...]:
    """``coverage run [OPTIONS] -m pytest ARGS`` (or ``python -m coverage run …``) as
    ``python -m pytest ARGS``: coverage.py's own tracer, started in the tests' process, would
    pause the one that measures them (as pytest-cov's would; every run blocks that one). The
    wrapper measures; it does not choose which tests run."""
    if PurePosixPath(words[0]).name == "coverage" and words[1:2] == ("run",):
        python, rest = "python", words[2:]
    elif words[1:4] == ("-m", "coverage", "run"):
        python, rest = words[0], words[4:]
    else:
        return words
    for index in range(len(rest) - 1):
        if rest[index : index + 2] == ("-m", "pytest"):
            return (python, *rest[index:])
    return words


@dataclass(frozen=True)
class SuiteBaseline:
    """The existing suite at head, without any candidate."""

    returncode: int
    seconds: float
    passed: frozenset[str] | None
    """Tests that passed (None when the test command is not pytest, so only the exit code counts)."""
    tests_run: int | None = None
    """Tests pytest ran, whatever their outcome (None when the command is not pytest)."""
    flaky: frozenset[str] = frozenset()
    """Tests that passed on one baseline run and not on the other: left out of ``passed``, so
    a candidate is never blamed for them."""
    failed: tuple[str, ...] = ()
    """Tests pytest reported failed or in error on the first run, sorted (empty when the
    command is not pytest)."""
