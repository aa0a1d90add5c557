"""A hostile log and source map cost the mode little and put nothing raw where it is shown.

The log and every file of the checkout are the pull request's: a test can print a frame with
a column of thousands of digits, or name one line of a minified bundle (one line, hundreds of
thousands of mappings) thousands of times; a map's mappings can be one endless segment; a map's
``sources`` can name a file whose name holds a line feed, a workflow command and a
bidirectional override, which no log's frame could carry. Maps here are written by hand."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from cicd_agent.actions.runner_io import format_command
from cicd_agent.modes.analyse_failure.log_facts import ResponsibleFile
from cicd_agent.modes.analyse_failure.logs import source_maps
from cicd_agent.modes.analyse_failure.logs.source_maps import SourceMaps
from cicd_agent.modes.analyse_failure.result import FailureResult, JobOutcome, Responsible
from tests.modes.analyse_failure.job_logs import step_analysis


def _bundle(root: Path, mappings: str, sources: list[str]) -> Path:
    """A checkout with ``dist/app.js`` (one line) and its map, and each of ``sources`` under
    ``src/``."""
    (root / "dist").mkdir(parents=True)
    (root / "src").mkdir()
    for name in sources:
        (root / "src" / name).write_text("export const x = 1;\n" * 40)
    (root / "dist" / "app.js").write_text("var x=1;\n//# sourceMappingURL=app.js.map\n")
    map_ = {"version": 3, "sources": [f"../src/{n}" for n in sources], "mappings": mappings}
    (root / "dist" / "app.js.map").write_text(json.dumps(map_))
    return root


def _files(output: bytes, dest: Path, checkout: Path) -> dict[str, ResponsibleFile]:
    analysis = step_analysis(dest, "node --test", output, checkout=checkout)
    return {f.path: f for f in analysis.responsible_files}


def test_attack_a_column_of_thousands_of_digits_raises_nothing(tmp_path: Path) -> None:
    """``int()`` raises past 4,300 digits: such a column names none (the line's first mapping
    places the frame), as a line of that many digits names no line. Before: ValueError."""
    root = _bundle(tmp_path / "repo", "AAAA", ["calc.ts"])
    log = b"TypeError: boom\n    at mean (dist/app.js:1:" + b"7" * 5000 + b")\n"
    assert _files(log, tmp_path / "logs", root)["src/calc.ts"].lines == (1,)


def test_attack_a_bundle_line_named_thousands_of_times_is_looked_up_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A minified bundle is one line of every mapping; a log can name it at every column. Each
    frame finds its mapping among the line's sorted segments and each source is looked for in
    the checkout once. Before: every frame walked the line's segments and the checkout's
    folders again (2,000 frames of a 400,000-segment line took 54 CPU seconds)."""
    root = _bundle(tmp_path / "repo", "AAAA" + ",CACA" * 20_000, ["calc.ts"])
    looks: list[str] = []
    real = source_maps.is_file
    monkeypatch.setattr(
        source_maps, "is_file", lambda at, path: looks.append(str(path)) or real(at, path)
    )
    maps = SourceMaps(root)
    placed = [maps.original("dist/app.js", 1, column) for column in range(1, 20_001, 40)]
    assert placed == [("src/calc.ts", column) for column in range(1, 20_001, 40)]
    assert maps.original("dist/app.js", 1, None) == ("src/calc.ts", 1)
    assert looks == ["src/calc.ts"], looks[:5]


class _Counted(dict[str, int]):
    """The base64 alphabet, counting the characters looked up."""

    looked = 0

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        type(self).looked += 1
        return super().get(key, default)


