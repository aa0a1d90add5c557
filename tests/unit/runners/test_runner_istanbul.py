"""istanbul's coverage map as jest and vitest write it (:mod:`.istanbul`): a statement counts on
its first line, ran where its count is above zero, and a file the map leaves out is not
measured, never covered. The map's shape is istanbul's ``coverage-final.json``
(istanbul-lib-coverage's FileCoverage: ``statementMap`` and ``s``); the runs that write real
ones are test_runner_js.py's."""

from __future__ import annotations

from cicd_agent.runners.js.istanbul import read_coverage


def _code(file: str) -> bool:
    return False  # every file of these maps holds code


def _entry(statements: dict[str, tuple[int, int]], counts: dict[str, object]) -> dict[str, object]:
    return {
        "statementMap": {key: {"start": {"line": start, "column": 0}, "end": {"line": end, "column": 1}}
                         for key, (start, end) in statements.items()},
        "s": counts,
    }  # fmt: skip


def test_a_statement_counts_on_its_first_line_and_ran_where_its_count_is_above_zero() -> None:
    found = {"/repo/src/calc.js": _entry({"0": (1, 1), "1": (2, 4), "2": (6, 6), "3": (7, 7)},
                                         {"0": 1, "1": 3, "2": 0, "3": True})}  # fmt: skip
    assert read_coverage(found, "/repo", ["src/calc.js"], _code) == (
        {"src/calc.js": frozenset({1, 2})}, {"src/calc.js": frozenset({1, 2, 6, 7})}, "")


def test_a_file_the_map_leaves_out_or_no_map_is_not_measured() -> None:
    found = {"/elsewhere/src/calc.js": _entry({"0": (1, 1)}, {"0": 1})}
    assert read_coverage(found, "/repo", ["src/calc.js"], _code) == (
        None, None, "its coverage map leaves out src/calc.js")
    assert read_coverage(None, "/repo", ["src/calc.js"], _code)[2].startswith("the run left no coverage map")


def test_a_left_out_file_of_types_alone_has_no_line_and_the_rest_is_measured() -> None:
    """Seen on ts-pattern: jest's map leaves out ``src/types/Match.ts`` (types alone) beside
    the real code it measured, and the whole change was "not measured"."""
    found = {"/repo/src/match.ts": _entry({"0": (1, 1), "1": (2, 2)}, {"0": 1, "1": 0})}
    assert read_coverage(found, "/repo", ["src/match.ts", "src/types.ts"],
                         lambda file: file == "src/types.ts") == (
        {"src/match.ts": frozenset({1}), "src/types.ts": frozenset()},
        {"src/match.ts": frozenset({1, 2}), "src/types.ts": frozenset()}, "")  # fmt: skip


def test_attack_every_left_out_file_of_code_is_named_beside_one_of_types() -> None:
    """Attack: a file of code the project's coverage settings leave out stays "not measured"
    beside one of types alone, and each such file is named."""
    found = {"/repo/src/match.ts": _entry({"0": (1, 1)}, {"0": 1})}
    assert read_coverage(found, "/repo", ["src/a.ts", "src/match.ts", "src/types.ts", "src/z.ts"],
                         lambda file: file == "src/types.ts") == (
        None, None, "its coverage map leaves out src/a.ts, src/z.ts")  # fmt: skip
