"""A failed job's log is the pull request's word, whatever shape it takes: a line that reads as a
``go test -json`` event can carry any escape JSON allows, a lone surrogate (``\\ud800``) among
them, which no file name or text encodes. The log reader reads such an event as the project's
one JSON reader does (the surrogate as U+FFFD) and never crashes on it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.logs import source_maps
from cicd_agent.modes.analyse_failure.logs.source_maps import SourceMaps
from cicd_agent.runners.go import modules
from tests.modes.analyse_failure.job_logs import step_analysis


def _responsible(tmp_path: Path, run: str, log: str, repo: Path) -> list[str]:
    analysis = step_analysis(tmp_path / "logs", run, log.encode(), checkout=repo)
    return [f.path for f in analysis.responsible_files]


def test_attack_a_go_event_carrying_a_lone_surrogate_crashes_nothing(tmp_path: Path) -> None:
    """A test that prints a line shaped as go's JSON event, its ``Output`` a frame whose path
    holds ``\\ud800``: before, the event's text reached the signature matcher and the checkout
    lookups as a string no codec encodes, and the mode crashed (UnicodeEncodeError)."""
    repo = tmp_path / "repo"
    (repo / "calc").mkdir(parents=True)
    (repo / "go.mod").write_text("module example.com/shop\n")
    (repo / "calc" / "calc.go").write_text("package calc\n")
    events = [
        r'{"Action":"output","Output":"panic: boom\n"}',
        r'{"Action":"output","Output":"\t/app/calc/\ud800calc.go:7 +0x1d\n"}',
        r'{"Action":"output","Output":"\texample.com/shop/calc/\udfff.go:7 +0x1d\n"}',
        r'{"Action":"output","Output":"FAIL\texample.com/shop/calc\t0.1s\n"}',
    ]
    paths = _responsible(tmp_path, "go test -json ./...", "\n".join(events), repo)
    assert all(p.encode() for p in paths), paths
    assert any("\ufffdcalc.go" in p for p in paths), paths


def test_attack_a_folder_named_in_bytes_no_text_holds_is_no_files_place(tmp_path: Path) -> None:
    """A pull request's folder whose name is not UTF-8 (``sh\\xffop/``) holding the module a
    trimmed Go frame names: before, the frame was placed at a path holding ``\\udcff`` (the
    file system's escape of the byte), which no report can write (UnicodeEncodeError on every
    later encoding of it). A file no text can name is nobody's place."""
    repo = tmp_path / "repo"
    repo.mkdir()
    bad = bytes(repo) + b"/sh\xffop"
    os.makedirs(bad + b"/calc")
    Path(os.fsdecode(bad + b"/go.mod")).write_text("module example.com/shop\n")
    Path(os.fsdecode(bad + b"/calc/calc.go")).write_text("package calc\n")
    log = "panic: boom\n\ngoroutine 1 [running]:\n\texample.com/shop/calc/calc.go:7 +0x1d\n"
    paths = _responsible(tmp_path, "go test ./...", log + "FAIL\texample.com/shop/calc\t0.1s\n", repo)
    assert all(p.encode() for p in paths), paths
    assert "example.com/shop/calc/calc.go" in paths, paths  # shown as the frame it is


def test_attack_a_deep_bundle_of_many_webpack_sources_costs_few_looks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle 20 folders down whose map names thousands of ``webpack://`` sources, each line
    of it another, and a log naming every line: each source was looked for from the map's
    folder and every folder above it (2,000 sources 60 folders down: 124,000 looks, 28 CPU
    seconds; a map keeps up to 500,000 sources). Now a source is looked for a few folders up
    at most, and a run places a bounded number of sources (past them, frames stay as
    printed)."""
    monkeypatch.setattr(source_maps, "MAX_SOURCES_PLACED", 40)
    deep = "/".join(["a"] * 20)
    (tmp_path / deep / "dist").mkdir(parents=True)
    (tmp_path / deep / "src").mkdir()
    (tmp_path / deep / "src" / "s0.js").write_text("export const x = 1;\n")
    (tmp_path / deep / "dist" / "app.js").write_text("x\n//# sourceMappingURL=app.js.map\n")
    sources = [f"webpack://shop/./src/s{i}.js" for i in range(100)]
    map_ = {"version": 3, "sources": sources, "mappings": "AAAA" + ";ACAA" * 99}
    (tmp_path / deep / "dist" / "app.js.map").write_text(json.dumps(map_))
    looks: list[str] = []
    real = source_maps.is_file
    monkeypatch.setattr(source_maps, "is_file", lambda at, p: looks.append(str(p)) or real(at, p))
    maps = SourceMaps(tmp_path)
    placed = [maps.original(f"{deep}/dist/app.js", line, 1) for line in range(1, 101)]
    assert placed[0] == (f"{deep}/src/s0.js", 1)
    assert placed[40:] == [None] * 60
    assert len(looks) <= 40 * (source_maps.MAX_CLIMB + 1) < 40 * 21, len(looks)


def test_attack_many_go_mod_files_of_one_module_path_cost_few_looks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout of many ``go.mod`` files declaring one module path, and a log naming
    thousands of trimmed frames under it: each frame was looked for in every module's folder
    (200 modules, 2,000 frames: 400,000 looks, 21 CPU seconds). A run's looks for trimmed
    frames are bounded; past them, frames stay as printed."""
    monkeypatch.setattr(modules, "MAX_LOOKS", 100)
    (tmp_path / "go.mod").write_text("module example.com/shop\n")
    (tmp_path / "calc").mkdir()
    (tmp_path / "calc" / "calc.go").write_text("package calc\n")
    for i in range(30):
        (tmp_path / f"w{i:02}").mkdir()
        (tmp_path / f"w{i:02}" / "go.mod").write_text("module example.com/shop\n")
    looks: list[str] = []
    real = modules.is_file
    monkeypatch.setattr(modules, "is_file", lambda at, p: looks.append(str(p)) or real(at, p))
    found = modules.GoModules(tmp_path)
    assert found.file("example.com/shop/calc/calc.go") == "calc/calc.go"
    assert [found.file(f"example.com/shop/calc/c{i}.go") for i in range(50)] == [None] * 50
    assert len(looks) <= 100 < 50 * 31, len(looks)
