"""What the eval compares: the base and the head commits, and each side's outcomes, from the
promptfoo config at each commit (read from git, asked of the action's model) or from the
results files another tool wrote."""

from __future__ import annotations

import os
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.context import RunContext
from cicd_agent.job.events import Event
from cicd_agent.modes.eval.ask import Asker, Stopped
from cicd_agent.modes.eval.cases import Case, Suite
from cicd_agent.modes.eval.config import Reader
from cicd_agent.modes.eval.judge import Outcome, base_tests, outcome
from cicd_agent.modes.eval.options import EvalOptions
from cicd_agent.modes.eval.results import read_results
from cicd_agent.modes.eval.source import Commit
from cicd_agent.modes.eval.types import Sides


def commits(event: Event | None, head: str | None, base: str | None) -> tuple[str, str]:
    """The head and base as given, else as the pull request says; else ``HEAD`` and its
    parent."""
    pull = event.pull_request if event is not None else None
    if pull is not None:
        return head or pull.head.sha, base or pull.base.sha
    return head or "HEAD", base or ""


def known_head(ctx: RunContext[EvalOptions], ref: str) -> str:
    """The head commit the results files are said to be of, when a checkout knows it ("" when
    there is none: results files need no repository)."""
    try:
        return ctx.checkout.resolve(ref, "head") if ctx.checkout.has_commit(ref) else ""
    except UsageError:
        return ""


def collect(ctx: RunContext[EvalOptions]) -> Sides:
    options = ctx.mode_options
    event = ctx.event if ctx.has_event else None
    head_ref, base_ref = commits(event, options.head, options.base)
    if options.base_results and options.head_results and options.results_format:
        kind = options.results_format
        return Sides(
            known_head(ctx, head_ref),
            tuple(read_results(options.base_results, kind)),
            tuple(read_results(options.head_results, kind)),
            source=f"{kind} results files {options.base_results.name} and "
            f"{options.head_results.name}",
        )
    head = ctx.checkout.resolve(head_ref, "head")
    pull = event.pull_request if event is not None else None
    base_ref = base_ref or f"{head}~1"
    base = ctx.checkout.merge_base(base_ref, head) if pull else ctx.checkout.resolve(base_ref)
    given_model = ctx.given.text("model")
    suites = [
        Reader(Commit(ctx.checkout, sha), options.config, given_model).suite()
        for sha in (base, head)
    ]
    return ask_both(ctx, suites[0], suites[1], head)


def outside_checkout(root: Path, cache: Path | None) -> None:
    """A cache folder in the checkout (or reached through a link there) is refused: the pull
    request would write the answers its own requests are judged by (a key is the endpoint, the
    request and the sample's index, all known to it)."""
    if cache is None:
        return
    named, reached = Path(os.path.abspath(cache)), cache.resolve()
    if named.is_relative_to(root.absolute()) or reached.is_relative_to(root.resolve()):
        raise UsageError(
            f"--cache-dir {cache} is in the checkout; the pull request would write the answers "
            "it is judged by.",
            hint="Keep the cache outside the checkout (under $RUNNER_TEMP, with actions/cache).",
        )


def ask_both(ctx: RunContext[EvalOptions], base: Suite, head: Suite, sha: str) -> Sides:
    """Every case of both sides asked and judged, the base first; a request byte-identical on
    both sides is asked once (the asker keeps its samples)."""
    options = ctx.mode_options
    outside_checkout(ctx.options.repo_dir, options.cache_dir)
    client = ctx.model
    if client is None:
        raise UsageError(
            "the eval mode asks a model and none is set.",
            hint="Set provider openai with OPENAI_API_KEY (and base-url for another endpoint), "
            "or give --base-results, --head-results and --results-format.",
        )
    asker = Asker(
        client,
        options.repeats,
        options.cache_dir,
        options.max_cost,
        client.config.base_url,
        say=ctx.progress.say,
    )

    def sample(case: Case) -> list[tuple[str, str]]:
        return [(s.text, s.error) for s in asker.samples(case)]

    trusted = base_tests(base.cases, head.cases)
    heads = trusted.cases
    notes = [*base.notes, *head.notes]
    for changed, what, done in (
        (trusted.asserts, "asserts", "both sides were judged by the base's"),
        (trusted.variables, "variables", "the head's prompts were asked with the base's"),
        (trusted.seeds, "seed", "they were asked with the base's (a seed chooses the draw)"),
    ):
        if changed:
            shown = ", ".join(changed[:5]) + (
                f" and {len(changed) - 5} more" if len(changed) > 5 else ""
            )
            notes.append(
                f"The head changes the {what} of {len(changed)} cases ({shown}); {done}, "
                "as the base branch's settings are: a pull request does not ease the "
                "tests it is judged by."
            )
    sides: tuple[list[Outcome], list[Outcome]] = ([], [])
    stopped = ""
    try:
        for cases, into in zip((base.cases, heads), sides, strict=True):
            into.extend(outcome(case, options.repeats, sample, asker.grade) for case in cases)
    except Stopped as stop:
        stopped = str(stop)
    return Sides(
        sha,
        tuple(sides[0]),
        tuple(sides[1]),
        source=f"{options.config} asked of the action's model",
        stopped=stopped,
        unanswered=asker.unanswered,
        asked=asker.asked,
        notes=tuple(notes),
    )
