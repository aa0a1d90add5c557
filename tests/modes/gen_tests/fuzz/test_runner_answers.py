"""A runner candidate's answer (jest, vitest, ``go test``) and the JavaScript load-time rule
under anything a hostile model writes: the answer is a candidate or a validation error,
the gate's path stage (:func:`.runner_gate._path_problem`) answers in words, and a path it lets
through is written inside the copy, in a folder a candidate may use, never beside a name the
checkout holds as macOS or Windows see it; :func:`.load_time_problem` reads any text of any
name without raising."""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from cicd_agent.analysis.file_names import folded
from cicd_agent.local.checkout_files import CheckoutFileError, create_file
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import CANDIDATE_FOLDERS, _path_problem
from cicd_agent.modes.gen_tests.runner_prompt import RunnerTest
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.js.load_time import load_time_problem
from tests.fuzz.hostile import budget, encoded, texts
from tests.helpers.gen_tests import runner_change

SOURCES = {"src/calc.js": frozenset({2}), "pkg/calc.go": frozenset({3})}
HELD = ("src/calc.js", "src/calc.test.js", "src/__tests__/a.test.js", "pkg/calc.go",
        "pkg/calc_test.go", "package.json", "go.mod")  # fmt: skip
parts = st.sampled_from(["src", "pkg", "..", ".", "", "__tests__", "tests", ".git", ".GIT",
                         "calc.test.js", "Calc.test.js", "CALC.TEST.JS", "calc_test.go",
                         "x_test.go", "a.test.ts", "jest.config.js", "package.json", "go.mod",
                         "node_modules", "/", "\\", "\x00", "cafe\u0301.test.js", "~"])  # fmt: skip
paths = st.one_of(st.lists(st.one_of(parts, texts(8, huge=False)), max_size=5).map("/".join),
                  texts())  # fmt: skip
answers = st.fixed_dictionaries({"path": paths, "test_file": texts(), "rationale": texts()})


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("checkout")
    for name in HELD:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    os.symlink(tmp_path_factory.mktemp("outside"), root / "src" / "tests")
    return root


@budget(150)
@given(answer=st.one_of(answers.flatmap(encoded), st.binary(max_size=100)),
       go=st.booleans())  # fmt: skip
def test_any_answer_is_refused_in_words_or_written_inside_the_copy(
    checkout: Path, tmp_path_factory: pytest.TempPathFactory, answer: bytes, go: bool
) -> None:
    try:
        candidate = RunnerTest.model_validate_json(answer).candidate()
    except ValidationError:
        return
    gaps = RunnerGaps(runner_change(GoTest() if go else Jest(), SOURCES, ()), None, None)
    why = _path_problem(gaps, candidate, checkout, SOURCES, {})
    assert isinstance(why, str)
    if why:
        return
    path = PurePosixPath(candidate.path)
    assert str(path.parent) in {str(PurePosixPath(s).parent / sub) for s in SOURCES
                                for sub in CANDIDATE_FOLDERS}  # fmt: skip
    assert all(folded(path.as_posix()) != folded(held) for held in HELD)
    copy = tmp_path_factory.mktemp("copy")
    shutil.copytree(checkout, copy, symlinks=True, dirs_exist_ok=True)
    try:
        create_file(copy, candidate.path, candidate.text)
    except (CheckoutFileError, OSError):
        return
    written = Path(os.path.realpath(copy / candidate.path))
    assert written.is_file() and written.is_relative_to(os.path.realpath(copy))


js_pieces = st.sampled_from(["{", "}", "(", ")", "[", "]", "`", "${", "'", '"', "/", "//", "/*",
                             "*/", "<!--", "-->", "=>", "=", "?.", "!", "<", ">", ";", "\n",
                             "\r", "\u2028", "get ", "static ", "class A ", "function f() ",
                             "Object.is = () => true", "new Map<K, V>()", "import 'x'",
                             "require('./a.txt')", "export ", "const a = "])  # fmt: skip
sources = st.one_of(st.lists(st.one_of(js_pieces, texts(6, huge=False)), max_size=30).map("".join),
                    texts(huge=False))  # fmt: skip
"""Short hostile text: the size bound is its own unit test (a large file is not lexed)."""


@budget(150)
@given(name=st.sampled_from(["a.js", "a.ts", "a.tsx", "a.jsx", "a.mjs", "a.d.ts", "hook", "a.md"]),
       before=st.one_of(st.none(), sources), after=st.one_of(st.none(), sources))  # fmt: skip
def test_the_load_time_rule_reads_any_text_of_any_name(
    name: str, before: str | None, after: str | None
) -> None:
    said = load_time_problem(f"src/{name}", before, after)
    assert isinstance(said, str) and "\n" not in said
    if before == after and after is not None:
        assert said == "" or "otherwise than this check" not in said
