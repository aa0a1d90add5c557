"""The pieces every mode's options are declared with: the parser class, option types, the
:class:`Option` table and the options every mode takes.

Imports nothing from :mod:`cicd_agent.modes`: the registry loads the modules built from these, so
going through it here would close a circle. Cheap for ``--help``'s sake."""

from __future__ import annotations

import argparse

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.severity import SEVERITY_NAMES, parse_severity

__all__ = [
    "SEVERITY_NAMES",
    "Option",
    "OptionGroup",
    "Parser",
    "add_options",
    "at_least",
    "common_options",
    "database_url",
    "declared",
    "declared_by",
    "options_of",
    "path",
    "severity_argument",
]

TYPE_CHECKING = False  # not typing's: importing typing is a real share of --help's time
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path
    from typing import Any, NoReturn, Protocol

    from cicd_agent.analysis.severity import Severity

    class ModeArguments(Protocol):
        """A mode's ``arguments`` module: its options as data, importable without the mode. Here,
        not in the registry, so what resolves a run types against it without reaching into the
        modes."""

        FAIL_ON_CHOICES: tuple[str, ...]
        OPTIONS: tuple[OptionGroup, ...]
        # and, optional, ASKS_MODEL = False: a mode with no model step (see declared_by);
        # KEEPS_QUARANTINE = True: its settings section holds the quarantine list


