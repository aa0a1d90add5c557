"""Which quarantine entry covers a failed test: the one rule test-step and analyse-failure share,
so an entry that excuses a test in one mode excuses it in the other.

An entry names a test as its runner prints it (pytest's ``tests/test_a.py::test_b``, go's
``package.TestName``) and is compared as written. A bare go name (``TestName``) covers nothing:
a run can always add a test of that name in another package, and neither mode can see every
package's tests (a log names only the failures), so the bare name could excuse a test nobody
quarantined. An entry that covers no test the run saw is said, naming the run's spelling of a
test it nearly names, so the fix is a paste.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Protocol, TypeVar

from cicd_agent.actions.markdown import code_span
from cicd_agent.analysis.history import canonical_test

MAX_NAMED = 5
"""Entries the line on entries that cover nothing names (the rest are counted)."""


class Entry(Protocol):
    """A quarantine entry as the settings file gives it (``job.repo_config.QuarantineEntry``)."""

    @property
    def test(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def expires(self) -> date: ...


E = TypeVar("E", bound=Entry)


def covering(
    test: str,
    own: str,
    entries: Sequence[E],
    *,
    shared: tuple[str, ...] = (),
    parents: tuple[str, ...] = (),
) -> tuple[E | None, bool, str]:
    """The entry that covers ``test`` (canonical; ``own``: its runner's id), whether it covers
    it as one of the ``parents`` it runs within (as its runner names them), and, when an entry
    names it only by its canonical spelling and that cannot be trusted, why it is not excused
    (one line; "" otherwise). An entry covers it when it names the test as its runner does;
    where the runner gives only a canonical name (JUnit's ``classname.name``, no file), when
    the canonical names meet and no other test of the run bears that name (``shared``: the
    runner's ids that all bear it, or the one id its runner could not tie to one test; an
    entry excuses neither). Else, when no other test bears its canonical name, the nearest
    parent an entry names as written."""
    alike = [e for e in entries if canonical_test(e.test) == test]
    exact = canonical_test(own) != own
    own_entry = next(
        (e for e in alike if not shared and (e.test.strip() == own or not exact)), None
    )
    if own_entry is not None:
        return own_entry, False, ""
    parent = (
        None
        if shared
        else next((e for p in reversed(parents) for e in entries if e.test.strip() == p), None)
    )
    if parent is not None:
        return parent, True, ""
    if not alike:
        return None, False, ""
    lead = f"`{own}` is not excused by the quarantine entry `{alike[0].test}`: "
    if len(shared) == 1:
        return (
            None,
            False,
            (
                f"{lead}the run's report gives that id to more than one test, or "
                "to a test written in another file than the one it names, so the "
                "entry cannot tell which test it names."
            ),
        )
    if shared:
        others = ", ".join(f"`{name}`" for name in shared)
        return (
            None,
            False,
            (
                f"{lead}the tests {others} share its canonical name `{test}`, so "
                "the entry cannot tell which it names."
            ),
        )
    return (
        None,
        False,
        (
            f"{lead}the entry names it only by its canonical spelling `{test}`; an "
            "entry excuses a test named as its runner names it."
        ),
    )


def names_none(
    entries: Sequence[Entry], seen: Collection[str], *, what: str, within: Collection[str] = ()
) -> str:
    """One line naming the ``entries`` that cover none of the tests ``seen`` (as their runner
    names them; ``what`` says which tests those are) nor a test they run ``within``, each with
    the run's name of a test it names without its package or file; "" when every entry covers
    one."""
    canon = {canonical_test(name) for name in seen}
    idle = [
        e.test.strip()
        for e in entries
        if e.test.strip() not in seen
        and e.test.strip() not in within
        and canonical_test(e.test) not in canon
    ]
    if not idle:
        return ""
    said = [_with_near(name, seen) for name in idle[:MAX_NAMED]]
    more = f" and {len(idle) - MAX_NAMED} more" if len(idle) > MAX_NAMED else ""
    return (
        f"Quarantine entries that name none of {what}, so they excuse nothing: "
        f"{', '.join(said)}{more}. An entry names a test as its runner prints it "
        "(go's `package.TestName`, pytest's `file::test`)."
    )


def _with_near(name: str, seen: Collection[str]) -> str:
    """``name`` in code, with the one test ``seen`` whose id ends in it after a package or file."""
    tails = tuple(f"{join}{name}" for join in (".", "::", " › "))
    near = sorted(test for test in seen if test.endswith(tails))
    shown = code_span(name, 200)
    return f"{shown} (this run names {code_span(near[0], 200)})" if len(near) == 1 else shown
