"""istanbul's coverage map as jest and vitest write it (:mod:`.istanbul`): a statement counts on
its first line, ran where its count is above zero, and a file the map leaves out is not
measured, never covered. The map's shape is istanbul's ``coverage-final.json``
(istanbul-lib-coverage's FileCoverage: ``statementMap`` and ``s``); the runs that write real
ones are test_runner_js.py's."""

from __future__ import annotations

from cicd_agent.verify.runners.istanbul import read_coverage


def _entry(statements: dict[str, tuple[int, int]], counts: dict[str, object]) -> dict[str, object]:
    return {
        "statementMap": {key: {"start": {"line": start, "column": 0}, "end": {"line": end, "column": 1}}
                         for key, (start, end) in statements.items()},
        "s": counts,
    }  # fmt: skip


def test_a_statement_counts_on_its_first_line_and_ran_where_its_count_is_above_zero() -> None:
    found = {"/repo/src/calc.js": _entry({"0": (1, 1), "1": (2, 4), "2": (6, 6), "3": (7, 7)},
                                         {"0": 1, "1": 3, "2": 0, "3": True})}  # fmt: skip
    assert read_coverage(found, "/repo", ["src/calc.js"]) == (
        {"src/calc.js": frozenset({1, 2})}, {"src/calc.js": frozenset({1, 2, 6, 7})}, "")


def test_a_file_the_map_leaves_out_or_no_map_is_not_measured() -> None:
    found = {"/elsewhere/src/calc.js": _entry({"0": (1, 1)}, {"0": 1})}
    assert read_coverage(found, "/repo", ["src/calc.js"]) == (
        None, None, "its coverage map leaves out src/calc.js")
    assert read_coverage(None, "/repo", ["src/calc.js"])[2].startswith("the run left no coverage map")