_UNRECOGNIZED = "unrecognized arguments: "
_AMBIGUOUS = "ambiguous option: "


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so a bad flag still gets a summary and outputs."""

    mode_prog: str | None = None
    """``cicd-agent MODE`` once a mode is chosen: the help a mistyped option should point to
    (argparse reports unknown options from the top-level parser)."""

    known_flags: tuple[str, ...] = ("-h", "--help")
    """The flags the command line may give (the chosen mode's, once one is), to suggest one
    for a mistyped option."""

    def error(self, message: str) -> NoReturn:
        prog = self.mode_prog or self.prog
        hint = f"See `{prog} --help`."
        if message.startswith(_UNRECOGNIZED):
            words = message.removeprefix(_UNRECOGNIZED).split()
            guesses = self._guesses(words)
            hint = f"Did you mean {' or '.join(guesses)}? {hint}" if guesses else hint
            message = _UNRECOGNIZED + " ".join(self._shown(words))
        elif message.startswith(_AMBIGUOUS):  # argparse quotes the word whole, `=value` too
            typed, _, matches = message.removeprefix(_AMBIGUOUS).partition(" could match ")
            message = f"{_AMBIGUOUS}{typed.split('=', 1)[0]} could match {matches}"
        raise UsageError(f"{message[:1].upper()}{message[1:]}.", hint=hint)

    def _shown(self, words: list[str]) -> list[str]:
        """The unrecognized words as the error may show them: a mistyped secret option
        (``--audit-database-urll=postgresql://u:PASSWORD@h``, ``--prometheus-pasword PW``)
        keeps its name, never its value; other words are shown as typed."""
        from cicd_agent.actions.masking import is_secret_name  # this error path only

        shown: list[str] = []
        hiding = False  # the word after a secret option without `=` is its value
        for word in words:
            if word.startswith("-"):
                name, equals, _ = word.partition("=")
                secret = any(map(is_secret_name, [name, *self._guesses([name])]))
                shown.append(f"{name}=(not shown)" if secret and equals else word)
                hiding = secret and not equals
            else:
                shown.append("(not shown)" if hiding else word)
                hiding = False
        return shown

    def _guesses(self, words: list[str]) -> list[str]:
        """The options closest to each mistyped one (``--fail-onn`` → ``--fail-on``)."""
        import difflib  # on this error path only: --help must stay cheap

        options = self.known_flags
        found: list[str] = []
        for word in words:
            if word.startswith("--"):
                typed = word.split("=", 1)[0]
                found += difflib.get_close_matches(typed, options, n=1, cutoff=0.75)
        return list(dict.fromkeys(found))


def path(text: str) -> Path:
    """An option type for a path (pathlib is imported when a value is read, not for --help)."""
    # Not at the top: pathlib is a noticeable share of --help's start-up budget
    # (tests/project/test_mode_imports.py).
    from pathlib import Path

    return Path(text)


def database_url(text: str) -> str:
    """An option type for ``audit-database-url``: a PostgreSQL URL or a usage error, so a typo
    cannot silently turn the decision record off. Never echoed: it holds a password."""
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


def severity_argument(option: str) -> Callable[[str], Severity]:
    """An option type that rejects severities outside :data:`SEVERITY_NAMES`. It raises
    UsageError itself (argparse and the input filler catch only ValueError and TypeError), so the
    flag and the input give one message."""

    def convert(value: str) -> Severity:
        return parse_severity(value, option=option)

    convert.__name__ = option
    return convert


class Option:
    """One option, declared as data: ``--NAME``, the settings file's ``NAME`` (unless ``setting``
    is False) and the action input ``NAME`` (where ``action_input``), all checked by one parser
    (``kind``) with the same words."""

    __slots__ = (
        "action_input",
        "choices",
        "help",
        "kind",
        "name",
        "repeat",
        "setting",
        "switch",
        "trailing",
    )

    def __init__(
        self,
        name: str,
        help: str,
        *,
        kind: Callable[[str], Any] | None = None,
        choices: Sequence[str] | None = None,
        switch: bool = False,
        trailing: bool = False,
        setting: bool = True,
        action_input: bool = False,
        repeat: bool = False,
    ) -> None:
        self.name = name
        self.help = help
        self.kind = kind
        """Turns the text into the value (``int``, :func:`path`, ...); None: the text itself."""
        self.choices = choices
        self.switch = switch
        """A flag without a value (``--dry-run``); its input or setting is true or false."""
        self.trailing = trailing
        """The words after ``--`` on the command line (test-step's ``-- pytest -q``), a list;
        its input is one line, split as a shell would (``kind`` reads it)."""
        self.setting = setting
        """Whether the repository's settings file may set it. False for one run's facts (a
        commit, a log), a secret, and what only the workflow may decide: where secrets and
        diffs are sent, whether untrusted code may run outside the sandbox (a change to the
        workflow needs the ``workflows`` permission; a line of that file only a reviewer's
        eye)."""
        self.repeat = repeat
        """A flag given once per value (``--image A=x --image B=y``): the values reach the mode
        as one text, one a line, as its input gives them."""
        self.action_input = action_input
        """Whether ``action.yml`` declares an input of this name (a test holds the two
        equal); the other options are flags of the command line and settings of the file."""

    @property
    def dest(self) -> str:
        """The value's key in :class:`~cicd_agent.job.options.Given` (``run_id``)."""
        return self.name.replace("-", "_")

    @property
    def flag(self) -> str:
        return f"--{self.name}"


class OptionGroup:
    """Options ``--help`` lists under one title."""

    __slots__ = ("options", "title")

    def __init__(self, title: str, *options: Option) -> None:
        self.title = title
        self.options = options


def add_options(parser: argparse.ArgumentParser, groups: Sequence[OptionGroup]) -> None:
    """Declare ``groups`` on ``parser``: what ``--help`` shows and what a flag parses to."""
    for declared_group in groups:
        group = parser.add_argument_group(declared_group.title)
        for option in declared_group.options:
            settings: dict[str, Any] = {"help": option.help}
            if option.trailing:  # no type: the words stay words; an input goes through kind
                group.add_argument(option.dest, nargs="*", metavar=option.name.upper(), **settings)
                continue
            if option.switch:  # None, not False, when absent: an input may still set it
                settings.update(action="store_true", default=None)
            if option.repeat:
                settings["action"] = "append"
            if option.kind is not None:
                settings["type"] = option.kind
            if option.choices is not None:
                settings["choices"] = option.choices
            group.add_argument(option.flag, **settings)


MODEL_OPTIONS = frozenset(
    (
        "provider",
        "model",
        "fast-model",
        "base-url",
        "context-tokens",
        "model-timeout",
        "model-prices",
    )
)
"""The common options that choose and bound the model: offered only by a mode that asks one."""


def common_options(
    fail_on_choices: tuple[str, ...] = ("",), asks_model: bool = True
) -> OptionGroup:
    """The options every mode takes (README: "Common options"); ``fail-on`` only where the
    mode has a policy (``fail_on_choices`` empty: none), the model's only where it asks one
    (where it asks none, ``--provider`` alone, unused, so one command line serves every mode)."""
    # Literal defaults in the help: importing model.config here would load pydantic for
    # --help; a test checks them against DEFAULT_MODEL and DEFAULT_FAST_MODEL.
    fail_on: tuple[Option, ...] = ()
    if fail_on_choices:  # a mode without a fail-on policy does not offer the flag
        shown = ", ".join(c for c in fail_on_choices if c) or "per mode"
        fail_on = (
            Option(
                "fail-on",
                f"policy threshold that makes the step exit 1 ({shown})",
                action_input=True,
            ),
        )
    options = (
        Option(
            "event", "event payload file (default: $GITHUB_EVENT_PATH)", kind=path, setting=False
        ),
        Option(
            "event-name",
            "event name, e.g. pull_request (default: $GITHUB_EVENT_NAME)",
            setting=False,
        ),
        Option(
            "repo",
            "local checkout (default: $GITHUB_WORKSPACE, else the current folder)",
            kind=path,
            setting=False,
        ),
        Option(
            "provider",
            "model provider; default: openai when an API key is set, else none (offline)",
            choices=("openai", "none"),
        ),
        Option("model", "model for decisions (default gpt-5.4)", action_input=True),
        Option("fast-model", "cheaper model for bulk generation (default gpt-5.4-mini)"),
        Option(
            "base-url",
            "OpenAI-compatible endpoint (Ollama, vLLM, LiteLLM, Azure v1)",
            setting=False,
            action_input=True,
        ),
        Option("context-tokens", "context window of a model the layer does not know", kind=int),
        Option(
            "model-timeout",
            "seconds for each whole model call, retries included (default 120)",
            kind=float,
        ),
        Option(
            "deadline-minutes",
            "stop the run after this many minutes: outputs written, exit 3 (default 30; 0: none)",
            kind=float,
        ),
        Option(
            "model-prices",
            'price override, JSON: {"MODEL": [input_usd_per_1M, output_usd_per_1M]}',
        ),
        *fail_on,
        Option(
            "dry-run", "compute everything, write nothing to GitHub", switch=True, action_input=True
        ),
        Option("json", "print the result as one JSON object on stdout", switch=True, setting=False),
        Option("debug", "show tracebacks (also RUNNER_DEBUG=1)", switch=True, setting=False),
    )
    kept = [option for option in options if asks_model or option.name not in MODEL_OPTIONS]
    if not asks_model:  # one wrapper's --provider serves every mode
        kept.insert(
            3,
            Option(
                "provider", "taken and unused: this mode asks no model", choices=("openai", "none")
            ),
        )
    return OptionGroup("common options", *kept)


def declared(
    fail_on_choices: tuple[str, ...], groups: Sequence[OptionGroup], asks_model: bool = True
) -> tuple[OptionGroup, ...]:
    """Every option a mode takes, in the order ``--help`` lists them: the common ones first."""
    return (common_options(fail_on_choices, asks_model), *groups)


def declared_by(arguments: ModeArguments) -> tuple[OptionGroup, ...]:
    """Every option the mode of this ``arguments`` module takes, the model's unless it says
    ``ASKS_MODEL = False``."""
    asks_model = getattr(arguments, "ASKS_MODEL", True) is not False
    return declared(arguments.FAIL_ON_CHOICES, arguments.OPTIONS, asks_model)


def options_of(groups: Sequence[OptionGroup]) -> Iterator[Option]:
    for group in groups:
        yield from group.options


def validate_fail_on(
    fail_on: str | None, choices: tuple[str, ...], mode: str, *, where: str = ""
) -> None:
    """Reject an unknown ``fail-on`` loudly instead of dropping it; ``where`` names the
    settings file it came from, when it did (a flag or an input names itself)."""
    if fail_on is None or fail_on in choices:
        return
    said = f"{where}: " if where else ""
    if not choices:
        raise UsageError(f"{said}{mode} has no fail-on policy.", hint="Remove the fail-on input.")
    allowed = ", ".join(choices)
    raise UsageError(
        f"{said}fail-on {fail_on!r} is not valid for {mode}; use one of: {allowed}.",
        hint="Fix it in that file on the base branch." if where else "",
    )
