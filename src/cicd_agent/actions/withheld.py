"""Secrets withheld from everything we post: every posting path
(:func:`cicd_agent.actions.markdown.posted`, annotations, chat, commit messages) redacts here before
it neutralises, so a reply echoing a token cannot post it and no caller has a step to remember.
Redaction comes first because neutralising changes the text the shapes are read in, and what it
writes must be made inert too.

A run's context registers its redactor for as long as the run is open, handed in, not imported:
the runner layer imports no other part. Its known values are held here too (:func:`held`), so no
process the run starts gets one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from threading import Lock
from urllib.parse import unquote

# A list, not a context variable: a run may post from a worker thread, and a run's redactor
# stays registered while its context is open, whichever thread closes it. One entry per open
# run, its redactor with its known values, so neither can outlive the other.
_OPEN: list[tuple[Callable[[str], str], tuple[str, ...]]] = []
_CHANGING = Lock()


@contextmanager
def withheld(redact: Callable[[str], str], known: Iterable[str] = ()) -> Iterator[None]:
    """Redact with ``redact`` everything posted while this is open (with every other one open:
    a nested run's redactor, or one of a run beside it in another thread, never stands in for
    the run's own); ``known``, the secret values it knows, are :func:`held` meanwhile."""
    entry = (redact, tuple(known))
    with _CHANGING:
        _OPEN.append(entry)
    try:
        yield
    finally:
        with _CHANGING:
            for at in range(len(_OPEN) - 1, -1, -1):
                if _OPEN[at] is entry:
                    del _OPEN[at]
                    break


def held() -> tuple[str, ...]:
    """Every secret value of the runs open now: what no process they start may be handed."""
    with _CHANGING:
        return tuple(value for _, values in _OPEN for value in values)


def redacted(text: str) -> str:
    """``text`` with the secrets of every open run and every secret shape replaced (as it is
    when no run is open: nothing is known to redact). A text that holds one only once
    percent-decoded (every character of a value escaped, ``%63%6f…``, which a browser or a
    reader decodes) is posted decoded, with it replaced."""
    opened = tuple(redact for redact, _ in _OPEN)  # a copy: another thread may close one meanwhile
    if not opened:
        return text
    shown = _each(text, opened)
    if "%" in text:
        decoded = unquote(text)
        withheld = _each(decoded, opened)
        if withheld != decoded:
            return withheld
    return shown


def _each(text: str, opened: tuple[Callable[[str], str], ...]) -> str:
    for redact in reversed(opened):
        text = redact(text)
    return text
