"""gen-tests' one attempt loop, for every language: ask the model, judge its file, re-prompt
with why it was refused; stop where the run's budget or the model says so.

What differs per language is its writer (:class:`Writer`): the prompt (the language's rules and
examples, the previous refusal), where the file goes and how it is judged. Python's is
:mod:`.ask`'s (pytest modules, the six-stage gate); every other runner's is :mod:`.runner_ask`'s
(the runner gate, and the runner module's own layout and style:
:meth:`~cicd_agent.runners.protocol.WritesTests.test_file_for`). So a new runner adds its
module's two answers, and a new kind of test a writer, never another loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol, TypeVar

from cicd_agent.actions.errors import ModelError
from cicd_agent.model.tokens import TokenCounter

Answer = TypeVar("Answer")
Answer_contra = TypeVar("Answer_contra", contravariant=True)


class Judged(NamedTuple):
    """One candidate's word, as the progress line says it."""

    kept: bool
    said: str
    """``accepted``, or the stage that refused it."""
    seconds: float
    """How long judging it took."""


class Stop(NamedTuple):
    """Why generation stops, and the note for the piece it stopped at."""

    why: str
    note: str
    """``not tried: …`` (the budget, before the call) or ``stopped: …`` (the model failed)."""


class Writer(Protocol[Answer_contra]):
    """One language's side of the attempts at one piece of code (module doc)."""

    @property
    def system(self) -> str:
        """The system prompt, the same for every attempt."""
        ...

    def user(self) -> str | None:
        """The next attempt's prompt, with the last refusal; None when no attempt can be made
        (no file name is free), said where the writer records its piece."""
        ...

    def judge(self, answer: Answer_contra, number: int) -> Judged:
        """Judge ``answer`` (attempt ``number``) in the sandbox and record it; keep it when it
        passes, else remember why for the next prompt."""
        ...


def attempt(
    writer: Writer[Answer],
    place: str,
    *,
    ask: Callable[[str, str], Answer],
    refuses: Callable[[int], str | None],
    counter: TokenCounter,
    attempts: int,
    report: Callable[[str], None],
) -> Stop | None:
    """Up to ``attempts`` answers for the writer's piece (``place`` names it in the progress
    lines ``report`` gets), until one is kept; why generation must stop, or None. ``ask``:
    (system, user) → answer, raising ModelError; ``refuses``: why a call whose prompt holds this
    many tokens would go over the run's budget, or None."""
    for number in range(1, attempts + 1):
        user = writer.user()
        if user is None:
            return None
        refusal = refuses(counter.count(writer.system + user))
        if refusal:
            return Stop(refusal, f"not tried: {refusal}")
        try:
            answer = ask(writer.system, user)
        except ModelError as exc:
            stop = f"the model failed ({exc})"
            return Stop(stop, f"stopped: {stop}")
        judged = writer.judge(answer, number)
        report(f"{place}, attempt {number}: {judged.said} ({judged.seconds:.1f}s)")
        if judged.kept:
            return None
    return None
