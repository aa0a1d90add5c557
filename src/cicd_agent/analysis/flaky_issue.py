"""The GitHub issue a flaky test gets: one per test, found again by its key and updated, never
opened twice, with its evidence and the quarantine entry to paste into the settings file.

Every word of a test's name and output is the test's, so the title and body are :class:`Neutral`
(:func:`posted`): a mention, link or issue reference shows as text. Owners are assigned through
the API from CODEOWNERS at the base, never from the test's words."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cicd_agent.actions.markdown import Neutral, code_block, code_span, posted
from cicd_agent.analysis.codeowners import Owners
from cicd_agent.analysis.flaky_stats import WINDOW, FlakyStat, StoredRun

QUARANTINE_DAYS = 30
"""How long the proposed quarantine lasts: long enough to fix, short enough to be seen again."""
OUTPUT_LIMIT = 4_000
"""Characters of the failing output shown (its tail: where the assertion is)."""
TITLE_LIMIT = 200
SHOWN_RUNS = 20
"""Runs a closing comment names (the newest)."""


@dataclass(frozen=True)
class FlakyEvidence:
    """What the issue says of one test: its record over the window, the output of a failing
    run, the command that replays the failure, and the condition it failed under (the hunt)."""

    stat: FlakyStat
    output: str = ""
    replay: str = ""
    condition: str = ""


def issue_key(test: str) -> str:
    """The test's marker key: a digest, as a test's name may hold any character."""
    return "flaky-test:" + hashlib.sha256(test.encode()).hexdigest()[:20]


def issue_title(test: str) -> Neutral:
    return posted(f"Flaky test: {code_span(test, TITLE_LIMIT)}")


def issue_body(evidence: FlakyEvidence, owners: Owners, today: date) -> Neutral:
    """The issue's text: the evidence, the owners, the proposed quarantine entry."""
    stat = evidence.stat
    owner = owners.names[0] if owners.names else "@OWNER"
    entry = (
        f'analyse-failure:\n  quarantine:\n    - test: "{_yaml(stat.test)}"\n'
        f'      owner: "{owner}"\n      expires: {today + timedelta(days=QUARANTINE_DAYS)}'
    )
    lines = [
        f"**{code_span(stat.test)}** both passed and failed on the default branch: flip rate "
        f"**{stat.flip_rate:.0%}** ({stat.flips} flips over {stat.runs} runs, of the last "
        f"{WINDOW}), {stat.failures} failing run(s), about {stat.lost_seconds:,.0f} s of CI "
        "time lost to reruns.",
        "",
        "- Newest failing run: "
        + (code_span(stat.last_failed) if stat.last_failed else "(none kept)"),
        "- Owners (CODEOWNERS of the test's file, at the default branch): "
        + (", ".join(code_span(o) for o in owners.names) or "none listed"),
    ]
    if evidence.condition:
        lines.append(f"- Failed under: {code_span(evidence.condition)}")
    if evidence.replay:
        lines += ["", "Replay the failure:", "", code_block(evidence.replay, "sh")]
    if evidence.output:
        lines += ["", "Failing output (its end):", "", code_block(evidence.output[-OUTPUT_LIMIT:])]
    lines += [
        "",
        "Proposed quarantine entry (the test step then excuses its failures until the "
        "date; paste it into the settings file on the default branch):",
        "",
        code_block(entry, "yaml"),
        "",
        "This issue is updated by cicd-agent on each run that finds the test flaky.",
    ]
    return posted("\n".join(lines))


@dataclass(frozen=True)
class Closing:
    """A stable test's issue to close: its key (:func:`issue_key`) and the comment saying why."""

    key: str
    comment: Neutral


def closing(test: str, runs: Sequence[StoredRun]) -> Closing:
    """Why the issue of ``test`` is closed: the default-branch runs it passed in a row (oldest
    first), each named, so a reader can check them."""
    shown = [code_span(run.url or f"run {run.run_id} attempt {run.attempt}") for run in runs]
    listed = ", ".join(shown[-SHOWN_RUNS:])
    more = f" (the newest {SHOWN_RUNS} shown)" if len(shown) > SHOWN_RUNS else ""
    return Closing(
        issue_key(test),
        posted(
            f"Closed by cicd-agent: {code_span(test)} passed in each of its last {len(runs)} "
            f"runs on the default branch{more}: {listed}. It is reopened if it flips again."
        ),
    )


def _yaml(test: str) -> str:
    return test.replace("\\", "\\\\").replace('"', '\\"')
