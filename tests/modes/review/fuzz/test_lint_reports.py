"""Linter reports a job's own tools wrote, under any content (review's linters and its
suggestion check): each reader gives its hits or its documented refusal (an unreadable report),
never another exception. JUnit XML's readers: tests/fuzz/test_reports.py.

The code under test writes these reports, so they are the pull request's text: cut and
non-UTF-8 bytes, any JSON value, and real-shaped reports with one value made hostile."""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from cicd_agent.modes.review.lint.lint_fixes import fixed_lines
from cicd_agent.modes.review.lint.lint_reports import UnreadableReport, read_report
from tests.fuzz.hostile import budget, documents, json_values, mutated, texts

RUFF = [
    {
        "code": "F401",
        "filename": "/work/src/a.py",
        "message": "`os` imported but unused",
        "location": {"row": 1, "column": 8},
        "end_location": {"row": 1, "column": 10},
        "fix": {
            "applicability": "safe",
            "edits": [
                {
                    "content": "",
                    "location": {"row": 1, "column": 1},
                    "end_location": {"row": 2, "column": 1},
                }
            ],
        },
    }
]
ESLINT = [
    {
        "filePath": "/work/src/a.js",
        "messages": [
            {
                "ruleId": "no-var",
                "severity": 2,
                "message": "Unexpected var.",
                "line": 1,
                "column": 1,
                "fix": {"range": [0, 3], "text": "let"},
            }
        ],
    }
]
GOLANGCI = {
    "Issues": [
        {
            "FromLinter": "errcheck",
            "Text": "unchecked",
            "Severity": "",
            "Pos": {"Filename": "a.go", "Line": 3, "Column": 2},
        }
    ]
}
BIOME = {
    "diagnostics": [
        {
            "category": "lint/style",
            "severity": "error",
            "message": "m",
            "location": {"path": {"file": "a.ts"}, "start": {"line": 1, "column": 1}},
        }
    ]
}
CLIPPY = [
    {
        "reason": "compiler-message",
        "message": {
            "code": {"code": "clippy::x"},
            "level": "warning",
            "message": "m",
            "spans": [{"is_primary": True, "file_name": "src/lib.rs", "line_start": 2}],
        },
    },
    {"reason": "build-finished", "success": True},
]
SEEDS = {
    "ruff": RUFF,
    "eslint": ESLINT,
    "golangci-lint": GOLANGCI,
    "biome": BIOME,
    "clippy": CLIPPY,
}


def lint_output(kind: str) -> st.SearchStrategy[str]:
    def text(document: object) -> str:
        if kind == "clippy" and isinstance(document, list):
            return "\n".join(json.dumps(line) for line in document)
        return json.dumps(document)

    return st.one_of(
        mutated(SEEDS[kind], edits=2).map(text),
        mutated(SEEDS[kind], edits=2).map(text),
        documents().map(lambda data: data.decode("utf-8", "replace")),
        json_values.map(json.dumps),
    )


@budget(60)
@given(
    kind_and_text=st.sampled_from(sorted(SEEDS)).flatmap(
        lambda k: st.tuples(st.just(k), lint_output(k))
    ),
    source=texts(60),
)
@example(kind_and_text=("ruff", json.dumps([{**RUFF[0], "location": {"row": 1e999}}])), source="")
def test_any_linter_report_gives_hits_or_is_unreadable(kind_and_text: tuple[str, str], source: str):
    kind, text = kind_and_text
    try:
        hits = read_report(kind, text, "/work")
    except UnreadableReport:
        return
    for hit in hits:
        assert isinstance(hit.line, int)
        if hit.edits:
            fixed_lines(source, hit.edits)
