"""CONTRIBUTING's "A mode of your own" stays true: the distribution it shows, built from its
text into a wheel and installed by pip into an installation of its own, is a mode
``cicd-agent --help`` lists and ``cicd-agent greet --json`` runs, written on the public API alone;
and a distribution whose mode is broken stops no other mode."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from tests.harness.installation import installation, site_packages
from tests.harness.payloads import REPO_ROOT
from tests.project.test_plugins import PUBLIC, imported

SECTION = re.compile(r"^## A mode of your own\n(.*?)^## ", re.MULTILINE | re.DOTALL)
FILE = re.compile(r"^`([\w./]+)`(?:(?!\n\n).)*?:\n\n```\w*\n(.*?)^```", re.MULTILINE | re.DOTALL)
"""A file: its path in backticks opening a paragraph that ends with a colon, then its text."""


def example_files() -> dict[str, str]:
    """Each file of the example by its path in the distribution, from CONTRIBUTING's text."""
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = SECTION.search(text)
    assert section, 'CONTRIBUTING lost its section "A mode of your own"'
    return dict(FILE.findall(section.group(1)))


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel(files: dict[str, str], folder: Path) -> Path:
    """The wheel a build backend would make of ``files``: the package's modules, and the
    metadata and entry points ``pyproject.toml`` declares (no backend is installed offline)."""
    project = tomllib.loads(files["pyproject.toml"])["project"]
    name, version = project["name"].replace("-", "_"), project["version"]
    info = f"{name}-{version}.dist-info"
    points = "".join(
        f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in entries.items())
        for group, entries in project.get("entry-points", {}).items()
    )
    contents = {path: text.encode() for path, text in files.items() if path.endswith(".py")}
    contents[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {version}\n"
    ).encode()
    contents[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    contents[f"{info}/entry_points.txt"] = points.encode()
    record = [_record_line(path, data) for path, data in contents.items()]
    contents[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    built = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(built, "w") as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return built


def test_the_example_is_a_whole_distribution_written_on_the_api(tmp_path: Path) -> None:
    files = example_files()
    assert set(files) == {
        "pyproject.toml",
        "cicd_agent_greet/__init__.py",
        "cicd_agent_greet/arguments.py",
        "cicd_agent_greet/options.py",
        "cicd_agent_greet/mode.py",
    }
    points = tomllib.loads(files["pyproject.toml"])["project"]["entry-points"]
    assert points == {"cicd_agent.modes": {"greet": "cicd_agent_greet:PLUGIN"}}
    for path, text in files.items():
        if path.endswith(".py"):
            module = tmp_path / path.replace("/", "_")
            module.write_text(text, encoding="utf-8")
            core = {
                name
                for name in imported(module)
                if name.startswith("cicd_agent.") or name == "cicd_agent"
            }
            beyond = {n for n in core if not any(n == p or n.startswith(f"{p}.") for p in PUBLIC)}
            assert beyond == set(), f"{path} reaches past the API: {sorted(beyond)}"


def installed(files: dict[str, str], tmp_path: Path) -> Path:
    """The Python of an installation of cicd-agent with ``files``' distribution installed into
    it by pip."""
    python = installation(tmp_path / "env")
    target = site_packages(python)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--disable-pip-version-check", "--target", str(target), str(wheel(files, tmp_path))],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return python


def test_the_example_installed_by_pip_is_listed_and_runs(tmp_path: Path) -> None:
    python = installed(example_files(), tmp_path)
    assert (site_packages(python) / "cicd_agent_greet" / "mode.py").is_file()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), "-m", "cicd_agent", *argv],
            env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    listed = cli("--help")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^\s+greet\s+say hello", listed.stdout, re.MULTILINE), listed.stdout
    assert listed.stdout.index("review") < listed.stdout.index("greet")  # ours first
    own_help = cli("greet", "--help")
    assert own_help.returncode == 0, own_help.stderr
    assert "--name" in own_help.stdout
    # it asks no model: of the model's options only --provider, taken and unused
    assert "--model" not in own_help.stdout and "--base-url" not in own_help.stdout

    ran = cli("greet", "--name", "Ada", "--json")
    assert ran.returncode == 0, ran.stderr
    document = json.loads(ran.stdout)
    assert document["greeting"] == "Hello, Ada!", document

    refused = cli("greet", "--name", "x" * 101, "--json")
    assert refused.returncode == 2, refused.stderr
    assert "give at most 100" in refused.stderr

    # Its section of the settings file takes its own options, and none the file never takes.
    read = (
        "import datetime, sys\n"
        "from cicd_agent.plugins import plugin_sections\n"
        "from cicd_agent.job.repo_config import parse\n"
        "from cicd_agent.actions.errors import UsageError\n"
        "day, sections = datetime.date(2026, 1, 1), plugin_sections()\n"
        "print(dict(parse('greet:\\n  name: Ada\\n', 'greet', day, sections).inputs))\n"
        "try:\n"
        "    parse('greet:\\n  openai-api-key: x\\n', 'greet', day, sections)\n"
        "except UsageError as error:\n"
        "    print(error.message)\n"
    )
    settings = subprocess.run(
        [str(python), "-I", "-c", read],
        env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert settings.returncode == 0, settings.stderr
    assert "{'name': 'Ada'}" in settings.stdout
    assert "unknown setting greet.openai-api-key" in settings.stdout


BROKEN = {
    "pyproject.toml": (
        '[project]\nname = "cicd-agent-broken"\nversion = "0.1.0"\n'
        '[project.entry-points."cicd_agent.modes"]\nbroken = "cicd_agent_broken:PLUGIN"\n'
    ),
    "cicd_agent_broken/__init__.py": (
        "from cicd_agent.plugins import ModePlugin\n"
        'PLUGIN = ModePlugin("broken", "cicd_agent_broken", "lacks its arguments", "options:build")\n'
    ),
}
"""A valid declaration in a plain module, with no ``arguments`` module beside it."""


def test_a_mode_without_its_arguments_is_set_aside_and_every_other_mode_runs(
    tmp_path: Path,
) -> None:
    python = installed(BROKEN, tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=a", "-c", "user.email=a@example.com", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    for text in ("one\n", "one\ntwo\n"):
        (repo / "a.txt").write_text(text)
        subprocess.run([*git, "add", "a.txt"], check=True)
        subprocess.run([*git, "commit", "-qm", text.strip()], check=True)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), "-m", "cicd_agent", *argv],
            env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    reviewed = cli("review", "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD",
                   "--provider", "none", "--json")  # fmt: skip
    assert reviewed.returncode == 0, reviewed.stderr
    assert json.loads(reviewed.stdout)["decision"]
    set_aside = [line for line in reviewed.stderr.splitlines() if "'broken'" in line]
    assert len(set_aside) == 1 and "arguments" in set_aside[0], reviewed.stderr
    chosen = cli("broken")
    assert chosen.returncode == 2, chosen.stderr
    assert "arguments module" in chosen.stderr and "internal error" not in chosen.stderr
