"""What a fifth new user's logs met, on projects nobody here wrote: each log is a real run
(pytest on munch, npm, eslint on bytes.js) in tests/fixtures/logs/new_user5, its checkout's
folder written as a runner's (``/home/runner/work/<repo>/<repo>/``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureGroup, FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, default_matcher, scan_jobs
from cicd_agent.modes.analyse_failure.logs.mixed import MAX_BEGUN, merge
from cicd_agent.modes.analyse_failure.logs.region import step_findings
from cicd_agent.modes.analyse_failure.logs.stylish import placed_under_files
from tests.helpers.cli import run_cli
from tests.modes.analyse_failure.job_logs import job_log

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user5"


def _analyse(
    name: str, changed_lines: Mapping[str, Collection[int]] | None = None,
    checkout: Path | None = None,
) -> LogAnalysis:
    data = (LOGS / name).read_bytes()
    changed = changed_lines or {}
    return analyse_scans(scan_jobs([job_log("test", data)]),
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


def test_a_doctest_files_frames_and_a_path_through_dot_dot_name_the_file_to_open() -> None:
    # munch's test_readme runs README.md's examples: doctest names the file
    # ``/home/runner/work/munch/munch/tests/../README.md`` and each example's frame
    # ``<doctest README.md[27]>``, line 1 (the example's own line, not the file's).
    paths = [(f.path, f.lines[:1]) for f in _analyse("py-fail.log").responsible_files]
    assert ("README.md", (129,)) in paths
    assert not [p for p, _ in paths if ".." in p or "<doctest" in p]


def test_a_local_runs_paths_under_the_checkout_are_its_files(tmp_path: Path) -> None:
    # The user ran the tests in their own folder: the log names it whole.
    (tmp_path / "README.md").write_text("# munch\n")
    log = (LOGS / "py-fail.log").read_text().replace("/home/runner/work/munch/munch", str(tmp_path))
    scans = scan_jobs([job_log("test", log.encode())])
    files = analyse_scans(scans, checkout=tmp_path).responsible_files
    readme = next(f for f in files if f.path == "README.md")
    assert readme.lines[:1] == (129,) and not readme.frame


def test_attack_a_path_climbing_out_of_the_checkout_is_named_nowhere(tmp_path: Path) -> None:
    # A test prints frames whose dots climb out of the runner's checkout and the step's folder.
    log = (
        'Traceback (most recent call last):\n'
        '  File "/home/runner/work/r/r/tests/../../../../../etc/passwd", line 3, in <module>\n'
        '  File "tests/../../secret.py", line 4, in f\n'
        '  File "tests/./../app.py", line 9, in g\n'
        "ValueError: boom\n"
        "FAILED tests/test_x.py::test_x - ValueError: boom\n"
    )
    scans = scan_jobs([job_log("test", log.encode())])
    paths = [f.path for f in analyse_scans(scans).responsible_files]
    assert "app.py" in paths
    assert not [p for p in paths if "passwd" in p or "secret" in p or ".." in p]


def test_eslints_stylish_report_names_the_file_over_its_lines() -> None:
    # eslint's default format prints the file once, then its problems as ``55:22  error``.
    analysis = _analyse("js-lint.log", {"index.js": [55]})
    first = analysis.responsible_files[0]
    assert (first.path, first.lines[:1], first.changed) == ("index.js", (55,), True)


@pytest.mark.parametrize("name", ["eslint-two-stylish.log", "eslint-two-unix.log"])
def test_eslints_problem_on_the_changed_line_leads_in_either_format(name: str) -> None:
    # eslint 7.32 on bytes.js with a second problem, in test/byte-format.js:7, which the
    # change wrote; eslint lists index.js:55 first, a file the change did not touch.
    analysis = _analyse(name, {"test/byte-format.js": [7]})
    assert analysis.failure_type is FailureType.LINT_ERROR
    assert "7:30" in analysis.root_cause
    places = [(f.path, f.lines[:1]) for f in analysis.responsible_files]
    assert places[:2] == [("test/byte-format.js", (7,)), ("index.js", (55,))]
    assert [g.untouched for g in analysis.failures] == [False, True]


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("", "the log holds no `##[group]Run …` header of the failed step"),
        ("##[group]Run npx eslint .\nnpx eslint .\n##[endgroup]\n",
         "the failed step's `Run npx eslint .` header has no `shell:` line"),
        ("##[group]Run actions/setup-node@v4\nwith:\n  node-version: 20\n##[endgroup]\n",
         "the failed step runs an action (`actions/setup-node@v4`), not a `run:` command"),
    ],
)
def test_fix_from_a_saved_log_says_what_of_the_steps_header_is_missing(
    tmp_path: Path, header: str, said: str
) -> None:
    # The user saved eslint's output with the runner's `Run` header but not its `shell:` line.
    output = (LOGS / "js-lint.log").read_text().split("##[endgroup]\n", 1)[1]
    log = tmp_path / "lint.log"
    log.write_text(header + output)
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log),
                    "--repo", str(tmp_path), "--fix", "suggest"], tmp_path, {}, on_runner=False)
    assert done.code == 0
    reason = next(line for line in done.stdout.splitlines() if "No fix offered" in line)
    assert said in reason
    assert "the job's whole log as the runner wrote it" in reason or "action" in said


def test_attack_a_cut_message_beginning_very_many_stays_apart() -> None:
    # Attack: thousands of failing tests, each its message cut at another length; a cut message
    # is matched against those it begins, and one that begins more than MAX_BEGUN stays apart
    # (a log of many stays linear). Below the bound, the chain of cuts joins its longest.
    def group(line: str) -> FailureGroup:
        return FailureGroup(kind=FailureType.TEST_FAILURE, line=line)

    chain = [f"Error {'x' * n}..." for n in range(1, MAX_BEGUN + 3)]
    assert [g.count for g in merge([{k: group(k) for k in chain}])] == [1, MAX_BEGUN + 1]
    assert [g.count for g in merge([{k: group(k) for k in chain[1:]}])] == [MAX_BEGUN + 1]


def test_attack_a_path_line_a_step_printed_above_other_words_names_no_problems_file() -> None:
    # Attack: a step prints a path of its choosing, then other words, then eslint's report
    # with its own file line; only the file line right over the problems names their file.
    log = (LOGS / "eslint-two-stylish.log").read_text().replace(
        "\n/home/runner/work/bytes.js/bytes.js/index.js\n",
        "\nsrc/forged.js\nsome other words\n  55:22  error  Unnecessary semicolon  no-extra-semi\n",
        1,
    )
    (scan,) = scan_jobs([job_log("test", log.encode())])
    findings = [f for index, step in enumerate(scan.steps)
                for f in step_findings(step, index, default_matcher(), lambda text: True)]
    placed = placed_under_files(findings, dict(enumerate(scan.steps)))
    problems = [f.hit for f in placed if f.hit.match.signature.name == "lint.eslint"]
    assert [hit.match.path for hit in problems] == [
        None, None, "/home/runner/work/bytes.js/bytes.js/test/byte-format.js"
    ]
    assert problems[-1].text.startswith("test/byte-format.js:7:30")
