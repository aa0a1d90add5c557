"""The settings files of a pull request's checkout (``package.json``, ``pyproject.toml``,
``setup.cfg``, ``tox.ini``, ``mypy.ini``, ``Cargo.toml``), read by the fix judge and the
suggestion check (which settings a patch edits, which plugins the settings load) and by review
(is a manifest's change only a version bump): each reader answers, taking text it cannot read
as changed or as naming nothing, never with an exception."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cicd_agent.analysis.change_types import version_only
from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand
from cicd_agent.modes.analyse_failure.fix.judge.runner_settings import settings_change
from cicd_agent.modes.analyse_failure.fix.judge.step_files import named_files
from tests.fuzz.hostile import budget, documents, json_values, mutated, texts

PACKAGE = {"name": "x", "version": "1.0.0", "scripts": {"test": "jest"}, "eslintConfig": {}}
PYPROJECT = (
    '[project]\nname = "x"\nversion = "1.0"\n[tool.pytest.ini_options]\naddopts = "-p x"\n'
    '[tool.mypy]\nplugins = ["pydantic.mypy"]\n'
)
CFG = "[tool:pytest]\naddopts = -p plugin\n[mypy]\nplugins = a.b\n"
NAMES = ["package.json", "pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "mypy.ini",
         "Cargo.toml", ".eslintrc.json"]  # fmt: skip
DEEP = ["a = " + "[" * 100_000, "a = " + "{b = " * 50_000, "[" * 100_000, '{"a": ' * 100_000]


def file_texts() -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.none(),
        st.sampled_from([*DEEP, PYPROJECT, CFG, json.dumps(PACKAGE)]),
        mutated(PACKAGE).map(json.dumps),
        json_values.map(json.dumps),
        documents().map(lambda data: data.decode("utf-8", "replace")),
        texts(80),
        st.builds(lambda text, at, piece: text[:at] + piece + text[at:],
                  st.sampled_from([PYPROJECT, CFG]), st.integers(0, 120), texts(20)),
    )  # fmt: skip


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("checkout")


@budget(80)
@given(name=st.sampled_from(NAMES), before=file_texts(), after=file_texts())
@example(name="pyproject.toml", before=PYPROJECT, after="a = " + "[" * 100_000)
@example(name="package.json", before=json.dumps(PACKAGE), after="[" * 100_000)
def test_any_settings_change_is_judged(
    checkout: Path, name: str, before: str | None, after: str | None
) -> None:
    said = settings_change(name, before, after)
    assert isinstance(said, str) and "\n" not in said
    version_only(name, before or "", after or "")
    for old in checkout.iterdir():
        old.unlink()
    if after is not None:
        (checkout / name).write_bytes(after.encode("utf-8", "surrogatepass"))
    failing = FailingCommand("test", "Run tests", "pytest -q", "pytest -q")
    assert isinstance(named_files(failing, checkout), tuple)
