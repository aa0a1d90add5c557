"""gen-tests' analyse step: what the change misses, as segments and the jobs the model is asked for.

The missing lines and branches the baseline run measured become segments (most missing first),
split by ``shard``, each with the module's text and its nearest existing tests. No model and no
test run: it reads the changed modules and the test files of the checkout's pristine copy.
"""

from __future__ import annotations

from cicd_agent.actions.markdown import code_span
from cicd_agent.analysis.file_names import escaped
from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.modes.gen_tests.prompt import Job
from cicd_agent.modes.gen_tests.segments import (
    Segment,
    find_segments,
    find_test_files,
    order,
    related_tests,
)
from cicd_agent.modes.gen_tests.targets import gaps
from cicd_agent.modes.gen_tests.types import GenTestsFacts, GenTestsVerdict


def analyse(facts: GenTestsFacts) -> GenTestsVerdict:
    """The segments the change misses and the jobs for this shard (no model, no test run)."""
    if facts.coverage is None or facts.pristine is None:
        return GenTestsVerdict(facts, (), ())
    missing_lines, missing_arcs = gaps(facts.coverage, facts.targets)
    segments: list[Segment] = []
    texts: dict[str, str] = {}
    warnings: list[str] = []
    for path in facts.targets.paths:
        try:
            texts[path] = read_text(facts.repo, path)
        except CheckoutFileError as exc:  # too large, or changed since
            warnings.append(f"Left out {code_span(escaped(path))}: it {exc.detail}.")
            continue
        segments += find_segments(
            path, texts[path], missing_lines.get(path, ()), missing_arcs.get(path, ())
        )
    segments = order(segments)
    selected = facts.options.shard.select(segments) if facts.options.shard else segments
    tests = find_test_files(facts.pristine)
    jobs = []
    for segment in selected:
        related = tuple(related_tests(segment.path, tests))
        jobs.append(
            Job(segment, texts[segment.path], related, tests[related[0]] if related else "")
        )
    return GenTestsVerdict(
        facts,
        tuple(segments),
        tuple(jobs),
        dict(missing_lines),
        dict(missing_arcs),
        tuple(warnings),
    )
