"""The linters the repository configures, run on its changed files in the sandbox (review's
checkers, :mod:`cicd_agent.modes.review.checkers`); which tools run on which files is
:mod:`.lint_plan`'s.

The known tools' table (:data:`~cicd_agent.analysis.known_tools.TOOLS`) says for each linter
how review runs it (its ``checking`` form): the files that configure it, the files it checks, its
JSON report. A tool runs only in the sandbox, as the fix step runs it: its settings are the base
branch's (:func:`~.lint_plan.base_settings`), but the code it builds is the pull request's
(clippy runs its ``build.rs``). Each run is bounded in time
(:data:`LINT_TIMEOUT`) and output; the report comes back through the sandbox's evidence pipe and
is read as data (:mod:`cicd_agent.modes.review.lint.lint_reports`): only hits on added lines become
findings, with the tool's rule id, their text redacted and neutralised. Every tool says whether
it ran, or why it could not (``ctx.tool``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import neutralise
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.local.node_packages import installed
from cicd_agent.modes.review.lint.base_errors import BaseSide, only_new
from cicd_agent.modes.review.lint.build_errors import (
    BuildError,
    build_findings,
    changed_words,
    merged,
    taken_lines,
)
from cicd_agent.modes.review.lint.lint_command import LintCommand, run_lint
from cicd_agent.modes.review.lint.lint_plan import Planned, plan_linters
from cicd_agent.modes.review.lint.lint_reports import LintHit, lint_findings

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import Diff
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.review.options import ReviewOptions
    from cicd_agent.sandbox.run import Sandbox

LINT_TIMEOUT = 120.0
"""Seconds one linter may run over the changed files."""


def lint_changes(
    ctx: RunContext[ReviewOptions],
    repo: GitCheckout,
    diff: Diff,
    head: str,
    base: str,
    *,
    whole: Diff,
) -> tuple[list[Finding], tuple[LintCommand, ...]]:
    """Findings of the configured linters on the lines ``diff`` adds (``head``: its commit,
    ``base``: the one it is compared with), and the linters that ran (the suggestion check
    runs them again with each suggestion). ``whole``: every file the change touches, the
    ones the settings leave out of ``diff`` too: the base's copy must have each of them as
    the base has it, or a left-out file's change is in both sides and its errors look old."""
    checkout = ctx.options.repo_dir  # the head or a merge of it (collect refuses another)
    planned = plan_linters(ctx, repo, diff, (base, head), checkout, whole=whole)
    if not planned:
        return [], ()
    # The sandbox (about 12 ms of CPU to import): only a review with a linter to run pays for it.
    from cicd_agent.runners.sandboxes import isolation_of, opened
    from cicd_agent.sandbox.run import Sandbox
    from cicd_agent.sandbox.workspace import ignored_untracked

    isolation = isolation_of(ctx)
    if not isolation.sandboxed:
        for plan in planned:
            ctx.tool(plan.command.label, f"no sandbox on this runner ({isolation.detail})")
        return [], ()
    ctx.progress.say(f"running {', '.join(p.command.label for p in planned)} in the sandbox")
    added = {f.path: dict(f.added_lines()) for f in diff.files}
    changed = {f.path: changed_words(f) for f in diff.files}
    found: list[Finding] = []
    side = BaseSide(repo, base, whole)
    with opened(ctx, checkout, Sandbox, left_out=ignored_untracked(checkout)) as sandbox:
        for plan in planned:
            said = _run(ctx, sandbox, plan, added, changed, side=side)
            ran = not any(t.tool == plan.command.label and t.could_not_run for t in ctx.tools)
            if plan.reconfigured and ran:  # what it found, or its silence, is under the base's
                name = plan.command.label
                ctx.note(
                    f"This pull request changes {name}'s configuration: review ran {name} "
                    "with the base branch's settings, not the pull request's; the new "
                    "settings apply to pull requests after this one is merged."
                )
            found += said
    return merged(found), tuple(plan.command for plan in planned)


