"""gen-tests' collect step: what the change misses, measured in the sandbox.

collect finds the changed Python files (or ``source``) and runs the project's test command under
coverage.py with branch coverage in a sandbox, once, at head: the baseline every candidate is
judged against (the analyse step, :mod:`.analyse`, turns its gaps into segments). It only reads
(git, the checkout through ``checkout_files``, the sandbox's runs).

:func:`run_suite` is that run of the user's own suite, whole, under coverage (twice, to tell
flaky tests), and the run the ask step measures the accepted tests with; :func:`cannot_run`
tells a suite that failed from a test command that never got to run its tests (a usage
error, exit 2, rather than coverage that says nothing).
"""

from __future__ import annotations

import os
import random
import re
import shlex
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.markdown import code_span
from cicd_agent.analysis.file_names import escaped, name_span
from cicd_agent.job.context import RunContext
from cicd_agent.local.checkout import GitCheckout, check_out_head
from cicd_agent.local.checkout_files import is_file
from cicd_agent.local.gitrepo import is_null_sha
from cicd_agent.local.job_tools import Refused, job_tool
from cicd_agent.modes.gen_tests import runner_gaps
from cicd_agent.modes.gen_tests.arguments import DEFAULT_PR_TEST_RUNS, SUITE_TIMEOUT
from cicd_agent.modes.gen_tests.conditions import varied
from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter, CoverageReport, never_imported
from cicd_agent.modes.gen_tests.gate import PLUGIN
from cicd_agent.modes.gen_tests.not_run import not_run_reason
from cicd_agent.modes.gen_tests.options import GenTestsOptions
from cicd_agent.modes.gen_tests.rerun_counts import ReliableTests
from cicd_agent.modes.gen_tests.reruns import TestRuns
from cicd_agent.modes.gen_tests.suite import FAILED, ProjectCommand, SuiteBaseline
from cicd_agent.modes.gen_tests.targets import changed_targets, source_targets
from cicd_agent.modes.gen_tests.types import GenTestsFacts
from cicd_agent.runners.sandboxes import PYTEST_SESSION_SANDBOX, opened
from cicd_agent.runners.sessions import Evidence
from cicd_agent.runners.sessions import SessionSandbox as Sandbox
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox.run import RunResult
from cicd_agent.sandbox.workspace import installed_folders, remove_tree

PR_TESTS_BUDGET = 300.0
"""Seconds for all the runs of the tests a pull request adds or changes, however many."""


