"""Each case's samples judged by its asserts, and the two sides paired case by case.

A sample passes when every assert passes, or, when the test sets a ``threshold``, when the
weighted share of its asserts that pass reaches it (promptfoo's rule). A case that cannot be
asked or judged on a side (an unsupported assert, a provider that is not a model, a request
that got no answer) fails every sample on that side and names why: a pull request cannot hide a
worse answer by making its case unjudgeable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from cicd_agent.modes.eval.cases import Case
from cicd_agent.modes.eval.checks import Check, judge


@dataclass(frozen=True)
class Outcome:
    """One side's samples of one case."""

    key: str
    where: tuple[str, int]
    passes: tuple[bool, ...]
    errors: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        return sum(self.passes) / len(self.passes) if self.passes else 0.0


Grader = Callable[[Check, str], "bool | str"]
Sampler = Callable[[Case], "Sequence[tuple[str, str]]"]
"""A case's samples as (answer, error) pairs."""


def sample_passes(case: Case, answer: str, grade: Grader) -> tuple[bool, str]:
    """Whether one answer passes the case, and the error that stopped a graded check."""
    results: list[tuple[bool, float]] = []
    for check in case.checks:
        if check.graded:
            graded = grade(check, answer)
            if isinstance(graded, str):
                return False, graded
            results.append((graded != check.negate, check.weight))
        else:
            results.append((judge(check, answer), check.weight))
    if case.threshold is None:
        return all(passed for passed, _ in results), ""
    total = sum(weight for _, weight in results)
    score = sum(weight for passed, weight in results if passed) / total if total else 1.0
    return score >= case.threshold, ""


def outcome(case: Case, repeats: int, sample: Sampler, grade: Grader) -> Outcome:
    if case.error or case.judge_error:
        return Outcome(case.key, case.where, (False,) * repeats, (case.error or case.judge_error,))
    passes: list[bool] = []
    errors: list[str] = []
    for answer, error in sample(case):
        if error:
            passes.append(False)
            errors.append(error)
            continue
        passed, problem = sample_passes(case, answer, grade)
        passes.append(passed)
        if problem:
            errors.append(problem)
    return Outcome(case.key, case.where, tuple(passes), tuple(dict.fromkeys(errors)))


@dataclass(frozen=True)
class Trusted:
    """The head's cases as they are judged, and those whose tests the head changed."""

    cases: list[Case]
    asserts: list[str]
    """Cases whose asserts the head changed: judged by the base's."""
    variables: list[str]
    """Cases whose variables the head changed: the head's prompt asked with the base's."""
    seeds: list[str]
    """Cases whose seed the head changed: asked with the base's (a seed chooses the draw)."""


def base_tests(base: Sequence[Case], head: Sequence[Case]) -> Trusted:
    """The head's cases, each asked with the base's variables and judged by the base's asserts
    where the base has the case. The base branch's config is trusted as its settings are: a
    pull request that weakens an assert (``contains: ""``), eases an input (the question
    changed under the same description) or picks a lucky seed does not pass by it; only its
    prompt and model are measured."""
    trusted = {case.key: case for case in base}
    judged = Trusted([], [], [], [])
    for given in head:
        was = trusted.get(given.key)
        case = given if was is None else given.asked_with(was.variables)
        if was is not None and was.variables != given.variables:
            judged.variables.append(given.key)
        if was is not None and was.seed != given.seed:
            judged.seeds.append(given.key)
            case = case.seeded(was.seed)
        if was is not None and (was.checks, was.threshold, was.judge_error) != (
            given.checks,
            given.threshold,
            given.judge_error,
        ):
            judged.asserts.append(given.key)
            case = replace(
                case, checks=was.checks, threshold=was.threshold, judge_error=was.judge_error
            )
        judged.cases.append(case)
    return judged


@dataclass(frozen=True)
class Pairs:
    both: tuple[tuple[Outcome, Outcome], ...]
    base_only: tuple[str, ...]
    head_only: tuple[str, ...]


def pair(base: Sequence[Outcome], head: Sequence[Outcome]) -> Pairs:
    """The cases both sides have, in the head's order, then each case of the base the head
    lacks, paired with a head that failed every sample: a pull request does not choose the
    cases it is judged by (one that broke cases and renamed or dropped them passed). Those of
    the head alone are listed, not counted."""
    by_key = {item.key: item for item in base}
    heads = {item.key for item in head}
    dropped = [item for item in base if item.key not in heads]
    failed = [
        Outcome(item.key, item.where, (False,) * max(1, len(item.passes)), (NOT_IN_HEAD,))
        for item in dropped
    ]
    return Pairs(
        (
            *((by_key[item.key], item) for item in head if item.key in by_key),
            *zip(dropped, failed, strict=True),
        ),
        tuple(item.key for item in dropped),
        tuple(item.key for item in head if item.key not in by_key),
    )


NOT_IN_HEAD = "not in the head: a case the pull request drops or renames counts as failing"
