"""What both runner gates (:mod:`.runner_gate`, and :mod:`.mutant_gate`) do to a
candidate test file: each run of it alone in a fresh sandbox copy, read from the runner's
report and refused where the run changed a file outside the candidate's folder; its run
against mutants of the changed lines it ran (the ``depends`` stage); and the checks of its
path every runner shares (a path in the repository, no name the checkout holds under another
case or Unicode form).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cicd_agent.analysis.file_names import folded, has_control_characters
from cicd_agent.local.checkout_files import CheckoutFileError, checked_path, create_file, read_bytes
from cicd_agent.modes.gen_tests.contract_check import Contract
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.runners.base import PASSED, Selection, TestReport
from cicd_agent.sandbox.run import Sandbox
from cicd_agent.sandbox.workspace import TOOL_CACHES, remove_tree
from cicd_agent.verify import mutants, mutation

RERUNS = 2
MAX_CANDIDATE_CHARS = 60_000
MAX_FILES = 50_000
"""Entries of a copy compared before and after a run; a copy holding more is not judged."""
Snapshot = dict[str, tuple[int, int, int]]

REPEATS = 20
"""Runs of the repeat stage, in one process, in every gate (Python's :mod:`.gate` and the
runner gates). A candidate failing a run with chance p survives them with (1-p)**20: a coin
(p = 0.5) 1 in 1,048,576, a 10% flake 12%. With the runs before the stage (in Python's gate its
pass, its same-copy run, :data:`~.gate.RERUNS` reruns and a shuffled run: 8; in a runner gate
its pass, its same-copy run and :data:`RERUNS` reruns: 4), a coin gets through 1 in 268 million
and 1 in 16.8 million, a 10% flake 5.2% and 8.0% of the time (1 in 256 and 43%, 1 in 16 and
66% without the stage)."""

AGAIN_HERE = "fails when run again where it ran before: it depends on what an earlier run left"
"""Why a candidate that passed its first run fails its second in the same copy (the
``same_copy`` stage of every gate): the copy, its ``HOME`` and ``TMPDIR`` held what the first
left (a mark file, a cache), as a developer's checkout does when the test runs twice. Each of
the other reruns is in a fresh copy (or, repeated, one process of a runner that keeps no file
between tests in memory only), so none of them shows it (set 4's cron-parser)."""


def repeat_failed(how: str | None, why: str) -> str:
    """Why a candidate failed the repeat stage in any gate, run as ``how`` says (its runner's
    :attr:`~cicd_agent.runners.protocol.Repeats.repeats`): a failure there is chance or
    state an earlier repetition left (a cache, a counter), and the reason says both, since one
    run cannot tell them apart."""
    return (
        f"fails 1 or more of {REPEATS} repeated runs in one process ({how}): flaky, or it "
        f"depends on what an earlier run left: {why}"
    )


@dataclass(frozen=True)
class Candidate:
    """A test file the model proposes: its path in the repository and its text."""

    path: str
    text: str


@dataclass(frozen=True)
class RunnerVerdict:
    """The gate's word on one candidate: ``stage`` is the first it failed ("" when kept),
    ``reason`` why; ``covered``: the uncovered changed lines its run alone executed;
    ``possible_bug``: the failing assertion it repeated (a finding, never a kept test);
    ``seeds``: the shuffle seeds of its reruns, as run."""

    path: str
    stage: str
    reason: str = ""
    covered: Mapping[str, frozenset[int]] = field(default_factory=dict)
    possible_bug: str = ""
    seeds: tuple[int, ...] = ()
    runs: int = 0
    """Runs of the runner it took (0: refused before any)."""
    contracts: tuple[Contract, ...] = ()
    """Where the head's contract states what a possible bug asserted (:mod:`.contract_check`;
    never empty for one): decide names one, the first the change did not write."""

    @property
    def kept(self) -> bool:
        return not self.stage


class CandidateCopy:
    """One fresh sandbox copy holding the candidate, for runs that share it: the copy, its
    ``HOME`` and ``TMPDIR`` keep what each run left. Each run's word is its own: the report
    comes through that run's evidence pipe with its own in-run check, and coverage and report files
    go to new scratch names, so no run reads an earlier one's. A run is judged against the copy
    as it was before the first: what an earlier run left in the candidate's folder is its own."""

    def __init__(self, gaps: RunnerGaps, candidate: Candidate, sandbox: Sandbox) -> None:
        self.gaps, self.candidate, self.sandbox = gaps, candidate, sandbox
        self.space = sandbox.workspace("runner candidate")
        self.problem, self.before = "", Snapshot()
        try:
            create_file(self.space.repo, candidate.path, candidate.text)
        except (CheckoutFileError, OSError) as exc:
            self.problem = f"could not write the candidate ({exc})"
        else:
            self.before = _snapshot(self.space.repo)

    def __enter__(self) -> CandidateCopy:
        return self

    def __exit__(self, *_: object) -> None:
        remove_tree(self.space.root)

    def run(self, selection: Selection, timeout: float) -> tuple[TestReport | None, str]:
        """One run of the candidate here: its report and why it is no pass ("" when it is);
        None when nothing ran."""
        if self.problem:
            return None, self.problem
        gaps, space, path = self.gaps, self.space, self.candidate.path
        runner, before = gaps.change.runner, self.before
        report = runner.run(self.sandbox, space, selection, timeout=timeout)
        if report.problem:
            return report, f"{runner.name}'s report is no result: {report.problem[:300]}"
        after = _snapshot(space.repo)
        if path in after and _holds(
            space.repo, path, self.candidate.text
        ):  # cargo's check put it back
            after[path] = before.get(path, after[path])
        wrote = _outside(before, after, PurePosixPath(path).parent, gaps.change.repeats.builds)
        if wrote:
            return None, f"its run changed {wrote[:200]}, outside its own folder"
        mine = {
            test: outcome
            for test, outcome in report.outcomes.items()
            if test.split(" › ")[0] == path
        }
        if not mine:
            return report, f"{runner.name}'s report shows none of its tests"
        failed = sorted(test for test, outcome in mine.items() if outcome != PASSED)
        if failed:
            return report, f"{len(failed)} of its {len(mine)} tests did not pass: {failed[0][:200]}"
        suite = gaps.suite.passed() if gaps.suite is not None else frozenset()
        broken = sorted(test for test in suite if report.outcomes.get(test, PASSED) != PASSED)
        if broken:
            return report, f"with it, {broken[0][:200]} no longer passes"
        return report, ""

    def again(self, timeout: float) -> str:
        """The ``same_copy`` stage: the candidate alone once more here, after a run that
        passed. Why it is dropped ("" when it passed again): :data:`AGAIN_HERE`, with the run's
        word."""
        _, why = self.run(Selection((self.candidate.path,)), timeout)
        return f"{AGAIN_HERE}: {why}" if why else ""


def run_candidate(
    gaps: RunnerGaps, candidate: Candidate, sandbox: Sandbox, selection: Selection, timeout: float
) -> tuple[TestReport | None, str]:
    """One run of the candidate in a fresh copy (:meth:`CandidateCopy.run`), then the copy is
    gone."""
    with CandidateCopy(gaps, candidate, sandbox) as copy:
        return copy.run(selection, timeout)


def _holds(repo: Path, path: str, text: str) -> bool:
    """Whether the copy's ``path`` holds ``text`` as written (not through a link)."""
    try:
        return read_bytes(repo, path) == text.encode()
    except CheckoutFileError:
        return False


def _snapshot(repo: Path) -> Snapshot:
    """Each entry of the copy (not entering links) with its type, size and modification time;
    hidden folders included. A ``node_modules`` folder is the copy's links to the job's
    packages, which the sandbox puts back after every run, and the tools' caches
    (:data:`~cicd_agent.sandbox.workspace.TOOL_CACHES`) each copy gives its runs to write:
    those caches are left out, and the folder and its links count by their type alone (a
    cache added changes the folder's size and time; a link put back is a new link)."""
    found: Snapshot = {}
    for folder, dirs, files, _ in os.fwalk(repo, follow_symlinks=False):
        packages = os.path.basename(folder) == "node_modules"
        if packages:
            dirs[:] = [name for name in dirs if name not in TOOL_CACHES]
        for name in (*dirs, *files):
            full = os.path.join(folder, name)
            info = os.lstat(full)
            kind = stat.S_IFMT(info.st_mode)
            scratch = (name == "node_modules" and kind == stat.S_IFDIR) or (
                packages and kind == stat.S_IFLNK
            )
            found[os.path.relpath(full, repo)] = (
                (kind, 0, 0) if scratch else (kind, info.st_size, info.st_mtime_ns)
            )
            if len(found) > MAX_FILES:
                return found
    return found


def _outside(
    before: Snapshot, after: Snapshot, folder: PurePosixPath, built: tuple[str, ...] = ()
) -> str:
    """A file changed, added or removed between two snapshots outside ``folder``'s new files:
    a change inside ``folder`` to a file that was there before counts too ("" when none).
    ``built``: what the runner's build writes in the copy
    (:attr:`~cicd_agent.runners.protocol.Repeats.builds`), left out where the copy did not hold
    it before."""
    for name in sorted(before.keys() | after.keys()):
        if before.get(name) == after.get(name) or (
            PurePosixPath(name).parts[0] in built and PurePosixPath(name).parts[0] not in before
        ):
            continue
        entry = PurePosixPath(name)
        inside = entry == folder or folder in entry.parents
        if (name in before and before[name][0] != stat.S_IFDIR) or not inside:
            return name
    return ""


def repeated(
    gaps: RunnerGaps, candidate: Candidate, sandbox: Sandbox, timeout: float
) -> tuple[str, str, int]:
    """The repeat stage: the candidate alone, :data:`REPEATS` times in one run of the runner
    (one fresh copy, one start or build). Returns why it is dropped ("" when it passed every
    repetition), the label of a candidate its runner could not repeat ("" when it ran), and
    the runs it took (:func:`repeat_failed`)."""
    runner = gaps.change.runner
    if gaps.change.repeats.repeats is None:
        return "", f"not repeated: {runner.name} cannot run a test many times in one process", 0
    alone = Selection((candidate.path,), repeat=REPEATS)
    _, why = run_candidate(gaps, candidate, sandbox, alone, timeout)
    if why:
        return repeat_failed(gaps.change.repeats.repeats, why), "", 1
    return "", "", 1


def depends(
    gaps: RunnerGaps,
    candidate: Candidate,
    sandbox: Sandbox,
    gained: Mapping[str, frozenset[int]],
    timeout: float,
) -> mutants.Dependence:
    """Stage 6: the candidate alone, in a fresh copy, against mutants of the changed lines it
    ran (:mod:`~cicd_agent.verify.mutants`), one at a time within its timeout."""
    runner, path = gaps.change.runner, candidate.path

    def run(mutant: mutation.Mutant) -> mutants.MutantResult:
        # named as its other runs: a folder named "mutant" told a test it ran a mutant
        space = sandbox.workspace("runner candidate")
        try:
            create_file(space.repo, path, candidate.text)
            with mutants.mutated(space.repo, mutant):
                report = runner.run(sandbox, space, Selection((path,)), timeout=timeout)
        finally:
            remove_tree(space.root)
        return mutant_result(report, path)

    return mutants.check(mutation.of_lines(sandbox.pristine, gained), run)


def mutant_result(report: TestReport, path: str) -> mutants.MutantResult:
    """A mutant run's word on the candidate at ``path`` from its runner's ``report``: its own
    tests' outcomes and checks (:func:`mutants.outcome`); a report that is no result says
    nothing, unless it names one of them crashed (go's panic ends the binary before the
    in-run check): no kill either, so a crash."""
    crashed = [test for test in report.crashed if test.split(" › ")[0] == path]
    if report.problem:
        return (
            mutants.MutantResult(mutants.Outcome.CRASHED, crashed[0])
            if crashed
            else mutants.MutantResult(mutants.Outcome.NO_RESULT, report.problem[:300])
        )
    return mutants.outcome(
        {test: said for test, said in report.outcomes.items() if test.split(" › ")[0] == path},
        report.checks,
    )


def unfit(candidate: Candidate) -> str:
    """Why ``candidate``'s path or size is none a candidate may have ("" when fit)."""
    try:
        checked_path(candidate.path)
    except CheckoutFileError as exc:
        return f"not a path in the repository ({exc.problem})"
    if has_control_characters(candidate.path) or len(candidate.text) > MAX_CANDIDATE_CHARS:
        return "a file name with control characters, or a file too long"
    return ""


def twin(checkout: Path, path: PurePosixPath) -> bool:
    """Whether a part of ``path`` (reached without a link: :func:`lexists` said so) has a
    twin where case and Unicode form are ignored: the file beside another name that is this one
    (``Calc.test.js`` beside ``calc.test.js``), or a folder on the way beside another spelling of
    it (``Tests/`` beside ``tests/``). The kept test is delivered to checkouts on such
    file systems too, where either would write into the other."""
    here = checkout
    for index, part in enumerate(path.parts):
        try:
            names = os.listdir(here)
        except OSError:  # no such folder yet: nothing deeper exists
            return False
        last = index == len(path.parts) - 1
        if any(folded(name) == folded(part) and (last or name != part) for name in names):
            return True
        here = here / part
    return False