def collect(
    ctx: RunContext[GenTestsOptions], resources: ExitStack
) -> tuple[GenTestsFacts, Sandbox | None]:
    """The targets and, when there are any, the baseline runs; with them the sandbox they ran
    in, where the ask step judges candidates (None: nothing ran). The sandbox joins
    ``resources`` (the run closes it when it ends, however it ends)."""
    repo = ctx.options.repo_dir.resolve()
    options = ctx.mode_options
    base, head = _refs(ctx, options)
    if options.sources is not None:
        targets = source_targets(repo, list(options.sources))
    elif base:
        _refuse_another_commit(ctx.checkout, head, ctx.has_event)
        targets = changed_targets(ctx.checkout, base, head or "HEAD")
    else:
        raise UsageError(
            "gen-tests needs the change to cover: --base/--head, a pull_request, push or "
            "merge_group event, or --source.",
            hint="Run it on pull_request, or pass `base`/`head` or `source`.",
        )
    if options.whole_files:
        targets = replace(targets, files=dict.fromkeys(targets.files))
    targets = targets.only(ctx.repo_config.paths.selects)
    # Proof labels the tests the model writes: with no model there are none, and GitHub is not
    # asked about a pull request's author (as the run's ``code_is_proof`` would).
    asks = not ctx.has_event or ctx.event.pull_request is None or ctx.model is not None
    proof = asks and ctx.code_is_proof
    facts = GenTestsFacts(repo, options, targets, _patch_path(ctx, options), code_is_proof=proof)
    if targets.files:  # a Go or JavaScript change says its own runner's count below
        ctx.progress.say(f"{len(targets.files)} Python file(s) to cover")
    if names := targets.unsafe_names:  # escaped: their names are the pull request's
        shown = ", ".join(code_span(escaped(name)) for name in names[:10])
        more = f" and {len(names) - 10} more" if len(names) > 10 else ""
        facts.warnings.append(
            f"Left out {len(names)} file(s) whose names hold control characters (a newline in "
            f"a name would become lines of coverage's configuration and of prompts): {shown}"
            f"{more}. Rename them to cover them."
        )
    rerun = bool(targets.tests) and options.command.is_pytest
    others, clauses = (
        runner_gaps.changes(
            ctx.checkout, base, head or "HEAD", ctx.environ, say_unconfigured=not targets.files
        )
        if base and options.sources is None
        else ([], [])
    )
    facts.warnings.extend(f"Files of the change were not measured: {clause}." for clause in clauses)
    if options.command_given and not options.command.is_pytest and others:
        runners = ", ".join(dict.fromkeys(change.runner.name for change in others))
        ctx.note(
            f"test-command ({code_span(shlex.join(options.command.suite))}) was not used "
            f"for {runners}: it runs the Python files' tests under coverage.py; each other "
            "runner's tests run as gen-tests runs them."
        )
    if not rerun and not targets.files and not runner_gaps.any_work(others):
        return facts, None
    if rerun or targets.files:  # pytest runs: from where?
        _refuse_the_pull_requests_python(options.command, repo, ctx.environ)
    facts, sandbox = _open(ctx, facts, resources)
    if rerun:
        facts = _rerun_pr_tests(ctx, facts, sandbox)
    if runner_gaps.any_work(others):
        facts = _other_runners(ctx, facts, sandbox, others)
    if targets.files:
        facts = _measure(ctx, facts, CoverageMeter(sandbox, targets.paths))
    return facts, sandbox


def _refuse_another_commit(checkout: GitCheckout, head: str | None, workflow: bool) -> None:
    """Coverage is measured on the checkout's files: on another commit than ``head`` it is that
    commit's, and the answer for the change would be wrong."""
    if head and not checkout.at(head):
        raise UsageError(
            f"gen-tests measures the checkout's files, and the checkout{checkout.holding(head)} "
            f"is not the head {head[:12]}: the coverage would be another commit's.",
            hint=check_out_head(head, workflow, commit="the head", mode="gen-tests") + ".",
        )


def _refuse_the_pull_requests_python(
    command: ProjectCommand, repo: Path, environ: Mapping[str, str]
) -> None:
    """A usage error when the test command starts its python or pytest from a virtualenv the
    repository commits (a file of it in the index; ``environ``'s ``PATH`` finds a bare name):
    its pytest is the pull request's, so the in-run check refuses every rerun and every candidate's
    check after the suite has run. A virtualenv the job installed in the checkout (``uv
    sync``'s ``.venv``, untracked) is the job's and runs. A bare name ``PATH`` finds as a file
    the pull request commits (a ``bin/python`` of the checkout on the job's ``PATH``) is refused
    too: it would be the suite's interpreter. Said before anything runs."""
    for program in dict.fromkeys((command.suite[0], command.pytest[0])):
        found = job_tool(program, repo, environ)
        if isinstance(found, Refused) and "/" not in program:
            raise UsageError(
                f"the test command's `{program}` is found on PATH in the checkout: {found.reason}.",
                hint="Put the job's own install first on PATH, or name its python by its path "
                "in test-command.",
            )
        where = Path(os.path.abspath(found)) if isinstance(found, str) else None
        if where is None or not where.is_relative_to(repo) or where == repo:
            continue
        top = where.relative_to(repo).parts[0]
        if is_file(repo, f"{top}/pyvenv.cfg") and not installed_folders(repo, [top]):
            raise UsageError(
                f"the test command runs `{program}` from `{top}`, a virtualenv the repository "
                "commits (or git cannot say it does not): its pytest is the pull request's, so "
                "no rerun or generated test could be checked.",
                hint=f"Install it in an earlier step, untracked (`{top}` in .gitignore), or "
                "outside the checkout, and name its python in test-command.",
            )


