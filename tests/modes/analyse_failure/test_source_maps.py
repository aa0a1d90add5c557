"""A failure in built JavaScript names the TypeScript line it was compiled from, where the
checkout holds the build's source maps; the map and everything it names are the pull
request's, so a map that points out of the checkout, through a link, at a URL, or that is
huge or malformed places nothing, and the frame is shown as printed.

The real case: a TypeScript project built with the real ``tsc`` (``sourceMap``) into ``dist/``,
its node:test suite failing in the built code (node 23's spec reporter, which node prints on
every output from 23 on), the log fed to analyse-failure (one run, checked many ways). The
attacks use tsc's output of that project, frozen here, and maps written to break the reader."""

from __future__ import annotations

import base64
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs import source_maps
from cicd_agent.modes.analyse_failure.logs.source_maps import SourceMaps
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout
from tests.corpus.tools import run
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.eslint import NODE_BIN, needs_node_tool
from tests.modes.analyse_failure.job_logs import step_analysis

CALC_TS = """export interface Totals {
  count: number;
}

export function mean(values: number[]): number {
  const totals: Totals = { count: values.length };
  if (totals.count === 0) {
    throw new RangeError("mean of no values");
  }
  return values.reduce((a, b) => a + b, 0) / totals.count;
}
"""
TEST_JS = """const { test } = require("node:test");
const assert = require("node:assert/strict");
const { mean } = require("../dist/calc");

test("mean of two", () => {
  assert.equal(mean([1, 3]), 2);
});

test("mean of none is zero", () => {
  assert.equal(mean([]), 0);
});
"""
TSCONFIG = """{"compilerOptions": {"target": "ES2020", "module": "commonjs", "outDir": "dist",
  "rootDir": "src", "sourceMap": true, "strict": true, "skipLibCheck": true, "types": []},
 "include": ["src"]}
"""
# tsc 5.9's output for CALC_TS under TSCONFIG, frozen for the attacks (the fixture builds anew).
CALC_JS = """"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.mean = mean;
function mean(values) {
    const totals = { count: values.length };
    if (totals.count === 0) {
        throw new RangeError("mean of no values");
    }
    return values.reduce((a, b) => a + b, 0) / totals.count;
}
//# sourceMappingURL=calc.js.map"""
CALC_MAP = {
    "version": 3, "file": "calc.js", "sourceRoot": "", "sources": ["../src/calc.ts"], "names": [],
    "mappings": ";;AAIA,oBAMC;AAND,SAAgB,IAAI,CAAC,MAAgB;IACnC,MAAM,MAAM,GAAW,EAAE,KAAK,EAAE,MAAM,CAAC,"
    "MAAM,EAAE,CAAC;IAChD,IAAI,MAAM,CAAC,KAAK,KAAK,CAAC,EAAE,CAAC;QACvB,MAAM,IAAI,UAAU,CAAC,mBAAmB,CAAC,CAAC;IAC5C,"
    "CAAC;IACD,OAAO,MAAM,CAAC,MAAM,CAAC,CAAC,CAAC,EAAE,CAAC,EAAE,EAAE,CAAC,CAAC,GAAG,CAAC,EAAE,CAAC,CAAC,GAAG,MAAM,CAAC,KAAK,CAAC;AAC1D,"
    "CAAC",
}  # fmt: skip
FRAME = "      at mean (/home/runner/work/app/app/dist/calc.js:7:15)"


