"""cicd-agent's own process is closed to the job's Python environment. Workflows often set
``PYTHONPATH: src`` so their tests import the code, and a pull request controls what ``src``
holds: a package named like ours, a ``sitecustomize``, a distribution registering a mode. None
of it may run inside cicd-agent, which holds the job's token; the job's variables still reach
the commands cicd-agent starts (the sandbox decides what they see)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from cicd_agent.plugins import GROUP, registered
from tests.harness.payloads import REPO_ROOT

PLANTED = "planted-code-ran"


def fork_folder(workspace: Path) -> Path:
    """A checkout's ``src`` as a fork's pull request may leave it: a distribution registering
    its own ``test-step``, a ``sitecustomize`` and a ``usercustomize``, and a package named
    ``cicd_agent``, each writing a marker (with the token it could read) when imported."""
    src = workspace / "src"
    marker = workspace / PLANTED
    plant = (
        "import os, pathlib\n"
        f"pathlib.Path({str(marker)!r}).open('a').write("
        "__name__ + ' ' + os.environ.get('GITHUB_TOKEN', '') + '\\n')\n"
    )
    info = src / "zz_helper-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zz-helper\nVersion: 0\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\ntest-step = zz_helper:PLUGIN\n")
    (src / "zz_helper").mkdir()
    (src / "zz_helper" / "__init__.py").write_text(plant + "PLUGIN = None\n")
    for name in ("sitecustomize", "usercustomize"):
        (src / f"{name}.py").write_text(plant)
    shadow = workspace / "cicd_agent"  # found first from the current folder by `python -m`
    shadow.mkdir()
    (shadow / "__init__.py").write_text(plant)
    (shadow / "__main__.py").write_text(plant)
    return src


def job_environment(workspace: Path, src: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))},
        "PYTHONPATH": str(src),
        "PYTHONSTARTUP": str(src / "sitecustomize.py"),
        "PYTHONUSERBASE": str(workspace),
        "GITHUB_TOKEN": "ghs_jobtoken",
    }


def test_the_actions_own_command_line_runs_none_of_the_jobs_python(tmp_path: Path) -> None:
    """The action's "Run cicd-agent" step, run as a runner runs it, with the fork's folder on
    ``PYTHONPATH`` and the checkout as the current folder."""
    workspace = tmp_path / "workspace"
    src = fork_folder(workspace)
    steps = yaml.safe_load((REPO_ROOT / "action.yml").read_text())["runs"]["steps"]
    (command,) = [step["run"] for step in steps if step.get("name") == "Run cicd-agent"]
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    (runner_temp / "cicd-agent-venv").symlink_to(Path(sys.prefix))
    ran = subprocess.run(
        ["bash", "-c", command],
        env={**job_environment(workspace, src), "RUNNER_TEMP": str(runner_temp),
             "INPUT_MODE": "test-step", "GITHUB_ACTIONS": ""},
        cwd=workspace, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert not (workspace / PLANTED).exists(), (workspace / PLANTED).read_text()
    assert "zz_helper" not in ran.stdout + ran.stderr
    assert ran.returncode == 2, ran.stderr  # our test-step, asking for its command


def test_the_console_script_and_python_m_run_none_of_the_jobs_python(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    src = fork_folder(workspace)
    environ = job_environment(workspace, src)
    script = Path(sys.prefix) / "bin" / "cicd-agent"
    for argv in ([str(script), "test-step", "--help"], [sys.executable, "-I", "-m", "cicd_agent",
                 "test-step", "--help"]):  # fmt: skip
        ran = subprocess.run(
            argv, env=environ, cwd=workspace, capture_output=True, text=True, timeout=300,
            check=False,
        )
        assert not (workspace / PLANTED).exists(), (argv, (workspace / PLANTED).read_text())
        assert ran.returncode == 0, ran.stderr
        assert "the test command, after --" in ran.stdout  # our own test-step


def test_an_interpreter_started_open_to_the_job_starts_again_closed(tmp_path: Path) -> None:
    """``python -m cicd_agent`` from outside the checkout: Python itself has already run the
    job's ``sitecustomize``, but cicd-agent starts again isolated before it reads a plugin."""
    workspace = tmp_path / "workspace"
    src = fork_folder(workspace)
    ran = subprocess.run(
        [sys.executable, "-m", "cicd_agent", "test-step", "--help"],
        env=job_environment(workspace, src), cwd=tmp_path, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "the test command, after --" in ran.stdout
    planted = (workspace / PLANTED).read_text() if (workspace / PLANTED).exists() else ""
    assert "zz_helper" not in planted


def test_the_registry_reads_only_the_installation(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """In a process that was started open to the job (a library caller), entries that the
    environment put on ``sys.path`` are still not read for plugins."""
    src = fork_folder(tmp_path / "workspace")
    monkeypatch.setenv("PYTHONPATH", str(src))
    monkeypatch.syspath_prepend(str(src))
    monkeypatch.chdir(src)
    monkeypatch.syspath_prepend("")
    names = [value for _, value in registered(GROUP)]
    assert not [value for value in names if "zz_helper" in value]
    assert "cicd_agent.modes.test_step:PLUGIN" in names


def test_attack_the_install_step_runs_none_of_the_jobs_python(tmp_path: Path) -> None:
    """The action's install step (``install/install.sh``) runs in the job's environment and in
    the checkout, before the run that holds the token. Before: its Python ran the fork's
    ``sitecustomize`` from ``PYTHONPATH``, which wrote a ``.pth`` file into cicd-agent's own
    site-packages, and the isolated run then ran that file with the token: ``-I`` reads
    site-packages' ``.pth`` files."""
    uv = REPO_ROOT / ".harness" / "uv"
    assert (uv / "bin" / "uv").exists(), "no pinned uv: run `bash tests/harness/setup.sh`"
    workspace = tmp_path / "workspace"
    src = fork_folder(workspace)
    venv = tmp_path / "venv"
    in_the_run = (
        f"import os, pathlib; pathlib.Path({str(workspace / PLANTED)!r}).open('a').write("
        "'a .pth file in the run ' + os.environ.get('GITHUB_TOKEN', '') + chr(10))"
    )
    plant_pth = (
        "import sys, sysconfig\n"
        "if sys.prefix != sys.base_prefix:\n"
        "    pathlib.Path(sysconfig.get_path('purelib'), 'zz_planted.pth').write_text(\n"
        f"        {in_the_run!r} + chr(10))\n"
    )
    for name in ("sitecustomize", "usercustomize"):
        (src / f"{name}.py").write_text((src / f"{name}.py").read_text() + plant_pth)
    for shadow in ("pip", "compileall"):  # found first from the current folder by `python -m`
        (workspace / shadow).mkdir(exist_ok=True)
        (workspace / shadow / "__init__.py").write_text((src / "sitecustomize.py").read_text())
        (workspace / shadow / "__main__.py").write_text((src / "sitecustomize.py").read_text())
    environ = {
        **{k: v for k, v in job_environment(workspace, src).items()
           if not k.startswith(("UV_", "PIP_", "VIRTUAL_ENV", "TIKTOKEN"))},
        "PYTHON": sys.executable,
        "UV_DIR": str(uv),
        "UV_CACHE_DIR": str(REPO_ROOT / ".harness" / "uv-cache"),
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "EXTRAS": "core",
        "INPUT_PROVIDER": "none",
    }  # fmt: skip
    installed = subprocess.run(
        ["bash", str(REPO_ROOT / "install" / "install.sh")],
        env=environ, cwd=workspace, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    ran = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-m", "cicd_agent", "test-step", "--help"],
        env=environ, cwd=workspace, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert not (workspace / PLANTED).exists(), (workspace / PLANTED).read_text()
    assert not list(venv.glob("lib/python*/site-packages/zz_planted.pth"))


def test_attack_a_console_script_at_a_long_path_starts_closed_too(tmp_path: Path) -> None:
    """Where the environment's Python is named by more than a shebang holds (127 bytes: a
    self-hosted runner's deep work folder), uv writes each console script as a ``/bin/sh``
    line that starts Python. Before: ``install.sh`` added ``-I`` to the shebang form alone, so
    there ``cicd-agent`` started open and the fork's ``sitecustomize`` ran in it."""
    uv = REPO_ROOT / ".harness" / "uv"
    assert (uv / "bin" / "uv").exists(), "no pinned uv: run `bash tests/harness/setup.sh`"
    workspace = tmp_path / "workspace"
    src = fork_folder(workspace)
    venv = tmp_path / ("deep" * 32) / "venv"
    environ = {
        **{k: v for k, v in job_environment(workspace, src).items()
           if not k.startswith(("UV_", "PIP_", "VIRTUAL_ENV", "TIKTOKEN"))},
        "PYTHON": sys.executable, "UV_DIR": str(uv),
        "UV_CACHE_DIR": str(REPO_ROOT / ".harness" / "uv-cache"),
        "UV_PROJECT_ENVIRONMENT": str(venv), "EXTRAS": "core", "INPUT_PROVIDER": "none",
    }  # fmt: skip
    installed = subprocess.run(
        ["bash", str(REPO_ROOT / "install" / "install.sh")],
        env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    script = venv / "bin" / "cicd-agent"
    assert script.read_text().startswith("#!/bin/sh\n")  # the form this test is about
    ran = subprocess.run(
        [str(script), "test-step", "--help"],
        env=environ, cwd=workspace, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "the test command, after --" in ran.stdout
    assert not (workspace / PLANTED).exists(), (workspace / PLANTED).read_text()
    assert " -I " in (venv / "bin" / "cicd-agent-canary-server").read_text().splitlines()[1]


def test_the_jobs_pythonpath_still_reaches_the_commands_cicd_agent_starts(tmp_path: Path) -> None:
    """Closed to cicd-agent's own process, not to the job: tests that import the code through
    ``PYTHONPATH: src`` still find it when the test step runs them (the control: without the
    variable, the same test cannot import and the step fails)."""
    workspace = tmp_path / "workspace"
    (workspace / "src").mkdir(parents=True)
    (workspace / "tests").mkdir()
    (workspace / "src" / "mylib.py").write_text("def one():\n    return 1\n")
    (workspace / "tests" / "test_a.py").write_text(
        "from mylib import one\n\n\ndef test_one():\n    assert one() == 1\n"
    )
    git = ["git", "-c", "user.name=a", "-c", "user.email=a@example.com", "-C", str(workspace)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "a"], check=True)
    script = Path(sys.prefix) / "bin" / "cicd-agent"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "PYTHON"))}
    base["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), base.get("PATH", "")])
    results = {}
    for name, environ in (("with", {**base, "PYTHONPATH": "src"}), ("without", base)):
        ran = subprocess.run(
            [str(script), "test-step", "--json", "--", "python", "-m", "pytest", "-q"],
            env=environ, cwd=workspace, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        results[name] = json.loads(ran.stdout)["step_result"]
    assert results == {"with": "passed", "without": "failed"}
