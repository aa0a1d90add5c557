"""The one attempt loop every language's tests go through (:mod:`.attempts`): a refused answer
is asked again with its refusal, the first kept one ends the piece, and the budget or a failed
model stops generation with the note its piece gets. The writer here is the loop's contract
(:class:`~.attempts.Writer`) kept to plain data; the real writers run end to end in
test_gen_tests_ask.py (Python) and test_gen_tests_runner_models.py (jest, go)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cicd_agent.actions.errors import ModelError
from cicd_agent.model.tokens import TokenCounter
from cicd_agent.modes.gen_tests.attempts import Judged, Stop, attempt

COUNTER = TokenCounter.for_model("gpt-4o-mini")


@dataclass
class Words:
    """Keeps the answer it is told to keep; each prompt says the last refusal."""

    keep: str
    system: str = "write a test"
    free: bool = True
    refused: str = ""
    judged: list[tuple[str, int]] = field(default_factory=list)

    def user(self) -> str | None:
        return f"again: {self.refused}" if self.refused else ("first" if self.free else None)

    def judge(self, answer: str, number: int) -> Judged:
        self.judged.append((answer, number))
        self.refused = "" if answer == self.keep else f"{answer} failed"
        return Judged(not self.refused, "accepted" if not self.refused else "refused", 1.5)


def _loop(
    writer: Words, answers: list[str], *, budget: str | None = None
) -> tuple[Stop | None, list[str], list[str]]:
    """The loop's stop, the prompts it asked with, and its progress lines."""
    asked: list[str] = []
    said: list[str] = []

    def ask(system: str, user: str) -> str:
        asked.append(user)
        if not answers:
            raise ModelError("no answer")
        return answers.pop(0)

    stop = attempt(writer, "file 1 of 1", ask=ask, refuses=lambda tokens: budget,
                   counter=COUNTER, attempts=3, report=said.append)  # fmt: skip
    return stop, asked, said


def test_a_refused_answer_is_asked_again_with_why_and_the_kept_one_ends_the_piece() -> None:
    writer = Words(keep="b")
    stop, asked, said = _loop(writer, ["a", "b", "c"])
    assert stop is None and asked == ["first", "again: a failed"]
    assert writer.judged == [("a", 1), ("b", 2)]
    assert said == ["file 1 of 1, attempt 1: refused (1.5s)", "file 1 of 1, attempt 2: accepted (1.5s)"]


def test_the_budget_stops_before_the_call_and_a_failed_model_after_it() -> None:
    stop, asked, _ = _loop(Words(keep="b"), ["b"], budget="the token budget was reached")
    assert (stop, asked) == (Stop("the token budget was reached",
                                  "not tried: the token budget was reached"), [])  # fmt: skip
    stop, asked, _ = _loop(Words(keep="b"), ["a"])
    assert stop == Stop("the model failed (no answer)", "stopped: the model failed (no answer)")
    assert asked == ["first", "again: a failed"]


def test_a_piece_with_no_free_file_is_never_asked_and_three_refusals_end_it() -> None:
    assert _loop(Words(keep="b", free=False), ["b"])[:2] == (None, [])
    writer = Words(keep="z")
    assert _loop(writer, ["a", "b", "c", "z"])[0] is None and [n for _, n in writer.judged] == [1, 2, 3]
