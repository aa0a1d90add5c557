"""CONTRIBUTING's "A mode of your own" stays true: the distribution it shows, built from its
text into a wheel and installed by pip into a folder of its own, is a mode ``cicd-agent --help``
lists and ``cicd-agent greet --json`` runs, written on the public API alone."""

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


def test_the_example_installed_by_pip_is_listed_and_runs(tmp_path: Path) -> None:
    target = tmp_path / "site"
    built = wheel(example_files(), tmp_path)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--disable-pip-version-check", "--target", str(target), str(built)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert (target / "cicd_agent_greet" / "mode.py").is_file()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))},
        "PYTHONPATH": str(target),
    }

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cicd_agent", *argv],
            env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    listed = cli("--help")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^\s+greet\s+say hello", listed.stdout, re.MULTILINE), listed.stdout
    assert listed.stdout.index("review") < listed.stdout.index("greet")  # ours first
    own_help = cli("greet", "--help")
    assert own_help.returncode == 0, own_help.stderr
    assert "--name" in own_help.stdout
    assert "--provider" not in own_help.stdout  # it asks no model, so it offers none of its options

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
        [sys.executable, "-c", read],
        env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert settings.returncode == 0, settings.stderr
    assert "{'name': 'Ada'}" in settings.stdout
    assert "unknown setting greet.openai-api-key" in settings.stdout
