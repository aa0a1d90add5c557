"""The modes, by name: the typed registry.

Each entry's loader imports its mode only when that mode runs, so ``--help`` stays fast. The
loaders are typed (they return :class:`~cicd_agent.job.pipeline.Mode`), and every mode's ``run`` is
``run_mode(self, ctx)``: mypy --strict therefore checks each mode against the protocol and its
steps against each other (tests/test_mode_typing.py shows a drifted mode being rejected).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing is a real share of --help's time
if TYPE_CHECKING:
    from collections.abc import Callable

    from cicd_agent.flags import ModeArguments
    from cicd_agent.job.options import Given
    from cicd_agent.job.pipeline import Mode

    OptionsBuilder = Callable[[Given], object]


class ModeEntry:
    """How to load a mode, its options and what builds its typed options from their values,
    and the one line ``cicd-agent --help`` shows."""

    __slots__ = ("arguments", "load", "options", "summary")

    def __init__(
        self,
        load: Callable[[], Mode],
        summary: str,
        arguments: Callable[[], ModeArguments],
        options: Callable[[], OptionsBuilder],
    ) -> None:
        self.load = load
        self.summary = summary
        self.arguments = arguments
        self.options = options


def mode_module(name: str) -> str:
    """The module a mode's loader imports (``gen-tests`` → ``cicd_agent.modes.gen_tests.mode``),
    for import-cost benches and tests that must not run the mode."""
    return f"cicd_agent.modes.{name.replace('-', '_')}.mode"


def _review() -> Mode:
    from cicd_agent.modes.review.mode import MODE

    return MODE


def _review_arguments() -> ModeArguments:
    from cicd_agent.modes.review import arguments

    return arguments


def _review_options() -> OptionsBuilder:
    from cicd_agent.modes.review.options import ReviewOptions

    return ReviewOptions.from_given


def _gen_tests() -> Mode:
    from cicd_agent.modes.gen_tests.mode import MODE

    return MODE


def _gen_tests_arguments() -> ModeArguments:
    from cicd_agent.modes.gen_tests import arguments

    return arguments


def _gen_tests_options() -> OptionsBuilder:
    from cicd_agent.modes.gen_tests.options import GenTestsOptions

    return GenTestsOptions.from_given


def _analyse_failure() -> Mode:
    from cicd_agent.modes.analyse_failure.mode import MODE

    return MODE


def _analyse_failure_arguments() -> ModeArguments:
    from cicd_agent.modes.analyse_failure import arguments

    return arguments


def _analyse_failure_options() -> OptionsBuilder:
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions

    return AnalyseFailureOptions.from_given


def _deploy_gate() -> Mode:
    from cicd_agent.modes.deploy_gate.mode import MODE

    return MODE


def _deploy_gate_arguments() -> ModeArguments:
    from cicd_agent.modes.deploy_gate import arguments

    return arguments


def _deploy_gate_options() -> OptionsBuilder:
    from cicd_agent.modes.deploy_gate.options import phase_options

    return phase_options


def _command() -> Mode:
    from cicd_agent.modes.command.mode import MODE

    return MODE


def _command_arguments() -> ModeArguments:
    from cicd_agent.modes.command import arguments

    return arguments


def _command_options() -> OptionsBuilder:
    from cicd_agent.modes.command.options import CommandOptions

    return CommandOptions.from_given


MODES: dict[str, ModeEntry] = {
    "review": ModeEntry(
        _review,
        "review a pull request: inline comments, check run, SARIF, merge gate",
        _review_arguments,
        _review_options,
    ),
    "gen-tests": ModeEntry(
        _gen_tests,
        "write tests for a change's uncovered lines; keep those that pass a strict gate",
        _gen_tests_arguments,
        _gen_tests_options,
    ),
    "analyse-failure": ModeEntry(
        _analyse_failure,
        "find the error in a failed run's logs, say why it failed and whether it is flaky",
        _analyse_failure_arguments,
        _analyse_failure_options,
    ),
    "deploy-gate": ModeEntry(
        _deploy_gate,
        "score change risk, choose a rollout strategy, proceed or hold",
        _deploy_gate_arguments,
        _deploy_gate_options,
    ),
    "command": ModeEntry(
        _command,
        "answer /cicd-agent commands in pull request comments (review, ask, ...)",
        _command_arguments,
        _command_options,
    ),
}


def load_mode(name: str) -> Mode:
    """Import a mode and return it."""
    return MODES[name].load()