def _other_runners(
    ctx: RunContext[GenTestsOptions],
    facts: GenTestsFacts,
    sandbox: Sandbox,
    others: list[runner_gaps.RunnerChange],
) -> GenTestsFacts:
    """``facts`` with each other runner's coverage of the change and reruns of its tests."""
    found = []
    for change in others:
        ctx.progress.say(
            f"{change.runner.name}: {len(change.sources)} changed file(s) to "
            f"measure, {len(change.tests)} test file(s) to run again"
        )
        seed = random.randrange(1, 2**31)  # noqa: S311 - a recorded order seed, not a secret
        gaps = runner_gaps.measure(
            change,
            sandbox,
            suite_timeout=SUITE_TIMEOUT,
            timeout=facts.options.test_timeout,
            budget=PR_TESTS_BUDGET,
            seed=seed,
            rounds=facts.options.pr_test_runs,
            say=ctx.progress.say,
        )
        if gaps.suite is not None and gaps.suite.problem:  # no result: it did not run as a suite
            ctx.tool(change.runner.name, not_run_reason(gaps.problem))
            found.append(gaps)
            continue
        ctx.tool(change.runner.name)
        if gaps.clause:  # cargo without cargo-llvm-cov: said in Tools too, never a figure
            ctx.tool(f"{change.runner.name} coverage", not_run_reason(gaps.clause))
        elif gaps.could_not_run:  # a suite that wrote no report (or no map): no figure either
            ctx.tool(f"{change.runner.name} coverage", not_run_reason(gaps.problem))
        found.append(gaps)
    return replace(facts, runner_gaps=tuple(found))


def _open(
    ctx: RunContext[GenTestsOptions], facts: GenTestsFacts, resources: ExitStack
) -> tuple[GenTestsFacts, Sandbox]:
    """The sandbox opened, and ``facts`` with how it confines (a warning when it cannot)."""
    sandbox = resources.enter_context(
        opened(ctx, facts.repo, PYTEST_SESSION_SANDBOX, secret_names=facts.options.secret_names)
    )
    isolation = sandbox.isolation
    if not isolation.sandboxed:
        facts.warnings.append(
            f"No sandbox: bubblewrap cannot run on this runner ({isolation.detail}). "
            + (
                "Model-written tests run anyway, with only a scrubbed environment and "
                "resource limits, because allow-unsandboxed is set."
                if facts.options.allow_unsandboxed
                else "No model-written code is run; the README's Security section says "
                "what the runner must allow (or set allow-unsandboxed: true)."
            )
        )
    return replace(facts, isolation=isolation, pristine=sandbox.pristine), sandbox


def _rerun_pr_tests(
    ctx: RunContext[GenTestsOptions], facts: GenTestsFacts, sandbox: Sandbox
) -> GenTestsFacts:
    """``facts`` with the change's own tests (by id, or whole files) run again and again by the
    verifier, within :data:`PR_TESTS_BUDGET`, each round under the hunt's next condition (in
    their files, shuffled, under load, another hash seed and zone, alone when their files
    outlast the budget): flaky tests caught before they merge. ``pr-test-runs`` sets
    how often (0: by each test's length). Only when the change adds a test does the hunt spend
    its budget: each round repeats the tests for its share. Tests it only edits have run in
    every build before: each runs once under each condition, alone (not its whole file), a
    round per condition (``pr-test-runs``, else :data:`DEFAULT_PR_TEST_RUNS`)."""
    files, adds = facts.targets.tests, facts.targets.adds_tests
    once = "" if adds else ", each once under each condition, alone (the change adds no test)"
    ctx.progress.say(f"running the {len(files)} test(s) the change adds or changes again{once}")
    pytest = (*facts.options.command.pytest, "-q", *PLUGIN)
    runs = TestRuns(sandbox, pytest, timeout=facts.options.test_timeout)
    rounds = facts.options.pr_test_runs or (0 if adds else DEFAULT_PR_TEST_RUNS)
    claim = ReliableTests(files, rounds, PR_TESTS_BUDGET)
    schedule = varied()
    if not adds:  # each round's tests once, alone
        schedule = replace(
            schedule, conditions=tuple(c.alone() for c in schedule.conditions), repeats=1
        )
    found = runs.judge(claim, said=ctx.progress.say, schedule=schedule)
    return replace(facts, pr_tests=found)


