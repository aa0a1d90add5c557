"""One pytest run with gen-tests' plugin, outside any sandbox: what it wrote on its pipe."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from cicd_agent.runners.pytest import boot
from tests.helpers.gen_tests import PROJECT_PYTHON

PLUGIN = "cicd_agent_pytest_plugin"
"""Loaded as the gate loads it: by its name, its boot folder first on ``PYTHONPATH``, in the
projects' own interpreter (no package of ours imported first)."""
BOOT = str(Path(boot.__file__).parent)


def plugin_evidence(folder: Path, test_file: str) -> dict[str, object]:
    """Run pytest on ``test_file`` in ``folder`` with the plugin: the JSON it wrote."""
    read, write = os.pipe()
    environ = {**os.environ, "CICD_GENTESTS_EVIDENCE_FD": str(write), "PYTHONDONTWRITEBYTECODE": "1",
               "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": BOOT}  # only ours: a cheaper start
    environ.pop("PYTEST_ADDOPTS", None)
    subprocess.run([PROJECT_PYTHON, "-m", "pytest", "-q", "-p", PLUGIN, "-p", "no:cacheprovider",
                    test_file], cwd=folder, env=environ, pass_fds=(write,), capture_output=True,
                   check=False, timeout=120)  # fmt: skip
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        found: dict[str, object] = json.loads(pipe.read().decode().splitlines()[0])
    return found
