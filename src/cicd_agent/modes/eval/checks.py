"""promptfoo's asserts: the deterministic ones judged here, the model-graded ones marked for the
trusted model, every other type an error for its case (never a case quietly dropped).

Every value comes from the config a pull request wrote, so each check runs in time linear in
the answer: a regex is matched by RE2 (no backtracking; a pattern RE2 cannot read is the case's
error), the edit distance is computed in a band as wide as its threshold, and JSON is looked for
at a bounded number of places. promptfoo's ``not-`` prefix negates any of them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import re2

from cicd_agent.modes.eval.template import render

LOCAL = (
    "equals",
    "contains",
    "icontains",
    "regex",
    "starts-with",
    "is-json",
    "contains-json",
    "levenshtein",
    "contains-any",
    "contains-all",
    "icontains-any",
    "icontains-all",
)
GRADED = ("llm-rubric", "model-graded-closedqa")
JSON_STARTS = 200
"""Places an answer is tried as the start of a JSON value (contains-json)."""
MAX_EDITS, MAX_EDITED = 50, 2_000
"""The largest levenshtein threshold and value judged: the work is their product (a real one
compares a short name or id, within a few edits)."""


@dataclass(frozen=True)
class Check:
    kind: str
    value: Any = None
    negate: bool = False
    threshold: float | None = None
    weight: float = 1.0

    @property
    def graded(self) -> bool:
        return self.kind in GRADED


def read_checks(
    asserts: Sequence[Any], variables: Mapping[str, Any]
) -> tuple[tuple[Check, ...], str]:
    """The checks of a test's asserts (``defaultTest``'s first), and the first error: a type
    that is not judged here, a value that is code or a file, a regex RE2 cannot read."""
    checks: list[Check] = []
    for item in asserts:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            return (), "an assert is not a mapping with a type"
        kind: str = item["type"]
        negate = kind.startswith("not-")
        kind = kind.removeprefix("not-")
        value = item.get("value")
        if kind not in LOCAL + GRADED:
            return (), f"the assert type {item['type'][:40]!r} is not supported by the eval mode"
        if isinstance(value, str) and value.startswith("file://"):
            return (), f"the {kind} assert's value is a file ({value[:60]!r}), which is not read"
        if isinstance(value, str):
            try:
                value = render(value, variables)
            except ValueError as why:
                return (), f"the {kind} assert's value: {why}"
        if kind in ("is-json", "contains-json") and value is not None:
            return (), f"the {kind} assert names a schema, which the eval mode does not check"
        threshold = finite(item.get("threshold"))
        if kind == "levenshtein" and (len(str(value)) > MAX_EDITED or (threshold or 5) > MAX_EDITS):
            return (), (
                f"the levenshtein assert compares over {MAX_EDITED:,} characters or "
                f"allows over {MAX_EDITS} edits, which the eval mode does not judge"
            )
        if kind == "regex":
            problem = regex_problem(value)
            if problem:
                return (), problem
        weight = finite(item.get("weight", 1))
        checks.append(Check(kind, value, negate, threshold, 1.0 if weight is None else weight))
    return tuple(checks), ""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = 16 << 20
    return options


def regex_problem(value: object) -> str:
    if not isinstance(value, str):
        return "the regex assert's value is not text"
    try:
        re2.compile(value, _options())
    except re2.error as why:
        return f"the regex {value[:60]!r} cannot be read by RE2 (linear time, no lookaround): {why}"
    return ""


def judge(check: Check, output: str) -> bool:
    """Whether ``output`` passes the deterministic ``check`` (never a graded one)."""
    return _judged(check, output) != check.negate


def _texts(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _judged(check: Check, output: str) -> bool:
    kind, value = check.kind, check.value
    if kind == "equals":
        if isinstance(value, dict | list):
            whole = decoded(output.strip(), 0)
            return whole is not None and whole[1] == len(output.strip()) and whole[0] == value
        return output == str(value)
    if kind in ("contains", "icontains"):
        return _has(output, str(value), kind.startswith("i"))
    if kind.endswith(("-any", "-all")):
        found = [_has(output, text, kind.startswith("i")) for text in _texts(value)]
        return any(found) if kind.endswith("-any") else all(found)
    if kind == "starts-with":
        return output.startswith(str(value))
    if kind == "regex":
        return re2.compile(str(value), _options()).search(output) is not None
    if kind == "is-json":
        return _json_at(output, 0, whole=True)
    if kind == "contains-json":
        starts = [i for i, c in enumerate(output) if c in "{["][:JSON_STARTS]
        return any(_json_at(output, start) for start in starts)
    if kind == "levenshtein":
        limit = int(check.threshold if check.threshold is not None else 5)
        return within_edits(output, str(value), limit)
    raise ValueError(f"{kind} is judged by the model")


def _has(output: str, text: str, folded: bool) -> bool:
    return text.casefold() in output.casefold() if folded else text in output


def decoded(text: str, start: int) -> tuple[Any, int] | None:
    """The JSON value at ``start`` of an answer and where it ends, or None when there is none:
    an answer is the model's, as the head's prompt asked it, and one nested past the reader's
    depth (60,000 ``[``) is no JSON either (the reader raised RecursionError)."""
    try:
        return json.JSONDecoder().raw_decode(text, start)
    except (ValueError, RecursionError):
        return None


def _json_at(output: str, start: int, *, whole: bool = False) -> bool:
    text = output.strip() if whole else output
    found = decoded(text, start)
    if found is None:
        return False
    value, end = found
    return (end == len(text) or not whole) and (whole or isinstance(value, dict | list))


def within_edits(first: str, second: str, limit: int) -> bool:
    """Whether the edit distance is at most ``limit``, in a band of ``limit`` either side of
    the diagonal: time grows with the length times the limit, never the length squared."""
    if abs(len(first) - len(second)) > limit:
        return False
    if limit < 0:
        return False
    far = limit + 1
    previous = {j: j for j in range(min(len(second), limit) + 1)}
    for i in range(1, len(first) + 1):
        current = {}
        for j in range(max(0, i - limit), min(len(second), i + limit) + 1):
            if j == 0:
                current[j] = i
                continue
            cost = 0 if first[i - 1] == second[j - 1] else 1
            current[j] = min(
                previous.get(j, far) + 1,
                current.get(j - 1, far) + 1,
                previous.get(j - 1, far) + cost,
            )
        if min(current.values(), default=far) > limit:
            return False
        previous = current
    return previous.get(len(second), far) <= limit


def finite(value: object) -> float | None:
    """A number the config gives, None for anything else (text, NaN, an infinity): a
    threshold of NaN passed every bound it was compared with."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