def _run(
    ctx: RunContext[ReviewOptions],
    sandbox: Sandbox,
    plan: Planned,
    added: dict[str, dict[int, str]],
    changed: dict[str, dict[int, frozenset[str]]],
    *,
    side: BaseSide,
) -> list[Finding]:
    def clean(text: str) -> str:  # the tool's words, as any untrusted text we post
        return neutralise(ctx.redactor.redact(text), allowed_links=ctx.own_links)

    name = plan.command.label
    # The judge's runners come with it (about 0.15 s of CPU): only a review that runs a
    # linter pays for them. Imported before the work space is made, so its removal is sure.
    from cicd_agent.sandbox.workspace import remove_tree

    space = sandbox.workspace(f"lint-{name}")
    try:
        lint = run_lint(sandbox, space, plan.command, plan.files, timeout=LINT_TIMEOUT)
    finally:
        remove_tree(space.root)
    run = lint.run
    if run is None:  # it did not start
        ctx.tool(name, lint.problem)
        return []
    if lint.silent:  # its output may say why: quoted, and what to do where we know
        if old := _too_old(plan, run.output, ctx.options.repo_dir):
            ctx.tool(name, old)
            return []
        said = error_line(run.output)
        why = f": {clean(said[:200])}" if said else ""
        crashed = _crashed(plan, run.output, ctx.options.repo_dir)
        ctx.tool(name, f"it wrote no report (it {run.describe()}{why}){crashed}")
        return []
    if lint.problem:
        ctx.tool(name, lint.problem)
        return []
    hits, stopped = list(lint.hits), lint.stopped  # read in part: what it found still counts
    # only the files planned: a crate's or a package's tool reports on others too, among them
    # a changed file left out as its text here is not the head's (its lines not the diff's)
    # a fix carrying a secret is never offered: the post would change it (posts_as_checked)
    lines = {path: set(added.get(path, {})) for path in plan.files}
    found = lint_findings(name, hits, lines, clean, _fixed_texts(ctx, hits))
    # an error that the code does not build lands on the changed line it depends on, in any
    # file: the change to a signature breaks its callers
    errors = [
        BuildError(h.path, h.line, h.code, h.message, h.related)
        for h in hits
        if h.compiles and h.path
    ]
    errors, said, checked = only_new(
        sandbox, plan.command, plan.files, side, errors, timeout=LINT_TIMEOUT
    )
    if said:
        ctx.note(clean(said))
    # an error no added line explains is the change's too (a definition deleted): proven new,
    # or the base check failed, which the pull request can bring about (fail closed)
    failed = bool(said) and not checked
    removed = {f.old_path or f.path: taken_lines(f) for f in side.diff.files}
    broken, unexplained, unplaced = build_findings(
        name,
        errors,
        added,
        clean,
        changed,
        removed=removed if checked or failed else None,
        checked=checked,
    )
    if unexplained:  # each on a line the change wrote, but none review placed (a file left out)
        ctx.note(
            f"{name} reports {unexplained} error(s) on lines this change wrote that review "
            f"placed on none of the lines it reviews; see {name}'s own output."
        )
    if unplaced:
        placed = len(errors) - unplaced
        ctx.note(
            f"{name} reports {unplaced} more error(s) than review places on changed "
            f"lines (its first {placed} were); see {name}'s own output."
        )
    if stopped and broken:  # it stopped at the build errors the change makes: its findings
        ctx.tool(name)
        ctx.note(
            f"{name} stopped at the build errors this change makes (the findings on its "
            "changed lines), so it did not check the rest."
        )
    elif stopped:
        missing = "incomplete" if hits else "missing"
        ctx.tool(name, f"it {run.describe()} and {stopped}, so its findings are {missing}")
    else:
        ctx.tool(name)
    if lint.denied:
        ctx.note(lint.denied)
    return broken + found


OLD_ESLINT = re.compile(r"^Invalid option '--(no-)?error-on-unmatched-pattern'", re.MULTILINE)
"""What eslint before 6.8 answers our run's ``--no-error-on-unmatched-pattern``, which 6.8
added (an empty list of files is no error with it)."""


_THROWN = re.compile(r"^(?:Uncaught )?(?:[A-Z]\w*)?(?:Error|Exception)(?: \[\w+\])?: \S|^error: \S")
"""An error's own line as node, Python and the JVM print it (``SyntaxError: Cannot use import
statement outside a module``), or cargo (``error: no matching package``), not the frames or
reminders after it."""


def error_line(output: str) -> str:
    """The line of a tool's output that says what went wrong: its first thrown error's, else
    its last line ("" for none). A crash's last line is a stack frame, which names a place."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return next((line for line in lines if _THROWN.match(line)), lines[-1] if lines else "")


def _crashed(plan: Planned, output: str, checkout: Path) -> str:
    """What to do where the project's own eslint threw inside its code or its dependencies
    (every frame in ``node_modules`` or node's own, none in the project): "" otherwise."""
    frames = [line for line in map(str.strip, output.splitlines()) if line.startswith("at ")]
    inside = frames and all("/node_modules/" in f or "(node:" in f or " node:" in f for f in frames)
    program = Path(plan.command.argv[0])
    if (
        plan.tool.name != "eslint"
        or not inside
        or not _THROWN.match(error_line(output))
        or not program.is_relative_to(checkout)
    ):
        return ""
    version = installed(checkout, "eslint")
    named = f"eslint {version[0]}.{version[1]}" if version else "eslint"
    return (
        f"; the project's {named} failed in its own code before linting, so it cannot run "
        "as installed, on this job's Node.js: pin an eslint that runs there in "
        "package.json, or drop eslint from the project"
    )


def _too_old(plan: Planned, output: str, checkout: Path) -> str:
    """Why the linter could not run when it is an eslint older than our run needs, with the
    version the checkout installed where the program is the checkout's ("" when not that)."""
    if plan.tool.name != "eslint" or not OLD_ESLINT.search(output):
        return ""
    program = Path(plan.command.argv[0])
    version = installed(checkout, "eslint") if program.is_relative_to(checkout) else ()
    older = version and version < (6, 8)  # the checkout's manifest may say anything
    named = f"eslint {version[0]}.{version[1]}" if older else "this eslint"
    return (
        f"{named} is older than 6.8, which cicd-agent's run needs "
        "(`--no-error-on-unmatched-pattern`): upgrade it in the project"
    )


def _fixed_texts(ctx: RunContext[ReviewOptions], hits: Sequence[LintHit]) -> dict[str, str]:
    """The head's text of each file a hit carries a fix for (the checkout's: only files whose
    text is the head's were linted)."""
    texts: dict[str, str] = {}
    for path in {hit.path for hit in hits if hit.edits}:
        try:
            texts[path] = read_text(ctx.options.repo_dir, path)
        except CheckoutFileError:
            continue
    return texts