@dataclass(frozen=True)
class Built:
    repo: Path
    log: str
    run: CliRun
    tap: str
    """node 18 to 22's report where the output is no terminal, as on a runner."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The project built by the real tsc, its suite run by the real node, its log analysed."""
    needs_node_tool("tsc")
    tmp = tmp_path_factory.mktemp("maps")
    repo = GitRepoBuilder(tmp / "repo")
    head = repo.commit("mean", {"src/calc.ts": CALC_TS, "nt/calc.test.js": TEST_JS,
                                "tsconfig.json": TSCONFIG, ".gitignore": "dist/\n"})  # fmt: skip
    compiled = run([str(NODE_BIN / "tsc"), "-p", "."], repo.path)
    assert compiled.exit_code == 0, compiled.lines()
    tested = run(["node", "--test", "--test-reporter=spec", "nt/"], repo.path)
    assert tested.exit_code == 1, tested.lines()
    tap = run(["node", "--test", "--test-reporter=tap", "nt/"], repo.path)
    assert tap.exit_code == 1, tap.lines()
    step = Step("Test", run="node --test nt/", output=tested.text, exit_code=1)
    (tmp / "logs").mkdir()
    write_layout([Job("test", [noise.checkout(), step])], tmp / "logs", "job_text")
    (log,) = (tmp / "logs").iterdir()
    argv = ["analyse-failure", "--provider", "none", "--logs", str(log), "--repo", str(repo.path),
            "--head", head, "--json"]  # fmt: skip
    cli = run_cli(argv, tmp, {"PATH": "/usr/bin:/bin"})
    return Built(repo.path, tested.text.decode(), cli, tap.text.decode())


def _analyse(log: str, checkout: Path | None, dest: Path) -> LogAnalysis:
    return step_analysis(dest, "node --test nt/", log.encode(), checkout=checkout)


def _copy(built: Built, dest: Path) -> Path:
    return Path(shutil.copytree(built.repo, dest, ignore=shutil.ignore_patterns(".git")))


def test_the_real_build_s_frame_names_the_typescript_line(built: Built) -> None:
    """node prints the built file's frame; the annotation and the first responsible file are
    the TypeScript source and line tsc compiled it from (what jest, through its own source
    maps, prints as ``at mean (src/calc.ts:8:11)``)."""
    assert "/dist/calc.js:7:15)" in built.log, built.log
    assert built.run.code == 0, built.run.stderr
    files = built.run.document["responsible_files"]  # type: ignore[index]
    assert (files[0]["path"], files[0]["lines"][0], files[0]["source"]) == (
        "src/calc.ts",
        8,
        "logs",
    )
    assert ",file=src/calc.ts,line=8::" in built.run.stderr, built.run.stderr
    assert not any("dist/" in item["path"] for item in files), files
    assert "`src/calc.ts:8`" in built.run.summary


def test_a_frame_of_a_file_that_is_its_own_source_stays_as_printed(built: Built) -> None:
    files = {f["path"]: f["lines"] for f in built.run.document["responsible_files"]}  # type: ignore[index]
    assert files.get("nt/calc.test.js", [None])[0] == 10, files


def test_tap_s_stack_names_the_typescript_line_too(built: Built, tmp_path: Path) -> None:
    """TAP quotes the stack without node's ``at`` (``mean (/…/dist/calc.js:7:15)``). Before:
    no line of it was read, and no file was named at all."""
    assert "    mean (/home/runner/work/app/app/dist/calc.js:7:15)" in built.tap, built.tap
    files = _analyse(built.tap, built.repo, tmp_path).responsible_files
    assert [(f.path, f.lines[0]) for f in files] == [("src/calc.ts", 8), ("nt/calc.test.js", 10)]


def test_an_inline_map_places_the_frame_too(built: Built, tmp_path: Path) -> None:
    """``//# sourceMappingURL=data:application/json;base64,…`` (tsc's ``inlineSourceMap``):
    the map is read from the built file itself."""
    checkout = _copy(built, tmp_path / "copy")
    script = checkout / "dist" / "calc.js"
    inline = base64.b64encode((checkout / "dist" / "calc.js.map").read_bytes()).decode()
    script.write_text(
        script.read_text().replace(
            "sourceMappingURL=calc.js.map",
            f"sourceMappingURL=data:application/json;base64,{inline}",
        )
    )
    (checkout / "dist" / "calc.js.map").unlink()
    first = _analyse(built.log, checkout, tmp_path / "logs").responsible_files[0]
    assert (first.path, first.lines[0], first.frame) == ("src/calc.ts", 8, False)


def test_a_built_file_the_checkout_lacks_is_shown_as_the_frame(
    built: Built, tmp_path: Path
) -> None:
    """analyse-failure in a job that did not build: no ``dist/``, so ``dist/calc.js`` is no
    file of the checkout. It is shown as the frame, never annotated; the test file, which the
    checkout holds, is."""
    checkout = _copy(built, tmp_path / "copy")
    shutil.rmtree(checkout / "dist")
    files = {f.path: f for f in _analyse(built.log, checkout, tmp_path / "logs").responsible_files}
    assert files["dist/calc.js"].frame and not files["nt/calc.test.js"].frame, files