def _refs(
    ctx: RunContext[GenTestsOptions], options: GenTestsOptions
) -> tuple[str | None, str | None]:
    base, head = options.base, options.head
    if (base and head) or not ctx.has_event:
        return base, head
    event = ctx.event
    if event.pull_request is not None:
        return base or event.pull_request.base.sha, head or event.pull_request.head.sha
    if event.push is not None:
        before = None if is_null_sha(event.push.before) else event.push.before
        return base or before, head or event.push.after
    if event.merge_group is not None:  # the queue's range: its base to the group's commit
        return base or event.merge_group.base_sha, head or event.merge_group.head_sha
    return base, head


def _patch_path(ctx: RunContext[GenTestsOptions], options: GenTestsOptions) -> Path:
    if options.patch_file is not None:
        return options.patch_file
    suffix = f"-{options.shard.index}" if options.shard else ""
    return ctx.temp_file(f"cicd-agent-gen-tests{suffix}.patch")


def _measure(
    ctx: RunContext[GenTestsOptions], facts: GenTestsFacts, meter: CoverageMeter
) -> GenTestsFacts:
    """``facts`` with the baseline measured by ``meter`` (in collect's sandbox)."""
    sandbox = meter.sandbox
    ctx.progress.say(
        f"running the test suite under coverage ({' '.join(facts.options.command.suite)}; "
        + ("sandboxed)" if sandbox.isolation.sandboxed else "not sandboxed)")
    )
    baseline, coverage, result = run_suite(
        meter,
        facts.options.command,
        timeout=SUITE_TIMEOUT,
        label="baseline",
        rerun=ctx.provider != "none",  # only candidates are judged against it
    )
    ctx.tool(shlex.join(facts.options.command.suite))  # one that could not run stopped above
    ctx.progress.say(f"the suite {result.describe()} in {baseline.seconds:.1f}s")
    if baseline.flaky:
        how = (
            "they passed on one of two runs of the suite without any generated test and not on "
            "the other"
        )
        ctx.note(flaky_note(ctx, sorted(baseline.flaky), how))
    # Another copy is what coverage shows only when tests did run: a suite that ran none
    # (or a runner that is not pytest and failed) says nothing about which copy it used.
    ran = baseline.tests_run
    tests_ran = bool(ran) if ran is not None else result.ok
    unimported = never_imported(coverage, facts.targets.paths) if tests_ran else []
    if unimported:
        facts.warnings.append(
            f"The test suite ran {f'{ran} test(s)' if ran else 'its tests'} but never "
            "imported "
            + ", ".join(name_span(path) for path in unimported)
            + " from this checkout: not one line ran, not even its imports, so the tests "
            "probably ran against another copy of the package (an installed release?). "
            "Install the checkout first (e.g. `pip install -e .`) or set test-command."
        )
    if not result.ok and not baseline.failed:  # the tests it names, the headline says once
        ctx.note(
            f"The test command {result.describe()} at head; the gate requires that tests "
            "which passed still pass."
        )
    return replace(facts, baseline=baseline, coverage=coverage, unimported=unimported)


def flaky_note(ctx: RunContext[GenTestsOptions], flaky: list[str], how: str, more: str = "") -> str:
    """The summary's word on existing tests found flaky (``how``: the runs that showed it)."""
    shown = ", ".join(code_span(escaped(ctx.redactor.redact(test))) for test in flaky[:5])
    rest = f" and {len(flaky) - 5} more" if len(flaky) > 5 else ""
    return (
        f"{len(flaky)} {more}existing test(s) are flaky: {how} ({shown}{rest}). They are not "
        "held against generated tests; fix them or mark them flaky."
    )


