"""The values a run was given (:class:`Given`), and the rule that action inputs fill what flags
leave: ``--some-name`` is also the input ``some-name``, and a flag always wins."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cicd_agent.actions.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.flags import Option

_T = TypeVar("_T")


class Given:
    """Every option's value as a run resolved it, by its ``dest`` (``run_id`` for ``--run-id``);
    None where nothing gave one. Each reader checks the value's type, so a mode's options
    module reads typed values without argparse (a mismatch is a bug: ``TypeError``)."""

    __slots__ = ("_stated", "_values")

    def __init__(self, values: Mapping[str, object], *, stated: Collection[str] = ()) -> None:
        self._values = dict(values)
        self._stated = frozenset(stated)

    def __repr__(self) -> str:  # values may be secrets (a database URL): names only
        return f"Given({sorted(self._values)})"

    def value(self, name: str) -> object:
        return self._values.get(name)

    def items(self) -> list[tuple[str, object]]:
        return list(self._values.items())

    def stated(self) -> dict[str, object]:
        """The values the run's command line or workflow inputs gave, not its settings file
        nor a default: what a run this one starts is handed (a command's review), which
        reads its own section of the file, never this run's."""
        return {name: self._values[name] for name in self._stated if name in self._values}

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
        """A path, made absolute against the working folder once, here: a run may hand it to a
        process that starts elsewhere (the sandbox), where a relative one names nothing."""
        value = self._values.get(name)
        if value is None or isinstance(value, Path):
            return None if value is None else value.absolute()
        text = self._typed(name, str)
        return Path(text).absolute() if text else None

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


def fill_unset(
    options: Iterable[Option],
    values: dict[str, object],
    lookup: Callable[[str], str | None],
    where: Callable[[str], str],
) -> None:
    """Give every unset option the text ``lookup`` finds for it, through the option's own parser,
    so an input or setting is validated exactly like its flag (``where(name)`` names its source
    for the error). The run fills from inputs, then settings: the README's precedence."""
    for option in options:
        raw = lookup(option.name) if values.get(option.dest) is None else None
        if raw is not None:
            values[option.dest] = read_value(option, raw, where(option.name))


def read_value(option: Option, raw: str, label: str) -> object:
    """``raw`` as ``option`` reads it; ``label`` says where it came from (``input 'dry-run'``)."""
    # a secret's value is never echoed, not even a mistyped one (a URL with a password)
    from cicd_agent.actions.masking import is_secret_name

    secret = is_secret_name(option.name)
    shown = "(not shown: it is a secret)" if secret else repr(raw)
    value: object
    if option.switch:
        value = parse_bool(raw, name=label)
    elif option.kind is not None:
        try:
            value = option.kind(raw)
        except (TypeError, ValueError, argparse.ArgumentTypeError) as exc:
            why = str(exc)  # a parser's own words may quote the text (int's do)
            if secret:
                for part in filter(None, {raw, raw.strip()}):
                    why = why.replace(part, "(not shown)")
            raise UsageError(f"{label} has an invalid value {shown}: {why}.") from exc
        except UsageError as exc:  # a parser that words its own error: say where it came from
            if label.startswith("input "):
                raise
            raise UsageError(f"{label}: {exc.message}", hint=exc.hint) from exc
    else:
        value = raw
    if option.choices is not None and value not in option.choices:
        allowed = ", ".join(str(choice) for choice in option.choices)
        raise UsageError(f"{label} must be one of {allowed}; got {shown}.")
    return value
