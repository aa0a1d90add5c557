"""Attacks on analyse-failure's reading of vitest's location lines (`` ❯ src/x.ts:12:3``) as
the checkout's paths: the log is the pull request's (its tests print what they like), and so
are the checkout's links. A location is text to show, never a file the host opens."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli

SECRET = "host-secret-line-never-read"
BIDI = "src/\u202eevil`@octo-org`.ts"


def _log(locations: list[str], tail: str = "") -> str:
    lines = ["##[group]Run npx vitest run", "npx vitest run", "##[endgroup]",
             " ❯ test/x.test.ts  (2 tests | 1 failed) 4ms",
             " FAIL  test/x.test.ts > x > adds",
             "TypeError: Cannot read properties of undefined (reading 'normalize')",
             *(f" ❯ {where}:1:1" for where in locations),
             " Test Files  1 failed (1)",
             "##[error]Process completed with exit code 1."]  # fmt: skip
    text = "".join(f"2026-11-27T10:00:00.0000000Z {line}\n" for line in lines)
    return text + (f"2026-11-27T10:00:00.0000000Z {tail}\n" if tail else "")


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """One run on a log whose locations name a committed link to a FIFO (opened, it would
    block the run), a path through a linked folder, paths that leave the checkout, a coloured
    path, and a name with a bidi override and backticks."""
    tmp_path = tmp_path_factory.mktemp("vitest")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.ts").write_text(SECRET + "\n")
    os.mkfifo(outside / "pipe.ts")
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("base", {"src/index.ts": "export const x = 1\n"})
    (repo.path / "src" / "pipe.ts").symlink_to(outside / "pipe.ts")
    (repo.path / "test").mkdir()
    (repo.path / "test" / "linked").symlink_to(outside, target_is_directory=True)
    head = repo.commit("links", {"src/index.ts": "export const x = 2\n"})
    log = tmp_path / "job.txt"
    log.write_text(_log(["src/pipe.ts", "test/linked/secret.ts", "../../outside/secret.ts",
                         str(outside / "secret.ts"), "\x1b[31msrc/index.ts\x1b[0m", BIDI]))  # fmt: skip
    return run_cli(["analyse-failure", "--provider", "none", "--logs", str(log), "--repo",
                    str(repo.path), "--head", head, "--json"], tmp_path,
                   {"PATH": "/usr/bin:/bin"})  # fmt: skip


def test_attack_locations_through_links_and_out_of_the_checkout_are_only_shown(
    linked: CliRun,
) -> None:
    """The run ends (no FIFO opened), reads no file a link or a path out names, and shows
    each location as escaped text. Before: the override sat raw in the blame's code span."""
    assert linked.code == 0, linked.stderr
    named = [item["path"] for item in json.loads(linked.stdout)["responsible_files"]]
    assert {"src/pipe.ts", "test/linked/secret.ts", "src/index.ts"} <= set(named), named
    for text in (linked.summary, linked.stdout, linked.stderr, linked.outputs_text):
        assert SECRET not in text
    blamed = next(line for line in linked.summary.splitlines() if "Likely responsible" in line)
    assert "\u202e" not in blamed and "src/\\u202eevil" in blamed, blamed


def test_attack_a_bidi_override_in_the_log_is_not_quoted_raw(linked: CliRun) -> None:
    """The log excerpt quotes the failed lines verbatim in a code block: the override in one
    shows as its code point. Before: it sat raw there, turning the rest of its line around as
    GitHub shows the summary or comment."""
    assert "\u202e" not in linked.summary
    assert "src/<U+202E>evil`@octo-org`.ts:1:1" in linked.summary, linked.summary


def test_attack_a_long_line_after_the_locations_keeps_the_blame(tmp_path: Path) -> None:
    """Before: vitest's location lines were read from the failed step's tail only (256 KiB): a
    test that printed a longer line after them left the failure with no responsible file. The
    lines kept around the failure's own line are read for locations too."""
    log = tmp_path / "job.txt"
    log.write_text(_log(["src/index.ts"], tail="x " * 150_000))
    analysis = analyse_scans(scan_jobs(load_logs(log)), changed_files=["src/index.ts"])
    assert [f.path for f in analysis.responsible_files][:1] == ["src/index.ts"]
