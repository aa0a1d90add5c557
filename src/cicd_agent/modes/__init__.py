"""The modes, by name: one table of module paths and one loader.

A mode is imported only when it runs, so ``--help`` stays fast: the table holds strings, and
:class:`ModeEntry` imports ``<package>.arguments`` for the parser, ``<package>.options`` for
the typed options and ``<package>.mode`` (the wiring, with its steps) for the run, each on
first use (tests/project/test_mode_imports.py). Each ``mode.py`` declares ``MODE: Mode``, so
mypy checks it against the protocol.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing is a real share of --help's time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from cicd_agent.flags import ModeArguments
    from cicd_agent.job.options import Given
    from cicd_agent.job.pipeline import Mode

    OptionsBuilder = Callable[[Given], object]


class ModeEntry:
    """Where a mode lives, what builds its typed options (``module:attribute`` under its
    package), and the one line ``cicd-agent --help`` shows."""

    __slots__ = ("builder", "package", "summary")

    def __init__(self, package: str, summary: str, builder: str) -> None:
        self.package = f"cicd_agent.modes.{package}"
        self.summary = summary
        self.builder = builder

    def _module(self, name: str) -> Any:
        return __import__(f"{self.package}.{name}", fromlist=["_"])

    def load(self) -> Mode:
        """The mode itself (its ``mode`` module's ``MODE``)."""
        mode: Mode = self._module("mode").MODE
        return mode

    def arguments(self) -> ModeArguments:
        """Its options declared as data (the ``arguments`` module: constants only)."""
        arguments: ModeArguments = self._module("arguments")
        return arguments

    def options(self) -> OptionsBuilder:
        """What builds its frozen options from the given values."""
        module, _, path = self.builder.partition(":")
        found = self._module(module)
        for attribute in path.split("."):
            found = getattr(found, attribute)
        builder: OptionsBuilder = found
        return builder


MODES: dict[str, ModeEntry] = {
    "review": ModeEntry(
        "review",
        "review a pull request: inline comments, check run, SARIF, merge gate",
        "options:ReviewOptions.from_given",
    ),
    "gen-tests": ModeEntry(
        "gen_tests",
        "write tests for a change's uncovered lines; keep those that pass a strict gate",
        "options:GenTestsOptions.from_given",
    ),
    "analyse-failure": ModeEntry(
        "analyse_failure",
        "find the error in a failed run's logs, say why it failed and whether it is flaky",
        "options:AnalyseFailureOptions.from_given",
    ),
    "deploy-gate": ModeEntry(
        "deploy_gate",
        "score change risk, choose a rollout strategy, proceed or hold",
        "options:phase_options",
    ),
    "command": ModeEntry(
        "command",
        "answer /cicd-agent commands in pull request comments (review, ask, ...)",
        "options:CommandOptions.from_given",
    ),
}


def mode_module(name: str) -> str:
    """The module a mode's loader imports (``gen-tests`` → ``cicd_agent.modes.gen_tests.mode``),
    for import-cost benches and tests that must not run the mode."""
    return f"{MODES[name].package}.mode"
