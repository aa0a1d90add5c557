"""``go test`` in the job's test step: its run with ``-json``, the tests each run ended, and the
retry of the failed ones.

A test is named ``package.TestName`` and a subtest ``package.TestName/case/inner``, as go's
events name them. go marks a parent failed whenever one of its subtests fails, so the unit the
step retries and judges is the subtest: a parent whose failure only reflects its subtests' is
dropped from the run's outcomes, and one that printed a failure of its own (an indented
``x_test.go:12: ...`` line in its own output, the testing package's mark of ``t.Error``; a
``t.Log`` line reads the same, so it keeps the parent, never drops a failure) stays a failure
of its own. A retry runs each failed test's name at each level of its path
(``-run=^(TestA|TestB)$/^(case_1)$``): go matches every level on its own, so it may run a
sibling sharing a failed one's name, never fewer than the failed tests. A quarantine entry that
names a parent covers the subtests it runs (:func:`parents`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cicd_agent.runners.base import COUNT
from cicd_agent.runners.go.log import go_event

_TOP = re.compile(r"\.((?:Test|Fuzz|Example)[^./]*)(?=/|$)")
"""A test's top-level name in its step id, after its package (whose last part may hold dots,
``gopkg.in/yaml.v3``): the first such name that ends the id or a level of it."""
_ARGS = ("-args", "--args")
_COUNT = re.compile(r"^--?count(?:=|$)")
"""``go test``'s own count flag (``-count=3``, ``-count 3``)."""
CHECK = re.compile(rf"^\s+([\w.+-]+_test\.go):{COUNT}: (.*)")
"""The testing package's mark of a failing ``t.Error``/``t.Fatal``: the file, line and words."""


def levels(test: str) -> tuple[str, ...]:
    """The names of ``test``'s path (``pkg.TestX/a/b``: ``TestX``, ``a``, ``b``); () when the
    id names no go test."""
    found = _TOP.search(test)
    if found is None:
        return ()
    rest = test[found.end() :]
    return (found.group(1), *(rest.split("/")[1:] if rest else ()))


def parents(test: str) -> tuple[str, ...]:
    """The tests ``test`` runs within, outermost first (``pkg.TestX`` and ``pkg.TestX/a`` of
    ``pkg.TestX/a/b``)."""
    found = _TOP.search(test)
    if found is None:
        return ()
    names = levels(test)
    top = test[: found.end()]
    return tuple("/".join((top, *names[1:depth])) for depth in range(1, len(names)))


def command(runs: bool, words: Sequence[str], failed: Sequence[str] | None) -> list[str] | None:
    """The step's run of ``words`` (when it ``runs`` go's tests) with ``-json`` and, on a retry,
    ``-run`` naming each failed test at each level of its path; both go before ``-args``, whose
    rest is the test binary's own. ``-count=1`` too, unless the command sets a count: go replays
    a package's cached pass ("ok … (cached)") without running a test, and a replayed pass is no
    run of a flaky test, nor of its retry."""
    if not runs:
        return None
    paths = [names for test in failed or () if (names := levels(test))]
    depth = max((len(names) for names in paths), default=0)
    each = [dict.fromkeys(names[at] for names in paths if len(names) > at) for at in range(depth)]
    pattern = "/".join(f"^({'|'.join(re.escape(name) for name in names)})$" for names in each)
    again = [f"-run={pattern}"] if pattern else []
    cut = next((at for at, word in enumerate(words) if word in _ARGS), len(words))
    counted = any(_COUNT.match(word) for word in words[:cut])
    return [*words[:cut], "-json", *([] if counted else ["-count=1"]), *again, *words[cut:]]


def outcomes(output: str) -> dict[str, bool]:
    """Each test's id and whether every end of it passed (a pass printed after a failure, a test
    can write to the go command's own output, hides nothing), less each failed parent whose
    failure only reflects its failed subtests' (module doc)."""
    found: dict[str, bool] = {}
    own: set[str] = set()
    for line in output.splitlines():
        event = go_event(line)
        if not event or not event.get("Test"):
            continue
        test = f"{event.get('Package', '')}.{event['Test']}"
        if event.get("Action") in ("pass", "fail"):
            found[test] = found.get(test, True) and event["Action"] == "pass"
        elif event.get("Action") == "output" and CHECK.match(str(event.get("Output", ""))):
            own.add(test)
    failed = [test for test, passed in found.items() if not passed]
    within = {parent for test in failed for parent in parents(test)}
    return {test: passed for test, passed in found.items() if passed or test in own
            or test not in within}  # fmt: skip

