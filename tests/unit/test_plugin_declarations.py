"""A third-party distribution broken in its declaration or its modules: every other mode runs,
``--help`` lists the rest, and choosing the broken one is exit 2 naming what it lacks, with the
outputs written. A plugin is another's code: its mistakes are named, never a bug of ours."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.harness.action_runner import parse_github_output
from tests.harness.installation import installation, site_packages
from tests.harness.payloads import REPO_ROOT
from tests.unit.test_cli import runner_env

DECLARED = "from cicd_agent.plugins import ModePlugin\nPLUGIN = ModePlugin({})\n"
WHOLE = {
    "arguments.py": "FAIL_ON_CHOICES = ()\nOPTIONS = ()\n",
    "options.py": "def build(given):\n    return given\n",
}

READS_ITS_OPTIONS = (
    "class Mode:\n"
    "    name = 'builder'\n"
    "    fail_closed_outputs: dict[str, str] = {}\n"
    "    def run(self, ctx):\n"
    "        return ctx.mode_options\n"
    "    def failure_outputs(self, ctx):\n"
    "        return {}\n"
    "MODE = Mode()\n"
)


def _install(site: Path, package: str, name: str, init: str, files: dict[str, str]) -> None:
    info = site / f"{package}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "entry_points.txt").write_text(f"[cicd_agent.modes]\n{name} = {package}:PLUGIN\n")
    (site / package).mkdir()
    (site / package / "__init__.py").write_text(init)
    for path, text in files.items():
        (site / package / path).write_text(text)


def test_attack_a_plugin_broken_in_its_declaration_or_its_modules_stops_no_other_mode(
    tmp_path: Path,
) -> None:
    """Before: a declaration whose package is not a string ended every mode, ``--help`` too, in
    a traceback and exit 1 (the registry sorts by it); a module that calls ``sys.exit(0)`` on
    import (a script's ``main()`` run at import) ended every mode at once with exit 0 and no
    output, a test step's included; a mode module that raises on import ended its run in a
    traceback and exit 1 with no outputs (the failure path imported it again)."""
    python = installation(tmp_path / "env")
    site = site_packages(python)
    _install(
        site,
        "p_nopackage",
        "nopackage",
        DECLARED.format("'nopackage', None, 'its package is None', 'options:build'"),
        WHOLE,
    )
    _install(
        site,
        "p_ordered",
        "ordered",
        DECLARED.format("'ordered', 'p_ordered', 's', 'options:build', order='first'"),
        WHOLE,
    )
    _install(site, "p_exits", "exits", "import sys\nsys.exit(0)\n", {})
    _install(
        site,
        "p_raises",
        "raises",
        DECLARED.format("'raises', 'p_raises', 'a mode whose module raises', 'options:build'"),
        {**WHOLE, "mode.py": "raise RuntimeError('half installed')\n"},
    )
    _install(
        site,
        "p_builder",
        "builder",
        DECLARED.format("'builder', 'p_builder', 'its options builder raises', 'options:build'"),
        {
            **WHOLE,
            "options.py": "def build(given):\n    raise ValueError('not my day')\n",
            "mode.py": READS_ITS_OPTIONS,
        },
    )
    _install(
        site,
        "p_percent",
        "percent",
        DECLARED.format("'percent', 'p_percent', '100%! of it', 'options:build'"),
        WHOLE,
    )
    env = {**os.environ, **runner_env(tmp_path)}
    cli = [str(python), "-I", "-m", "cicd_agent"]
    listed = subprocess.run([*cli, "--help"], capture_output=True, text=True, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "analyse-failure" in listed.stdout and "100%! of it" in listed.stdout
    analysed = subprocess.run(
        [*cli, "analyse-failure", "--provider", "none", "--json",
         "--logs", str(REPO_ROOT / "examples" / "logs" / "pytest-failure.zip")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    assert json.loads(analysed.stdout)["failure_type"] == "test_failure"
    for name in ("nopackage", "ordered", "exits"):
        assert sum(f"'{name}'" in line for line in analysed.stderr.splitlines()) <= 1
    for name, part in (
        ("nopackage", "package"),
        ("ordered", "order"),
        ("exits", "SystemExit"),
        ("raises", "RuntimeError: half installed"),
    ):
        (tmp_path / "out").write_text("")
        named = subprocess.run([*cli, name, "--json"], capture_output=True, text=True, env=env)
        assert named.returncode == 2, named.stderr
        document = json.loads(named.stdout)
        assert part in document["error"] and "uninstall the distribution" in document["error"]
        assert "Traceback" not in named.stderr and "bug in cicd-agent" not in document["error"]
        assert part in parse_github_output((tmp_path / "out").read_text())["error"]
    raised = subprocess.run([*cli, "builder", "--json"], capture_output=True, text=True, env=env)
    error = json.loads(raised.stdout)["error"]
    assert "ValueError: not my day" in error and "bug in cicd-agent" not in error
    assert "a bug in the mode 'builder' (package p_builder, not part of cicd-agent)" in error


def test_attack_another_distribution_never_takes_the_name_of_a_mode_we_ship(
    tmp_path: Path,
) -> None:
    """A distribution installed beside cicd-agent registering ``test-step`` sorted first
    (``aaa_…``): the first registration of a name won, so its module ran on every start and
    its mode replaced ours (the issue's attack, from the installation rather than the job's
    ``PYTHONPATH``). The modes this project ships keep their names; the other is not read."""
    python = installation(tmp_path / "env")
    site = site_packages(python)
    marker = tmp_path / "imported"
    _install(
        site,
        "aaa_shadow",
        "test-step",
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('imported')\n"
        + DECLARED.format("'test-step', 'aaa_shadow', 'always passes', 'options:build'"),
        WHOLE,
    )
    env = {**os.environ, **runner_env(tmp_path)}
    ran = subprocess.run(
        [str(python), "-I", "-m", "cicd_agent", "test-step", "--help"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "the test command, after --" in ran.stdout  # our own test-step
    assert not marker.exists()


def test_attack_a_plugin_whose_options_are_not_groups_stops_no_other_mode(tmp_path: Path) -> None:
    """``OPTIONS`` of bare options, not groups of them (the group forgotten), or of text: the
    registry read each as a group while every run of every mode took the plugins' settings
    sections."""
    python = installation(tmp_path / "env")
    site = site_packages(python)
    for package, options in (
        ("p_bare", "(Option('name', 'a name'),)"),
        ("p_text", "('name',)"),
        ("p_number", "(OptionGroup('g', Option(123, 'a number for a name')),)"),
    ):
        name = package.removeprefix("p_")
        _install(
            site,
            package,
            name,
            DECLARED.format(f"{name!r}, {package!r}, 'options not in groups', 'options:build'"),
            {**WHOLE, "arguments.py": (
                "from cicd_agent.plugins import Option, OptionGroup\n"
                f"FAIL_ON_CHOICES = ()\nOPTIONS = {options}\n"
            )},
        )  # fmt: skip
    env = {**os.environ, **runner_env(tmp_path)}
    cli = [str(python), "-I", "-m", "cicd_agent"]
    analysed = subprocess.run(
        [*cli, "analyse-failure", "--provider", "none", "--json",
         "--logs", str(REPO_ROOT / "examples" / "logs" / "pytest-failure.zip")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    for name in ("bare", "text", "number"):
        named = subprocess.run([*cli, name, "--json"], capture_output=True, text=True, env=env)
        assert named.returncode == 2, named.stderr
        assert "options do not build" in json.loads(named.stdout)["error"]
