"""What a fifth new user's logs met, on projects nobody here wrote: each log is a real run
(pytest on munch, npm, eslint on bytes.js) in tests/fixtures/logs/new_user5, its checkout's
folder written as a runner's (``/home/runner/work/<repo>/<repo>/``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from cicd_agent.analysis.log_model import FailureGroup, FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.mixed import merge
from cicd_agent.modes.analyse_failure.logs.sources import JobLog

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user5"


def _analyse(
    name: str, changed_lines: Mapping[str, Collection[int]] | None = None,
    checkout: Path | None = None,
) -> LogAnalysis:
    data = (LOGS / name).read_bytes()
    changed = changed_lines or {}
    return analyse_scans(scan_jobs([JobLog.from_bytes("test", data)]),
                         changed_files=list(changed), changed_lines=changed, checkout=checkout)


def test_one_pytest_error_is_one_group_however_the_summary_cut_its_lines() -> None:
    # munch: 24 tests fail on one TypeError; the short summary cuts it at lengths from
    # "Typ..." to "TypeError: munchify.<locals>.munchify..." and the reports of the first
    # tests are not kept beside their summary lines. One readme test fails on its own.
    analysis = _analyse("py-fail.log")
    assert [(g.line, g.count) for g in analysis.failures] == [
        ("TypeError: munchify.<locals>.munchify_cycles() takes 1 positional argument but 3 "
         "were given", 24),
        ("assert not 3", 1),
    ]
    assert analysis.failures[0].test == "tests/test_munch.py::test_pickle"


def test_one_npm_network_error_is_one_failure_whatever_lines_npm_gives_it() -> None:
    # npm prints its code, errno and request lines for one ETIMEDOUT.
    analysis = _analyse("npm-net.log")
    assert [g.line for g in analysis.failures] == ["npm ERR! code ETIMEDOUT"]
    assert analysis.failures[0].infrastructure


def test_a_cut_message_that_begins_two_messages_stays_apart_and_a_chain_of_cuts_joins() -> None:
    def group(line: str) -> FailureGroup:
        return FailureGroup(kind=FailureType.TEST_FAILURE, line=line, test=line)

    ambiguous = merge([{k: group(k) for k in ("Type...", "TypeError: a", "TypeError: b")}])
    assert [g.line for g in ambiguous] == ["Type...", "TypeError: a", "TypeError: b"]
    chain = merge([{k: group(k) for k in ("ValueError: x...", "Val...", "ValueError: x y...")}])
    assert [(g.line, g.count, g.test) for g in chain] == [
        ("ValueError: x y...", 3, "ValueError: x...")
    ]
