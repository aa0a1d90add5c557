"""The user's suite as gen-tests runs it: its test command (and pytest's part of it, which runs a
candidate alone the same way) and its baseline at head, without any candidate. The gate
(:mod:`.gate`) judges a candidate against both; collect (:mod:`.collect`) makes them."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.file_names import name_span
from cicd_agent.runners.table import PYTEST_SESSIONS

FAILED = frozenset({"failed", "error"})
"""A test's outcomes that are a failure (pytest's ``error`` is one in its set-up or teardown)."""


@dataclass(frozen=True)
class ProjectCommand:
    """The user's test command, and how to run pytest alone on chosen files in the same way."""

    suite: tuple[str, ...]
    pytest: tuple[str, ...]
    is_pytest: bool

    @classmethod
    def parse(cls, command: str) -> ProjectCommand:
        """Split ``command`` (no shell is ever involved) and find where it starts the driven
        runner (:meth:`~cicd_agent.runners.sessions.Sessions.own_part`): ``python -m pytest
        tests -x`` runs candidates as ``python -m pytest FILE``; a command that is not pytest
        (``make test``) runs the suite as given and candidates with the runner alone.
        """
        try:
            words = tuple(shlex.split(command))
        except ValueError as exc:
            raise UsageError(f"test-command cannot be split into words: {exc}.") from exc
        if not words:
            raise UsageError("test-command is empty.", hint="The default is `python -m pytest`.")
        own = PYTEST_SESSIONS.own_part(words)
        return cls(words, PYTEST_SESSIONS.alone, False) if own is None else cls(*own, True)


@dataclass(frozen=True)
class SuiteBaseline:
    """The existing suite at head, without any candidate."""

    returncode: int
    seconds: float
    passed: frozenset[str] | None
    """Tests that passed (None when the test command is not pytest, so only the exit code
    counts)."""
    tests_run: int | None = None
    """Tests pytest ran, whatever their outcome (None when the command is not pytest)."""
    flaky: frozenset[str] = frozenset()
    """Tests that passed on one baseline run and not on the other: left out of ``passed``, so
    a candidate is never blamed for them."""
    failed: tuple[str, ...] = ()
    """Tests pytest reported failed or in error on the first run, sorted, flaky ones left out
    (empty when the command is not pytest): none of gen-tests' doing."""


def failing_said(tests: Sequence[str], why: Mapping[str, str] | None = None) -> str:
    """What the headline says of existing ``tests`` (redacted names) that failed at head
    before any generated test ran ("" for none): which, why where ``why`` knows, and that this
    run is not why."""
    if not tests:
        return ""
    known = why or {}
    shown = ", ".join(
        name_span(test) + (f" ({name_span(known[test], 200)})" if test in known else "")
        for test in tests[:5]
    )
    more = f" and {len(tests) - 5} more" if len(tests) > 5 else ""
    one = len(tests) == 1
    return (
        f"{len(tests)} existing test{'' if one else 's'} already fail{'s' if one else ''} at "
        f"head, before any generated test, so this run did not cause {'it' if one else 'them'}: "
        f"{shown}{more}; no candidate is held to {'it' if one else 'them'}."
    )
