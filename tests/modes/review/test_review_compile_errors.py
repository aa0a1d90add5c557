"""Compiler and type-checker output read as data, from the checkers' own output: real mypy
(the dev environment's) and real go (harness-installed), read whole."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cicd_agent.modes.review.lint.compile_errors import go_type_errors, mypy_errors, mypy_finished
from tests.helpers.toolchains import needs_go


def test_real_mypy_output_is_read_with_its_notes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "def f(x: int) -> str:\n    return x\n\n\ndef g(items: list[int]) -> None:\n"
        "    items.append('x')\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-pretty", "--show-column-numbers",
         "--show-error-codes", "--hide-error-context", "--no-color-output",
         "--cache-dir=/dev/null", "a.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    errors = mypy_errors(done.stdout)
    assert [(path, line, code) for path, line, code, _ in errors] == [
        ("a.py", 2, "return-value"), ("a.py", 6, "arg-type")]  # fmt: skip
    assert '"int", expected "str"' in errors[0][3]
    assert mypy_finished(done.stdout)
    assert not mypy_finished("a.py:1: error: x  [misc]\n")  # cut before its closing line


@needs_go
def test_real_go_type_errors_are_read_from_vets_lines(tmp_path: Path) -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go here")
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.19\n")
    (tmp_path / "a.go").write_text(
        "package m\n\nfunc F() int64 {\n\tvar n int = 1\n\treturn n\n}\n"
    )
    done = subprocess.run(
        [go, "vet", "./..."], cwd=tmp_path, capture_output=True, text=True, check=False,
        env={**os.environ, "GOPROXY": "off", "GOFLAGS": "", "GOTOOLCHAIN": "local",
             "GOCACHE": str(tmp_path / "cache"), "HOME": str(tmp_path)},
        timeout=300,
    )  # fmt: skip
    (error,) = go_type_errors(done.stderr.splitlines())
    assert error[:3] == ("a.go", 5, "typecheck") or error[:3] == ("./a.go", 5, "typecheck")
    assert "int64" in error[3]