def test_without_a_checkout_the_frames_are_as_printed(built: Built, tmp_path: Path) -> None:
    files = [f.path for f in _analyse(built.log, None, tmp_path).responsible_files]
    assert files[:2] == ["dist/calc.js", "nt/calc.test.js"], files


def _project(root: Path, script: str = CALC_JS, map_: object = CALC_MAP) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "dist").mkdir()
    (root / "src" / "calc.ts").write_text(CALC_TS)
    (root / "dist" / "calc.js").write_text(script)
    if map_ is not None:
        (root / "dist" / "calc.js.map").write_text(
            map_ if isinstance(map_, str) else json.dumps(map_)
        )
    return root


def _placed(root: Path, line: int = 7, column: int | None = 15) -> tuple[str, int] | None:
    return SourceMaps(root).original("dist/calc.js", line, column)


def test_the_frozen_build_places_its_lines(tmp_path: Path) -> None:
    """The reader on tsc's own map: each line of ``mean`` to its source line; a column before
    the line's first mapping, a line past the map, or a file not compiled places nothing."""
    root = _project(tmp_path)
    assert _placed(root) == ("src/calc.ts", 8)
    assert _placed(root, 7, None) == ("src/calc.ts", 8)
    assert _placed(root, 9, 5) == ("src/calc.ts", 10)
    assert _placed(root, 4, 1) == ("src/calc.ts", 5)
    assert _placed(root, 1, 1) is None and _placed(root, 40, 1) is None
    assert SourceMaps(root).original("src/calc.ts", 8, 1) is None


def _with_sources(map_: dict[str, object], **changes: object) -> dict[str, object]:
    return {**map_, **changes}


def test_attack_sources_out_of_the_checkout_place_nothing(tmp_path: Path) -> None:
    """``sources`` naming ``../../etc/passwd``, an absolute path, a URL (a webpack one climbing
    out), or a ``sourceRoot`` that climbs out or is a URL: none is a file of the checkout."""
    outside = tmp_path / "outside.ts"
    outside.write_text("secret\n")
    for i, changes in enumerate([
        {"sources": ["../../etc/passwd"]}, {"sources": ["../../../../../../etc/passwd"]},
        {"sources": [str(outside)]}, {"sources": ["file:///etc/passwd"]},
        {"sources": ["webpack://a/../../etc/passwd"]}, {"sourceRoot": "../../..", "sources": ["etc/passwd"]},
        {"sourceRoot": "https://example.com/", "sources": ["src/calc.ts"]},
        {"sources": ["../.git/config"]}, {"sources": [None]}, {"sources": [7]},
    ]):  # fmt: skip
        root = _project(tmp_path / str(i), map_=_with_sources(CALC_MAP, **changes))
        (root / ".git").mkdir()
        (root / ".git" / "config").write_text("[core]\n")
        assert _placed(root) is None, changes


def test_attack_a_source_or_map_through_a_link_is_not_followed(tmp_path: Path) -> None:
    """A source that is a link to a file outside, a source under a linked folder, a map that is
    a link out, a map that is a FIFO: each refused, and the run does not block."""
    outside = tmp_path / "outside"
    (outside / "src").mkdir(parents=True)
    (outside / "src" / "calc.ts").write_text(CALC_TS)
    (outside / "calc.js.map").write_text(json.dumps(CALC_MAP))
    linked = _project(tmp_path / "linked")
    (linked / "src" / "calc.ts").unlink()
    (linked / "src" / "calc.ts").symlink_to(outside / "src" / "calc.ts")
    assert _placed(linked) is None
    folder = _project(tmp_path / "folder")
    shutil.rmtree(folder / "src")
    (folder / "src").symlink_to(outside / "src", target_is_directory=True)
    assert _placed(folder) is None
    mapped = _project(tmp_path / "mapped", map_=None)
    (mapped / "dist" / "calc.js.map").symlink_to(outside / "calc.js.map")
    assert _placed(mapped) is None
    piped = _project(tmp_path / "piped", map_=None)
    os.mkfifo(piped / "dist" / "calc.js.map")
    assert _placed(piped) is None


