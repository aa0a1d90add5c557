"""CONTRIBUTING's worked example of adding a test runner stays true: its module, built in a copy
of the package with its one line added to ``RUNNERS``, is picked up by the seam (the table, a
failed step's command, a touched file's tests, "could not run" without the tool) and has every
member of the ``TestRunner`` protocol."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
EXAMPLE = re.compile(r"## Worked example: adding a test runner\n.*?```python\n(.*?)```", re.DOTALL)
CHECK = """
from pathlib import Path
from cicd_agent.runners import RUNNERS, for_file, running
from cicd_agent.runners.bats import Bats
assert isinstance(RUNNERS[-1], Bats)
assert isinstance(running("bats test/"), Bats)
assert Bats().tests_of("bin/deploy.sh", ["test/deploy.bats", "test/other.bats"]) == (
    "test/deploy.bats",)
said = for_file("bin/deploy.sh", Path.cwd(), {"PATH": "/nonexistent"})
assert said == "no tests were run: bats could not run: install bats before this step", said
from cicd_agent.runners.base import TestRunner
wanted = {*TestRunner.__annotations__, *(n for n in vars(TestRunner) if not n.startswith("_"))}
members = [name for name in sorted(wanted) if not hasattr(Bats(), name)]
assert {"run", "missing", "name"} <= wanted
assert not members, members
assert Bats().rerun_file("test/a b.bats") == "bats 'test/a b.bats'"
print("picked up")
"""


def test_the_worked_example_of_a_runner_is_picked_up(tmp_path: Path) -> None:
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    found = EXAMPLE.search(text)
    assert found, "CONTRIBUTING lost its worked example of adding a test runner"
    copy = tmp_path / "src" / "cicd_agent"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "verify" / "runners" / "bats.py").write_text(found.group(1), encoding="utf-8")
    table = copy / "verify" / "runners" / "__init__.py"
    source = table.read_text(encoding="utf-8")
    assert "\nRUNNERS: tuple" in source, "RUNNERS is no longer one tuple"
    head, tail = source.split("\nRUNNERS: tuple", 1)
    table.write_text(
        head.replace("from __future__ import annotations\n",
                     "from __future__ import annotations\n\n"
                     "from cicd_agent.runners.bats import Bats\n", 1)
        + "\nRUNNERS: tuple" + tail.replace("\n)\n", "\n    Bats(),\n)\n", 1),
        encoding="utf-8",
    )  # fmt: skip
    environ = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    done = subprocess.run([sys.executable, "-c", CHECK], env=environ, capture_output=True,
                          text=True, check=False, timeout=120)  # fmt: skip
    assert done.stdout.strip() == "picked up", done.stderr[-2000:]
