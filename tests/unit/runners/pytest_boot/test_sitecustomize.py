"""The sandbox's ``sitecustomize``: first on ``PYTHONPATH``, it starts coverage in every Python
process of a measured run, subprocesses included, before any project code; the project's own
``sitecustomize`` still runs. Run as the sandbox runs it (Python imports it at start-up under
the name ``sitecustomize``): importing it here would run it in this process."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import coverage

from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.helpers.sandbox import needs_sandbox

MODULE = "cicd_agent.runners.pytest.boot.sitecustomize"


def _boot(tmp_path: Path) -> Path:
    """A boot folder holding the module as ``sitecustomize.py`` and our coverage beside it in
    ``covlib``, as the sandbox lays it out."""
    spec = importlib.util.find_spec(MODULE)
    assert spec is not None and spec.origin is not None
    boot = tmp_path / "boot"
    boot.mkdir()
    shutil.copy(spec.origin, boot / "sitecustomize.py")
    shutil.copytree(Path(coverage.__file__).parent, boot / "covlib" / "coverage",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    return boot


def _run(tmp_path: Path, *, measured: bool) -> subprocess.CompletedProcess[str]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "sitecustomize.py").write_text("import os\nos.environ['PROJECT_SITE_RAN'] = 'yes'\n")
    (project / "child.py").write_text("def work(x):\n    return x * 2\n\n\nprint(work(21))\n")
    (project / "main.py").write_text(
        "import os, subprocess, sys\n"
        "print('project site:', os.environ.get('PROJECT_SITE_RAN'))\n"
        "subprocess.run([sys.executable, 'child.py'], check=True)\n"
    )
    (tmp_path / "coverage.ini").write_text(
        f"[run]\nparallel = True\ndata_file = {tmp_path / 'data' / '.coverage'}\n"
        f"source = {project}\n"
    )
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_boot(tmp_path)), str(project)])}
    environ.pop("COVERAGE_PROCESS_START", None)
    if measured:
        environ["COVERAGE_PROCESS_START"] = str(tmp_path / "coverage.ini")
    (tmp_path / "data").mkdir()
    # The bare interpreter, as a project's may be: no coverage installed, and none of the
    # start-up hooks this environment's coverage installs, so only the boot file can start it.
    python = getattr(sys, "_base_executable", sys.executable)
    return subprocess.run([python, "main.py"], cwd=project, env=environ,
                          capture_output=True, text=True, check=True, timeout=120)  # fmt: skip


def test_every_process_of_a_measured_run_is_measured_and_the_projects_site_still_runs(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path, measured=True)
    assert done.stdout.splitlines() == ["project site: yes", "42"]
    measured: dict[str, list[int]] = {}
    for path in (tmp_path / "data").iterdir():  # one data file per process
        data = coverage.CoverageData(basename=str(path))
        data.read()
        for name in data.measured_files():
            lines = measured.setdefault(Path(name).name, [])
            lines[:] = sorted({*lines, *(data.lines(name) or [])})
    assert measured["child.py"] == [1, 2, 5]  # the subprocess, from its first line
    assert measured["main.py"] == [1, 2, 3]


def test_without_a_configuration_nothing_is_measured(tmp_path: Path) -> None:
    done = _run(tmp_path, measured=False)
    assert done.stdout.splitlines() == ["project site: yes", "42"]
    assert list((tmp_path / "data").iterdir()) == []


@needs_sandbox
def test_a_sandboxed_run_loads_our_coverage_from_compiled_files(tmp_path: Path) -> None:
    """Runs write no bytecode, so a copy without its compiled files made every measured run
    compile coverage's modules again; the sandbox's copy holds valid ones, which the run's
    interpreter loads (``python -v`` says where each module's code came from). So do the
    in-run check, its guard and the pytest-cov stand-in, written per sandbox under fresh names (a
    run of their own: a run's output keeps only its tail)."""
    (tmp_path / "checkout").mkdir()
    with PytestSandbox(tmp_path / "checkout", {"PATH": os.environ["PATH"]}) as sandbox:
        covlib, in_run_check = sandbox.boot / "covlib", sandbox.in_run_check
        ours = f"import pytest, {in_run_check.module}, {in_run_check.module}_guard, {sandbox.cov_stand_in}"
        runs = [sandbox.run(["python", "-v", "-c", code], sandbox.workspace("import"), timeout=120)
                for code in (f"import sys; sys.path.insert(0, {str(covlib)!r}); import coverage",
                             f"{ours}; import os; os._exit(0)")]  # fmt: skip
    assert [run.returncode for run in runs] == [0, 0], runs[0].output[-2000:]
    loaded = [line for line in runs[0].output.splitlines() if line.startswith("# code object from")]
    coverage = [line for line in loaded if str(covlib) in line]
    assert len(coverage) > 20 and all(line.endswith(".pyc'") for line in coverage), loaded[-5:]
    boot = [line for line in runs[1].output.splitlines()
            if line.startswith("# code object from") and str(sandbox.root) in line]  # fmt: skip
    assert len(boot) == 3 and all(line.endswith(".pyc'") for line in boot), boot