def test_attack_a_mapping_url_that_leaves_the_checkout_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "calc.js.map").write_text(json.dumps(CALC_MAP))  # a map beside the checkout
    for i, url in enumerate(["../../calc.js.map", "/etc/calc.js.map", str(tmp_path / "calc.js.map"),
                             "https://example.com/calc.js.map", "file:///etc/passwd",
                             "//example.com/calc.js.map", "data:text/plain,hello",
                             "../.git/config"]):  # fmt: skip
        script = CALC_JS.replace("sourceMappingURL=calc.js.map", f"sourceMappingURL={url}")
        root = _project(tmp_path / str(i), script=script)
        assert _placed(root) is None, url


def test_attack_malformed_maps_fall_back_to_the_frame(tmp_path: Path) -> None:
    """Not JSON, not version 3, an index map, mappings that are not base64 VLQ (a character
    out of the alphabet, a last digit that continues, a number past 32 bits, two fields), a
    source index past ``sources``, a NUL in a path: each places nothing and raises nothing."""
    broken: list[object] = [
        "{not json", "[]", "null", _with_sources(CALC_MAP, version=2),
        _with_sources(CALC_MAP, sections=[]), _with_sources(CALC_MAP, mappings=7),
        _with_sources(CALC_MAP, sources="src/calc.ts"),
        _with_sources(CALC_MAP, mappings=";;;;;;QAAQ!,AAAA"), _with_sources(CALC_MAP, mappings=";;;;;;g"),
        _with_sources(CALC_MAP, mappings=";;;;;;gggggggggggggA,AAAA"),
        _with_sources(CALC_MAP, mappings=";;;;;;QAAQ,AA"), _with_sources(CALC_MAP, mappings=";;;;;;QCAQ"),
        _with_sources(CALC_MAP, sources=["src/calc\0.ts"]),
    ]  # fmt: skip
    for i, map_ in enumerate(broken):
        assert _placed(_project(tmp_path / str(i), map_=map_)) is None, map_


def test_attack_a_huge_map_is_not_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bounds (a map file's bytes, the segments one run decodes, the built file's
    bytes) nothing is decoded: the bounds are lowered here, so the test writes kilobytes, not
    megabytes (at the real bounds, a map of 499,990 segments, 3.5 MB, took 1.4 CPU seconds to analyse:
    research/failure/log_frames.md)."""
    with monkeypatch.context() as bound:
        bound.setattr(source_maps, "MAX_SEGMENTS", 50)
        assert _placed(_project(tmp_path / "few", map_=_with_sources(CALC_MAP, mappings=";;;;;;QAOQ"))) \
            == ("src/calc.ts", 8)  # fmt: skip
        many = _with_sources(CALC_MAP, mappings=";;;;;;QAOQ" + ",AAAA" * 60)
        assert _placed(_project(tmp_path / "many", map_=many)) is None
        # the budget is the run's: two maps of 30 segments, the second past what is left
        shared = _project(
            tmp_path / "shared", map_=_with_sources(CALC_MAP, mappings=";;;;;;QAOQ" + ",AAAA" * 23)
        )
        shutil.copy(shared / "dist" / "calc.js", shared / "dist" / "other.js")
        (shared / "dist" / "other.js.map").write_text((shared / "dist" / "calc.js.map").read_text())
        script = (shared / "dist" / "other.js").read_text().replace("calc.js.map", "other.js.map")
        (shared / "dist" / "other.js").write_text(script)
        maps = SourceMaps(shared)
        assert maps.original("dist/calc.js", 7, 15) == ("src/calc.ts", 8)
        assert maps.original("dist/other.js", 7, 15) is None
        assert SourceMaps(shared).original("dist/other.js", 7, 15) == ("src/calc.ts", 8)
    with monkeypatch.context() as bound:
        bound.setattr(source_maps, "MAX_MAP_BYTES", 200)
        assert _placed(_project(tmp_path / "large")) is None
    with monkeypatch.context() as bound:
        bound.setattr(source_maps, "MAX_SCRIPT_BYTES", 100)
        assert _placed(_project(tmp_path / "script")) is None
