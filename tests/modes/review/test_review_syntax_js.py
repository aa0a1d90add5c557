"""A JavaScript change that does not parse is a high build finding on the line node names,
with no linter that runs: review hands a copy of each changed file to the job's own
``node --check``, which parses and runs nothing. A file that does not parse at the base either
is not blamed, and a review with no node says the check could not run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

RANGE = """\
'use strict'

module.exports = rangeParser

function rangeParser (size, str) {
  var index = str.indexOf('=')
  if (index === -1) {
    return -2
  }
  var arr = str.slice(index + 1).split(',')
  var ranges = []
  ranges.type = str.slice(0, index)
  for (var i = 0; i < arr.length; i++) {
    var range = arr[i].split('-')
    ranges.push({ start: parseInt(range[0], 10), end: parseInt(range[1], 10) })
  }
  return ranges
}
"""

MODULE = """\
import { readFile } from './no-such-module.mjs'

export function lines (text) {
  return text.split('\\n')
}
"""


def _review(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str, path: str) -> CliRun:
    argv = ["review", "--provider", "none", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": path, "HOME": str(tmp_path / "home")})


def _build(done: CliRun) -> list[tuple[str, str, int, str]]:
    document = done.document or {}
    return [(f["rule"], f["path"], f["line"], f["severity"])
            for f in document["findings"] if f["category"] == "build"]  # fmt: skip


def test_an_unclosed_call_is_high_on_the_changed_line_and_fails_the_step(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"index.js": RANGE, "package.json": '{"name": "r"}\n'})
    head = repo.commit("oops", {"index.js": RANGE.replace(".split(',')", ".split(','")})
    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")
    assert done.document is not None, done.stderr
    assert _build(done) == [("javascript/syntax-error", "index.js", 10, "high")]
    assert {"tool": "node --check", "could_not_run": ""} in done.document["tools"]
    assert done.code == 1
    assert "does not build" in done.document["headline"], done.document["headline"]


def test_a_module_that_parses_at_base_and_head_gives_nothing_and_runs_nothing(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "ran"
    runs = f"require('fs').writeFileSync({str(marker)!r}, 'x')\n"
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"index.js": RANGE, "lib/lines.mjs": MODULE, "esm.js": MODULE})
    head = repo.commit("more", {"index.js": runs + RANGE, "lib/lines.mjs": MODULE + "\n",
                                "esm.js": MODULE + "export const x = 1\n"})  # fmt: skip
    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")
    assert done.document is not None, done.stderr
    assert _build(done) == []
    assert {"tool": "node --check", "could_not_run": ""} in done.document["tools"]
    assert not marker.exists()
    assert done.code == 0


def test_a_broken_module_is_blamed_where_node_names_it(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"lib/lines.mjs": MODULE})
    head = repo.commit("oops", {"lib/lines.mjs": MODULE.replace("(text) {", "(text {")})
    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")
    assert done.document is not None, done.stderr
    assert _build(done) == [("javascript/syntax-error", "lib/lines.mjs", 3, "high")]


def test_syntax_node_does_not_read_at_the_base_is_not_blamed_and_said(tmp_path: Path) -> None:
    jsx = "export const App = () => <div>hi</div>\n"
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"src/app.js": jsx})
    head = repo.commit("more", {"src/app.js": jsx + "export const B = () => <b>x</b>\n"})
    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")
    assert done.document is not None, done.stderr
    assert _build(done) == []
    assert any("src/app.js" in n and "node" in n for n in done.document["notes"]), (
        done.document["notes"]
    )


def test_a_new_file_is_judged_when_the_projects_other_files_parse(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"index.js": RANGE})
    head = repo.commit("new", {"lib/new.cjs": "module.exports = function ( {\n}\n"})
    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")
    assert done.document is not None, done.stderr
    assert [(f[0], f[1]) for f in _build(done)] == [("javascript/syntax-error", "lib/new.cjs")]


def test_a_review_with_no_node_says_the_check_could_not_run(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git is not None
    os.symlink(git, bin_dir / "git")
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"index.js": RANGE})
    head = repo.commit("oops", {"index.js": RANGE.replace(".split(',')", ".split(','")})
    done = _review(tmp_path, repo, base, head, str(bin_dir))
    assert done.document is not None, done.stderr
    tools = {t["tool"]: t["could_not_run"] for t in done.document["tools"]}
    assert "no `node` on PATH" in tools.get("node --check", ""), tools


def test_node_judges_text_by_its_suffix_and_reads_js_either_way() -> None:
    from cicd_agent.local.syntax_js import node_parser

    with node_parser({"PATH": "/usr/bin:/bin"}) as (error, missing):
        assert missing == ""
        assert error("index.js", RANGE) is None
        assert error("esm.js", MODULE) is None  # no "type" read: a module's syntax parses
        assert error("lib/lines.cjs", MODULE) is not None  # a .cjs is never a module
        broken = error("index.js", RANGE.replace(".split(',')", ".split(','"))
        assert broken is not None and broken[0] == 10 and "missing )" in broken[1]


def test_attack_a_file_too_deep_for_node_is_said_not_blamed(tmp_path: Path) -> None:
    """Attack: nesting past node's stack ends ``node --check`` with a RangeError, not a syntax
    error: no verdict, so no finding and no crash, and the note names the file."""
    deep = "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n"
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"deep.cjs": "x = 1\n"})
    head = repo.commit("deep", {"deep.cjs": deep})
    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")
    assert done.document is not None, done.stderr
    assert _build(done) == []
    assert any("could not judge" in n and "deep.cjs" in n for n in done.document["notes"]), (
        done.document["notes"]
    )
