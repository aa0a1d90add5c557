"""The pieces every mode's parser is built from: the parser class, option types and the
options every mode takes.

Imports nothing from :mod:`cicd_agent.modes`: a mode's ``arguments`` module and the command
mode's dispatch build parsers from these, and the registry (which the CLI's
:mod:`cicd_agent.arguments` reads) loads those modules, so going through the registry here
would close a circle. Cheap for the same reason as :mod:`cicd_agent.arguments`: ``--help``.
"""

from __future__ import annotations

import argparse

from cicd_agent.runner.errors import UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs --help a tenth of its time
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import NoReturn


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so a bad flag still gets a summary and outputs."""

    mode_prog: str | None = None
    """``cicd-agent MODE`` once a mode is chosen: the help a mistyped option should point to
    (argparse reports unknown options from the top-level parser)."""

    def error(self, message: str) -> NoReturn:
        prog = self.mode_prog or self.prog
        raise UsageError(f"{message[:1].upper()}{message[1:]}.", hint=f"See `{prog} --help`.")


def path(text: str) -> Path:
    """An option type for a path (pathlib is imported when a value is read, not for --help)."""
    # pathlib at the top: +9 modules, +4 ms after this module (`python -X importtime`), a
    # seventh of `python -c pass` (27 ms), against --help's budget of 3x it
    # (bench/bench_startup.py).
    from pathlib import Path

    return Path(text)


def database_url(text: str) -> str:
    """An option type for ``audit-database-url``: a PostgreSQL URL, or a usage error, so a typo
    cannot silently turn the decision record off. The value is never echoed (it holds a
    password)."""
    if not text.startswith(("postgresql://", "postgres://")):
        raise argparse.ArgumentTypeError(
            "must be a PostgreSQL URL, postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        )
    return text


def at_least(minimum: int) -> Callable[[str], int]:
    """An option type for whole numbers no smaller than ``minimum``, so a flag and its action
    input are refused at parse time with the same words."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value

    return parse


def add_common_options(
    parser: argparse.ArgumentParser, fail_on_choices: tuple[str, ...] = ("",)
) -> None:
    """The options every mode takes (README: "Common options")."""
    group = parser.add_argument_group("common options")
    group.add_argument(
        "--event", type=path, help="event payload file (default: $GITHUB_EVENT_PATH)"
    )
    group.add_argument(
        "--event-name", help="event name, e.g. pull_request (default: $GITHUB_EVENT_NAME)"
    )
    group.add_argument(
        "--repo",
        type=path,
        help="local checkout (default: $GITHUB_WORKSPACE, else the current folder)",
    )
    group.add_argument(
        "--provider",
        choices=("openai", "none"),
        help="model provider; default: openai when an API key is set, else none (offline)",
    )
    # Literal defaults: importing model.config here would load pydantic for --help; a test
    # checks them against DEFAULT_MODEL and DEFAULT_FAST_MODEL.
    group.add_argument("--model", help="model for decisions (default gpt-5.4)")
    group.add_argument(
        "--fast-model", help="cheaper model for bulk generation (default gpt-5.4-mini)"
    )
    group.add_argument(
        "--base-url", help="OpenAI-compatible endpoint (Ollama, vLLM, LiteLLM, Azure v1)"
    )
    group.add_argument(
        "--context-tokens", type=int, help="context window of a model the layer does not know"
    )
    group.add_argument(
        "--model-timeout",
        type=float,
        help="seconds for each whole model call, retries included (default 120)",
    )
    group.add_argument(
        "--deadline-minutes",
        type=float,
        help="stop the run after this many minutes: outputs written, exit 3 (default 30; 0: none)",
    )
    group.add_argument(
        "--model-prices",
        help='price override, JSON: {"MODEL": [input_usd_per_1M, output_usd_per_1M]}',
    )
    if fail_on_choices:  # a mode without a fail-on policy does not offer the flag
        shown = ", ".join(c for c in fail_on_choices if c) or "per mode"
        group.add_argument(
            "--fail-on", help=f"policy threshold that makes the step exit 1 ({shown})"
        )
    group.add_argument(
        "--dry-run",
        action="store_true",
        default=None,
        help="compute everything, write nothing to GitHub",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=None,
        help="print the result as one JSON object on stdout",
    )
    group.add_argument(
        "--debug", action="store_true", default=None, help="show tracebacks (also RUNNER_DEBUG=1)"
    )
