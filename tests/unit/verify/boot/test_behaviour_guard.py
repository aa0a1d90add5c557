"""The fail-to-pass test's guard, loaded as the judge loads it (``-p`` by module name, in
pytest's own process: its audit hook cannot be removed, so never in this one). The attacks: a
test that reads the code under test through a frame it asks for from inside that code, a
traceback's frame, a module it writes and imports, or code it compiles under the checkout's
file name. What stays a test's own business: its own functions' code, a dataclass, the code
under test logging as it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GUARD = "cicd_agent.verify.boot.behaviour_guard"
OPS = "import logging\n\n\ndef mean(xs):\n    logging.getLogger('calc').warning('mean')\n" \
      "    return sum(xs) / len(xs)\n"  # fmt: skip
READS = {
    "a frame asked for inside the code": "    class Xs(list):\n        def __len__(self):\n"
    "            SEEN.append(sys._getframe(1).f_lineno)\n            return 1\n\n"
    "    mean(Xs())\n",
    "a traceback's frame": "    try:\n        mean([])\n    except ZeroDivisionError as exc:\n"
    "        SEEN.append(exc.__traceback__.tb_next.tb_frame.f_locals)\n",
    "a module it writes and imports": "    Path('peek.py').write_text('from calc.ops import mean\\n"
    "C = mean.__code__\\n')\n    sys.path.insert(0, '.')\n    import peek\n",
    "code compiled under the checkout's name": "    exec(compile('from calc.ops import mean\\n"
    "C = mean.__code__\\n', 'calc/ops.py', 'exec'), {})\n",
}
OWN = "    assert test_mean.__code__.co_name == 'test_mean'\n\n    @dataclasses.dataclass\n" \
      "    class Case:\n        xs: list\n\n    assert mean(Case([1, 3]).xs) == 2\n"  # fmt: skip
SAID = "the test reads the code under test"


def _run(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    project = tmp_path / "project"
    (project / "calc").mkdir(parents=True)
    (project / "calc" / "__init__.py").write_text("")
    (project / "calc" / "ops.py").write_text(OPS)
    head = "import dataclasses\nimport sys\nfrom pathlib import Path\n\nfrom calc.ops import mean\n"
    test = f"{head}\nSEEN = []\n\n\ndef test_mean():\n{body}"
    (project / "test_mean.py").write_text(test)
    setting = {"test": "test_mean.py", "fixed": ["./calc/ops.py"], "exit": 87, "said": SAID}
    environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "CICD_F2P_GUARD": json.dumps(setting)}
    environ.pop("PYTEST_ADDOPTS", None)
    argv = [sys.executable, "-m", "pytest", "-q", "-p", GUARD, "-p", "no:cacheprovider", "."]
    return subprocess.run(argv, cwd=project, env=environ, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize("how", READS)
def test_attack_a_test_that_reaches_the_code_under_tests_code_is_stopped(
    tmp_path: Path, how: str
) -> None:
    done = _run(tmp_path, READS[how])
    assert done.returncode == 87, done.stdout + done.stderr
    assert f"{SAID} (" in done.stderr and " at " in done.stderr


def test_a_tests_own_code_a_dataclass_and_logging_in_the_code_are_no_reading(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path, OWN)
    assert done.returncode == 0, done.stdout + done.stderr
    assert SAID not in done.stderr


def test_without_its_setting_the_guard_adds_no_hook() -> None:
    """Imported here (no ``CICD_F2P_GUARD``), it does nothing: this process keeps no hook."""
    assert "CICD_F2P_GUARD" not in os.environ
    import cicd_agent.verify.boot.behaviour_guard as guard  # the import is the test

    assert guard.install() is None
