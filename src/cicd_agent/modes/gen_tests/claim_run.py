"""A possible bug's claim, run by us on the head.

:mod:`.contract_check` reads what a failing candidate claims (the call it checks and the value
it expects) from the candidate's text and its runner's report. That is the candidate's word: a
test that fails whatever the code does (it shadows the function it names, or prints the message
a real failure would) named a true contract as broken. So the claim is run once more, by us: the
call alone, in a fresh copy of the head without the candidate, in a test module we write. The
possible bug stands only where that run passes, that is where the head's call does not give the
contract's value.

We write that module from the claim, never the candidate's code: only a plain call (a name the
candidate imported at its top, or an attribute of one) with literal arguments, compared with a
literal value. Anything else cannot be run alone and is no possible bug. The head's code runs in
the sandbox as every candidate's run does.

:func:`possible_bug` is the whole check for the Python gate (:mod:`.gate`): the candidate's
failing assertion, again in a fresh process, the contracts that state it, and our run of each
claim.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cicd_agent.local.checkout_files import create_file
from cicd_agent.modes.gen_tests.contract_check import (
    NO_CONTRACT,
    Claim,
    Contract,
    claims,
    find,
    names_in,
)
from cicd_agent.modes.gen_tests.python_imports import module_name
from cicd_agent.modes.gen_tests.reruns import TestRuns
from cicd_agent.modes.gen_tests.segments import Segment
from cicd_agent.runners.sessions import Evidence
from cicd_agent.sandbox.run import RunResult
from cicd_agent.sandbox.workspace import Workspace, remove_tree

NOT_CONFIRMED = (
    "fails; the call it claims, run by us alone on the head, does not break the contract"
)
"""The label of a failing candidate whose claim our own run does not bear out (or that cannot be
run alone): dropped, and never called a bug."""
TEST_NAME = "test_claim"
BUG_CHARS = 600
"""The most of a possible bug's failing assertion kept (its last characters)."""
_ASSERTION = re.compile(r"^E\s+((?:AssertionError\b|assert\s).*)$", re.MULTILINE)
"""pytest's line for a failed assertion (``E   assert 10 == 11``), not for another error."""


class Trial(Protocol):
    """What the check reads of the gate's candidate under evaluation (its ``_Trial``, named by
    shape: the gate imports this module); ``runs`` counts every run it starts."""

    source: str
    segment: Segment
    test_path: str
    existing: Sequence[str]
    space: Workspace
    runs: int


@dataclass(frozen=True)
class PossibleBug:
    """What a candidate that failed alone may show. ``assertion``: the failing assertion, failed
    on again in a fresh process ("" otherwise: an error, a pass, another assertion);
    ``contracts``: where the head's docstrings, docs or sibling tests of the segment's file
    state a claim of it that our own run breaks; ``unconfirmed``: a contract states a claim,
    but our run of its call does not break it."""

    assertion: str = ""
    contracts: tuple[Contract, ...] = ()
    unconfirmed: bool = False

    def label(self, reason: str) -> tuple[str, str]:
        """The verdict's reason and possible bug: an assertion with no contract our run bears
        out is none, and the reason says why."""
        if self.assertion and not self.contracts:
            return f"{NOT_CONFIRMED if self.unconfirmed else NO_CONTRACT}: {reason}", ""
        return reason, self.assertion


NO_BUG = PossibleBug()
"""No possible bug: the candidate's failure shows nothing of the code."""


def possible_bug(
    runs: TestRuns,
    trial: Trial,
    output: str,
    judge: Callable[[RunResult, Evidence], tuple[str, str] | None],
) -> PossibleBug:
    """What the candidate, which ran the segment's missing lines and failed alone with
    ``output``, shows: it runs once more in its copy (``judge`` says why that run does not pass,
    None where it does), and each claim a contract states runs alone in a fresh copy
    (:func:`_breaks`)."""
    first = _ASSERTION.findall(output)
    if not first:
        return NO_BUG
    trial.runs += 1
    result, evidence = runs.once(trial.space, [trial.test_path])
    if judge(result, evidence) is None or _ASSERTION.findall(result.output) != first:
        return NO_BUG
    assertion = "\n".join(first).strip()
    assertion = assertion if len(assertion) <= BUG_CHARS else "…" + assertion[-BUG_CHARS:]
    checkout, path = runs.sandbox.checkout, trial.segment.path
    found = claims(output, trial.test_path, trial.source, names_in(checkout, (path,)))
    if not find(checkout, found, (path,), trial.existing):
        return PossibleBug(assertion)
    broken = [claim for claim in found if _breaks(runs, trial, claim)]
    return PossibleBug(assertion, find(checkout, broken, (path,), trial.existing), not broken)


