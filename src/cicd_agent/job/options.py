"""Command-line options shared by every mode, and the rule that action inputs fill what flags leave.

Every option ``--some-name`` is also the action input ``some-name``. The runner hands inputs to
Docker actions as ``INPUT_SOME-NAME``; our composite action passes all of them at once as
``CICD_AGENT_INPUTS`` (``toJSON(inputs)``), so adding an input never needs a new ``env:`` line.
Environment variables ``INPUT_SOME-NAME`` / ``INPUT_SOME_NAME`` win over the JSON. A flag given on
the command line always wins over an input. Empty values count as "not given".
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cicd_agent.runner.deadline import DEFAULT_DEADLINE_MINUTES
from cicd_agent.runner.errors import UsageError
from cicd_agent.runner.inputs import input_value

_T = TypeVar("_T")


class Given:
    """Every option's value as a run resolved it, by its ``dest`` (``run_id`` for ``--run-id``);
    None where nothing gave one. Each reader checks the value's type, so a mode's options
    module reads typed values without argparse (a mismatch is a bug: ``TypeError``)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def __repr__(self) -> str:  # values may be secrets (a database URL): names only
        return f"Given({sorted(self._values)})"

    def value(self, name: str) -> object:
        return self._values.get(name)

    def items(self) -> list[tuple[str, object]]:
        return list(self._values.items())

    def text(self, name: str) -> str | None:
        return self._typed(name, str)

    def flag(self, name: str) -> bool:
        """A switch: None (not given) is off."""
        return bool(self._typed(name, bool))

    def whole(self, name: str) -> int | None:
        value = self._values.get(name)
        if isinstance(value, bool):
            raise TypeError(f"option {name!r} is a switch, not a number")
        return self._typed(name, int)

    def number(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None or isinstance(value, float):
            return value
        return float(self._typed(name, int) or 0)

    def path(self, name: str) -> Path | None:
        value = self._values.get(name)
        if value is None or isinstance(value, Path):
            return value
        return Path(str(self._typed(name, str)))

    def _typed(self, name: str, kind: type[_T]) -> _T | None:
        value = self._values.get(name)
        if value is None or isinstance(value, kind):
            return value
        raise TypeError(f"option {name!r} holds {type(value).__name__}, not {kind.__name__}")


TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off", ""})


def parse_bool(value: str, *, name: str) -> bool:
    """Read a boolean input strictly: a typo must not silently turn a safety switch off.

    ``name`` says where the value came from (``input 'dry-run'``)."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise UsageError(f"{name} must be true or false, got {value!r}.")


def fill_from_inputs(
    parser: argparse.ArgumentParser, args: argparse.Namespace, environ: Mapping[str, str]
) -> None:
    """Give every option the user did not pass on the command line its action input, if any.

    Values go through the option's own type and choices, so an input is validated exactly like
    the flag it stands for.
    """

    def lookup(name: str) -> tuple[str, str] | None:
        raw = input_value(environ, name)
        return None if raw is None else (raw, f"input {name!r}")

    _fill(parser, args, lookup)


def fill_from_settings(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    settings: Mapping[str, str],
    source: str,
) -> None:
    """Give every option still unset the repository's setting of the same name, if any.

    Runs after :func:`fill_from_inputs`, which is the precedence the README promises: a flag,
    then a workflow input, then ``.github/cicd-agent.yml``, then the default.
    """

    def lookup(name: str) -> tuple[str, str] | None:
        raw = settings.get(name)
        return None if raw is None else (raw, f"setting {name!r} in {source}")

    _fill(parser, args, lookup)


def _fill(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    lookup: Callable[[str], tuple[str, str] | None],
) -> None:
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "version"):
            continue
        if getattr(args, action.dest, None) is not None:
            continue
        name = max(action.option_strings, key=len).lstrip("-")
        found = lookup(name)
        if found is None:
            continue
        raw, label = found
        # a secret's value is never echoed, not even a mistyped one (a URL with a password)
        from cicd_agent.analysis.secrets.known import is_secret_name

        shown = "(not shown: it is a secret)" if is_secret_name(name) else repr(raw)
        value: object
        if isinstance(action, argparse._StoreTrueAction):
            value = parse_bool(raw, name=label)
        elif action.type is not None and callable(action.type):
            try:
                value = action.type(raw)
            except (TypeError, ValueError, argparse.ArgumentTypeError) as exc:
                raise UsageError(f"{label} has an invalid value {shown}: {exc}.") from exc
            except UsageError as exc:  # a type that words its own error: say where it came from
                if label.startswith("input "):
                    raise
                raise UsageError(f"{label}: {exc.message}", hint=exc.hint) from exc
        else:
            value = raw
        if action.choices is not None and value not in action.choices:
            allowed = ", ".join(str(choice) for choice in action.choices)
            raise UsageError(f"{label} must be one of {allowed}; got {shown}.")
        setattr(args, action.dest, value)


@dataclass(frozen=True)
class CommonOptions:
    """The resolved common options; modes read their own extra options from the namespace."""

    event_path: Path | None
    event_name: str | None
    repo_dir: Path
    provider: str | None
    model: str | None
    fast_model: str | None
    base_url: str | None
    context_tokens: int | None
    model_timeout: float | None
    deadline_minutes: float
    model_prices: str | None
    fail_on: str | None
    dry_run: bool
    json: bool
    debug: bool

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str]) -> CommonOptions:
        event_path = args.event or _path_or_none(environ.get("GITHUB_EVENT_PATH"))
        repo_dir = args.repo or _path_or_none(environ.get("GITHUB_WORKSPACE")) or Path.cwd()
        if args.repo is not None and not args.repo.is_dir():
            what = "is not a folder" if args.repo.exists() else "does not exist"
            raise UsageError(f"--repo {args.repo} {what}.", hint="Point --repo at a checkout.")
        runner_debug = environ.get("RUNNER_DEBUG", "") == "1"
        return cls(
            event_path=event_path,
            event_name=args.event_name or environ.get("GITHUB_EVENT_NAME") or None,
            repo_dir=repo_dir,
            provider=args.provider,
            model=args.model,
            fast_model=args.fast_model,
            base_url=args.base_url,
            context_tokens=args.context_tokens,
            model_timeout=args.model_timeout,
            deadline_minutes=_deadline(args.deadline_minutes),
            model_prices=args.model_prices,
            fail_on=args.fail_on.strip().lower() if getattr(args, "fail_on", None) else None,
            dry_run=bool(args.dry_run),
            json=bool(args.json),
            debug=bool(args.debug) or runner_debug,
        )


MAX_DEADLINE_MINUTES = 525_600
"""A year: the longest deadline a clock can be set to here (``.inf`` or ``1e300`` overflowed
it, and the run crashed instead of saying so)."""


def _deadline(minutes: float | None) -> float:
    """The run's deadline in minutes (0: none); a negative value is a usage error, not "none",
    and so is one past :data:`MAX_DEADLINE_MINUTES`."""
    if minutes is None:
        return DEFAULT_DEADLINE_MINUTES
    if not 0 <= minutes <= MAX_DEADLINE_MINUTES:  # negative, NaN, endless or past a clock
        raise UsageError(
            f"deadline-minutes must be 0 (no deadline) up to {MAX_DEADLINE_MINUTES:,} "
            f"(a year), got {minutes:g}."
        )
    return minutes


def _path_or_none(value: str | None) -> Path | None:
    return Path(value) if value else None