def test_attack_one_endless_segment_is_not_read_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's budget counts segments by their separators, so a map of one segment of
    millions of fields would cost one: a segment stops at its sixth field, malformed. Before:
    every character was decoded (an 8 MB map, 2.6 CPU seconds, for each of 16 built files)."""
    root = _bundle(tmp_path / "repo", "A" * 100_000, ["calc.ts"])
    monkeypatch.setattr(source_maps, "_DIGITS", _Counted(source_maps._DIGITS))
    assert SourceMaps(root).original("dist/app.js", 1, 1) is None
    assert _Counted.looked <= 6, _Counted.looked


def test_attack_a_source_name_carrying_commands_is_shown_escaped(tmp_path: Path) -> None:
    """A map's ``sources`` can name a file whose name holds a line feed, a workflow command,
    a bidirectional override and Markdown (no frame of a log can: its paths have no space).
    It is the checkout's file, so it is named; the summary shows it escaped in inline code and
    the annotation's file property stays on its one line."""
    name = "x\n::error file=ci.yml::owned\u202e<img src=x>`@org.ts"
    root = _bundle(tmp_path / "repo", "AAAA", [name])
    found = _files(b"TypeError: boom\n    at mean (dist/app.js:1:1)\n", tmp_path / "logs", root)
    assert found[f"src/{name}"].lines == (1,) and not found[f"src/{name}"].frame, found
    result = FailureResult(
        mode="analyse-failure", headline="", failure_type="test_failure",
        deterministic_failure_type="test_failure", root_cause="TypeError: boom",
        confidence=0.8, signature="s", excerpt="",
        failed_jobs=[JobOutcome(name="test", failed_step="Test", conclusion="failure",
                                failure_type="test_failure")],
        responsible_files=[Responsible(path=f"src/{name}", lines=[1])],
    )  # fmt: skip
    summary = result.summary_body()
    assert "x\\n::error file=ci.yml::owned\\u202e<img src=x>`@org.ts" in summary
    assert "\u202e" not in summary and "\n::error" not in summary
    (annotation,) = result.annotations()
    command = format_command(annotation.level, annotation.message, {"file": annotation.file})
    assert command.count("::") == 2 and "\n" not in command and "\u202e" not in command, command


def test_attack_a_map_of_millions_of_sources_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each map's ``sources`` are kept for the run: 2 million one-letter sources fit in an 8 MB
    map, about 120 MB of strings, and 16 built files are read. The run's budget counts the
    sources as it counts the mappings (lowered here). Before: only the mappings counted (16
    maps of 550,000 sources each: 670 MB resident, 15 CPU seconds)."""
    monkeypatch.setattr(source_maps, "MAX_SEGMENTS", 50)
    root = _bundle(tmp_path / "repo", "AAAA", ["calc.ts", *(f"{i}.ts" for i in range(60))])
    assert SourceMaps(root).original("dist/app.js", 1, 1) is None
    few = _bundle(tmp_path / "few", "AAAA", ["calc.ts", *(f"{i}.ts" for i in range(40))])
    assert SourceMaps(few).original("dist/app.js", 1, 1) == ("src/calc.ts", 1)


def test_attack_sixteen_large_maps_are_not_all_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing a map costs its bytes whatever it holds (8 MB of ``names`` is about a CPU
    second), and 16 built files are looked at: the run parses at most ``MAX_RUN_MAP_BYTES`` of
    maps in all (lowered here), inline ones included; past what is left, the frame stays as
    printed. Before: 16 maps of 8 MB each were parsed (12 CPU seconds)."""
    root = _bundle(tmp_path / "repo", "AAAA", ["calc.ts"])
    size = (root / "dist" / "app.js.map").stat().st_size
    script = (root / "dist" / "app.js").read_text()
    inline = base64.b64encode((root / "dist" / "app.js.map").read_bytes()).decode()
    (root / "dist" / "inline.js").write_text(
        script.replace("app.js.map", f"data:application/json;base64,{inline}")
    )
    (root / "dist" / "copy.js").write_text(script)
    monkeypatch.setattr(source_maps, "MAX_RUN_MAP_BYTES", 2 * size)
    maps = SourceMaps(root)
    assert maps.original("dist/app.js", 1, 1) == ("src/calc.ts", 1)
    assert maps.original("dist/inline.js", 1, 1) == ("src/calc.ts", 1)
    assert maps.original("dist/copy.js", 1, 1) is None