def _breaks(runs: TestRuns, trial: Trial, claim: Claim) -> bool:
    """Whether the head breaks ``claim`` when we run its call alone, in a fresh copy without
    the candidate: the claim rests on our run, not on the candidate's words."""
    segment = trial.segment
    module = python_module(claim, trial.source, module_name(segment.path), segment.qualname)
    if module is None:
        return False
    space = runs.sandbox.workspace("claim")
    try:
        create_file(space.repo, trial.test_path, module)
        trial.runs += 1
        result, evidence = runs.once(space, [trial.test_path])
    finally:
        remove_tree(space.root)
    return (
        not result.timed_out
        and not evidence.problem
        and held(evidence.outcomes.tests if evidence.outcomes else None, trial.test_path)
    )


def python_module(claim: Claim, candidate: str, module: str, qualname: str) -> str | None:
    """The pytest module that passes only where the head's call of ``claim`` (as the candidate
    wrote it) does not give its literal value, with the ``candidate``'s top-level import that
    binds the call's name; None where the claim is no plain call with literal arguments of a
    name imported from the changed code: ``module`` (dotted), or a package above it that
    re-exports the changed ``qualname``'s first name (``from semver import Version``). A name of
    another module (``from shlex import quote`` for the code's ``quote``, a legacy twin's
    ``coupon_value``) is no claim on the code."""
    try:
        call = ast.parse(claim.written, mode="eval").body
        value = ast.literal_eval(claim.written_value)
        tree = ast.parse(candidate)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(call, ast.Call) or not _literal_arguments(call):
        return None
    root = _root(call.func)
    imports, target = _imports(tree).get(root or "", ("", ""))
    if not imports or not _of_code(target + _attributes(call.func), module, qualname):
        return None
    try:  # an int of over 4,300 digits (``0xfff…``) parses, but has no decimal text
        check = f"{ast.unparse(call)} != {value!r}"
    except ValueError:
        return None
    return f"{imports}\n\n\ndef {TEST_NAME}():\n    assert {check}\n"


def _of_code(callee: str, module: str, qualname: str) -> bool:
    """Whether the dotted ``callee`` is a name of ``module`` or of a package above it under the
    changed ``qualname``'s first name (a re-export of the changed code)."""
    if callee.startswith(module + "."):
        return True
    parts, first = module.split("."), qualname.split(".", maxsplit=1)[0]
    return any(
        callee.startswith(".".join(parts[:size]) + f".{first}.")
        or callee == ".".join(parts[:size]) + f".{first}"
        for size in range(1, len(parts))
    )


def held(outcomes: Mapping[str, str] | None, test_path: str) -> bool:
    """Whether our module's one test passed (:func:`python_module`): the head breaks the claim."""
    return outcomes is not None and outcomes.get(f"{test_path}::{TEST_NAME}") == "passed"


def _literal_arguments(call: ast.Call) -> bool:
    values = [*call.args, *(keyword.value for keyword in call.keywords)]
    if any(isinstance(arg, ast.Starred) for arg in call.args) or any(
        keyword.arg is None for keyword in call.keywords
    ):
        return False
    for node in values:
        try:
            ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
    return True


def _root(func: ast.expr) -> str | None:
    """The name a callee starts from (``humps`` of ``humps.camelize``); None unless the callee
    is a name or a chain of attributes of one."""
    while isinstance(func, ast.Attribute):
        func = func.value
    return func.id if isinstance(func, ast.Name) else None


def _attributes(func: ast.expr) -> str:
    """The attribute chain after a callee's root name (``.camelize`` of ``humps.camelize``)."""
    chain = ""
    while isinstance(func, ast.Attribute):
        chain, func = f".{func.attr}{chain}", func.value
    return chain


def _imports(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Each name the module's top-level absolute imports bind, with the import that binds it and
    the dotted name it binds (``value`` of ``from shop.pricing import coupon_value as value``:
    ``shop.pricing.coupon_value``)."""
    bound: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                target = alias.name if alias.asname else name
                bound[name] = (ast.unparse(ast.Import(names=[alias])), target)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                if alias.name != "*":
                    bound[alias.asname or alias.name] = (
                        ast.unparse(ast.ImportFrom(module=node.module, names=[alias], level=0)),
                        f"{node.module}.{alias.name}",
                    )
    return bound