def run_suite(
    meter: CoverageMeter,
    command: ProjectCommand,
    *,
    timeout: float,
    label: str,
    rerun: bool = False,
) -> tuple[SuiteBaseline, CoverageReport, RunResult]:
    """Run the user's suite, as it stands in the pristine copy, under coverage; with ``rerun``
    (pytest only), once more in the same copy, as a candidate's suite stage runs after its
    earlier stages there: a test whose outcome differs between the two runs is flaky."""
    space = meter.sandbox.workspace(label)
    again: Evidence | None = None
    try:
        argv = list(command.suite)
        if command.is_pytest:
            argv += PLUGIN
        result, evidence, coverage = meter.measure(argv, space, timeout=timeout, suite=True)
        outcomes = evidence.outcomes if command.is_pytest else None
        if rerun and outcomes is not None and not cannot_run(command, result, evidence):
            second, second_evidence = meter.sandbox.session(argv, space, timeout=timeout)
            again = None if second.timed_out else second_evidence
    finally:
        remove_tree(space.root)
    problem = cannot_run(command, result, evidence)
    if problem:
        raise UsageError(
            f"the test command `{shlex.join(command.suite)}` could not run: {problem}",
            hint=(
                "The sandbox failed, not the project: check that bubblewrap runs on this runner "
                "(or report it to cicd-agent with this line)."
                if result.sandbox_failure
                else "Point test-command at your tests (e.g. `python -m pytest tests`)."
                if problem.startswith("no tests")
                else "Install the project and its test tools in an earlier step (e.g. "
                "`pip install -e . pytest`), or set test-command to a command that runs them."
            ),
        )
    passed = outcomes.passed() if outcomes is not None else None
    ran = len(outcomes.tests) if outcomes is not None else None
    flaky: frozenset[str] = frozenset()
    if passed is not None and outcomes is not None and again is not None and again.outcomes:
        both = outcomes.tests.keys() & again.outcomes.tests.keys()
        flaky = frozenset((passed ^ again.outcomes.passed()) & both)
        passed -= flaky  # held against no candidate: it fails without one
    tests = outcomes.tests if outcomes is not None else {}
    failed = tuple(
        sorted(t for t, outcome in tests.items() if outcome in FAILED and t not in flaky)
    )
    baseline = SuiteBaseline(result.returncode, result.seconds, passed, ran, flaky, failed)
    return baseline, coverage, result


# The lines a command that never got to run its tests ends with: a missing module, a missing
# program (bwrap's ``execvp``, a shell's "not found"), pytest's own usage errors.
_CANNOT_RUN = re.compile(
    r"No module named [\w.'\"]+|execvp .+|command not found|: not found$|"
    r"^ERROR: (?:file or directory not found|usage)[^\n]*|^E?\s*ModuleNotFoundError: [^\n]+",
    re.M,
)


def cannot_run(command: ProjectCommand, result: RunResult, evidence: Evidence) -> str:
    """Why the suite never ran its tests, in the command's own words ("" when it did).

    A missing interpreter module (``No module named pytest``), a missing program, pytest's
    usage error, pytest collecting no test at all and a test module that cannot be imported
    (collection interrupted before any test ran) are a test command that cannot run:
    a usage error, not a suite whose coverage could say anything about the change."""
    if result.sandbox_failure:
        return f"the sandbox could not start it ({result.sandbox_failure})"
    if result.timed_out or result.killed_for or result.returncode == 0:
        return ""
    lines = [line.strip(" =") for line in result.output.splitlines() if line.strip(" =")]
    said = [m.group(0).strip() for line in lines if (m := _CANNOT_RUN.search(line))]
    outcomes = evidence.outcomes
    if command.is_pytest and outcomes is not None:
        # the driven runner ran a session: only its own words on running no test count
        return PYTEST.reports.never_ran(outcomes, lines, said)
    if result.returncode == 127 or (command.is_pytest and outcomes is None):
        return said[-1] if said else (lines[-1] if lines else f"exit {result.returncode}")
    # Another runner (make, tox, a script): only when its last words say it could not start.
    return said[-1] if said and lines and said[-1] in lines[-1] else ""
