"""What the test step's flaky-test fixer asks of a runner (:class:`RunsInOrder`): tests run in an
order of its choosing, in the sandbox, and a set-up moved from one test into another in the
runner's language. :attr:`cicd_agent.runners.table.Row.in_order` names the runners that have it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cicd_agent.runners.sessions import Evidence, Outcomes, SessionSandbox
from cicd_agent.sandbox import RunResult, Workspace


@dataclass(frozen=True)
class SetUp:
    """A donor test's statements, to run first in another test (the one that fails without
    what they do): each statement's source, and the imports they need there."""

    donor: str
    statements: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    why_not: str = ""
    """Why the donor's statements cannot be moved ("" when they can)."""


class RunsInOrder(Protocol):
    """How the flaky-test fixer runs a runner's tests in chosen orders and moves a set-up."""

    sandbox: type[SessionSandbox]
    """The sandbox its sessions run in."""

    def command(self, words: Sequence[str]) -> tuple[str, ...] | None:
        """The step's command ``words`` as a session of chosen tests runs it (our plugin
        loaded, any order of its own switched off), or None when ``words`` are not this
        runner's."""
        ...

    def in_order(self, space: Workspace, tests: Sequence[str]) -> list[str]:
        """The arguments that run exactly ``tests`` (the runner's ids), each once, in this
        order; empty: the command's own tests, in their own order."""
        ...

    def again(self, times: int) -> list[str]:
        """The arguments that run each chosen test ``times`` times in the one session, its
        passed and failed runs counted (:attr:`~.sessions.Outcomes.repeats`)."""
        ...

    def read(self, result: RunResult, evidence: Evidence) -> tuple[Outcomes | None, str]:
        """A session's outcomes, or None and why there is nothing to believe."""
        ...

    def file_of(self, root: Path, test: str) -> str:
        """The file ``test`` (an id) is written in, relative to the checkout (``root``, its
        copy, where an id that names no file, go's, is looked up); "" when not found there."""
        ...

    def set_up_of(self, texts: Mapping[str, str], donor: str, victim: str) -> SetUp:
        """``donor``'s statements as ``victim``'s set-up would run them (``texts``: the two
        tests' files by path); assertions are never moved."""
        ...

    def with_set_up(self, text: str, victim: str, set_up: SetUp, keep: Collection[int]) -> str:
        """``victim``'s file (``text``) with the statements of ``set_up`` numbered in ``keep``
        run first in the test; "" when it cannot be written there."""
        ...

    def under_test(self, root: Path, victim: str) -> dict[str, frozenset[int]]:
        """The lines of code outside the tests that ``victim`` calls by name, by file under
        ``root``: what a mutant breaks to show the test still catches a bug."""
        ...
