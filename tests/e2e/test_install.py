"""The install: one hashed lock for the action, the image and CI; uv pinned by hash; a lean core.

The slow tests run ``install/install.sh`` (the action's install step) for real, from PyPI, into
a temporary folder: the pinned uv through ``pip --require-hashes``, then ``uv sync --frozen``.
They check what a user of the action would meet: the core install runs analyse-failure without
numpy or scipy, and a distribution whose hash differs from the lock is refused.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cicd_agent.plugins import plugin
from tests.harness.payloads import REPO_ROOT

REPO_ROOT = REPO_ROOT
INSTALL_SH = REPO_ROOT / "install" / "install.sh"
UV_PINS = REPO_ROOT / "install" / "requirements.txt"
LOCK = REPO_ROOT / "uv.lock"
DOCKERFILE = REPO_ROOT / "Dockerfile"
BIN = Path(sysconfig.get_path("scripts"))
DEPLOY_ONLY = ("numpy", "scipy")
CORE_MODES = ("review", "gen-tests", "analyse-failure")
SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Install:
    """A finished run of install.sh: where uv, its cache and the virtualenv are."""

    uv_dir: Path
    cache: Path
    venv: Path

    @property
    def uv(self) -> Path:
        return self.uv_dir / "bin" / "uv"


def run_install(
    root: Path, uv_dir: Path, cache: Path, venv: Path, extras: str = "core"
) -> subprocess.CompletedProcess[str]:
    """install.sh of the tree ``root``, as the action's step runs it (no tiktoken prefetch)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("UV_", "PIP_", "VIRTUAL_ENV", "TIKTOKEN"))
    }
    env |= {
        "PYTHON": sys.executable,
        "UV_DIR": str(uv_dir),
        "UV_CACHE_DIR": str(cache),
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "EXTRAS": extras,
    }
    return subprocess.run(
        ["bash", str(root / "install" / "install.sh")],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def copy_tree(target: Path) -> Path:
    """What install.sh needs of this repository, copied so a test can tamper with it."""
    target.mkdir(parents=True)
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy2(REPO_ROOT / name, target / name)
    shutil.copytree(REPO_ROOT / "install", target / "install")
    (target / "src" / "cicd_agent").mkdir(parents=True)
    (target / "src" / "cicd_agent" / "__init__.py").write_text('"""A stand-in package."""\n')
    return target


@pytest.fixture(scope="session")
def core_install(tmp_path_factory: pytest.TempPathFactory) -> Install:
    """install.sh with EXTRAS=core on a cold cache: the set-up review, gen-tests and
    analyse-failure jobs get."""
    root = tmp_path_factory.mktemp("core-install")
    install = Install(root / "uv", root / "uv-cache", root / "venv")
    done = run_install(REPO_ROOT, install.uv_dir, install.cache, install.venv)
    assert done.returncode == 0, done.stderr
    return install


def python_in(venv: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=venv.parent,
    )  # fmt: skip


# ---------------------------------------------------------------- the lean core, for real


@pytest.mark.slow
def test_the_core_install_has_no_deploy_extra_and_still_runs_analyse_failure(
    core_install: Install,
) -> None:
    """Without numpy or scipy installed, review, gen-tests and analyse-failure
    import, and analyse-failure analyses a real failed run end to end."""
    missing = python_in(
        core_install.venv,
        "import importlib.util, sys; print(*(m for m in sys.argv[1:] "
        "if importlib.util.find_spec(m) is None))",
        *DEPLOY_ONLY,
    )
    assert missing.stdout.split() == list(DEPLOY_ONLY), missing.stderr
    for mode in CORE_MODES:
        imported = python_in(core_install.venv, f"import {plugin(mode).package}.mode")
        assert imported.returncode == 0, imported.stderr
    analysed = subprocess.run(
        [str(core_install.venv / "bin" / "cicd-agent"), "analyse-failure", "--provider", "none",
         "--logs", str(REPO_ROOT / "examples" / "logs" / "pytest-failure.zip"), "--json"],
        capture_output=True, text=True, timeout=300, check=False, cwd=core_install.venv.parent,
    )  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    assert '"failure_type": "test_failure"' in analysed.stdout


def test_importing_a_core_mode_never_imports_numpy_or_scipy() -> None:
    """The same in the dev environment, where numpy is installed: nothing pulls it in."""
    probe = (
        "import sys, importlib\n"
        "for module in sys.argv[1:]:\n"
        "    importlib.import_module(module)\n"
        "print(*sorted(m for m in ('numpy', 'scipy', 'sklearn') if m in sys.modules))"
    )
    modules = [f"{plugin(mode).package}.mode" for mode in CORE_MODES]
    modules.append("cicd_agent.modes.analyse_failure.logs.reader")
    done = subprocess.run(
        [sys.executable, "-c", probe, *modules],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == ""


@pytest.mark.slow
def test_a_distribution_whose_hash_differs_from_the_lock_is_refused(
    core_install: Install, tmp_path: Path
) -> None:
    """A tampered or substituted wheel (here: the lock expects other bytes for unidiff's
    wheel) stops the install; nothing is installed from it."""
    tree = copy_tree(tmp_path / "tree")
    lock = (tree / "uv.lock").read_text()
    block = lock[lock.index('[[package]]\nname = "unidiff"') :]
    block = block[: block.index("\n\n[[package]]")]
    hashes = re.findall(r"sha256:[0-9a-f]{64}", block)
    assert hashes, "unidiff has no hash in the lock"
    tampered = block
    for digest in hashes:
        tampered = tampered.replace(digest, "sha256:" + "0" * 64)
    (tree / "uv.lock").write_text(lock.replace(block, tampered))
    done = run_install(tree, core_install.uv_dir, tmp_path / "cold-cache", tmp_path / "venv")
    assert done.returncode != 0
    assert "hash" in done.stderr.lower(), done.stderr
    assert not list((tmp_path / "venv").glob("lib/python*/site-packages/unidiff"))


# ---------------------------------------------------------------- the lock


@pytest.mark.slow
def test_the_lock_matches_pyproject_and_a_stale_lock_is_caught(
    core_install: Install, tmp_path: Path
) -> None:
    """`uv lock --check` offline: the committed lock satisfies pyproject.toml, and a
    requirement changed without re-locking is reported (README "Dependencies")."""
    tree = copy_tree(tmp_path / "tree")
    check = [str(core_install.uv), "lock", "--check", "--offline", "--no-config"]
    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "empty-cache")}
    current = subprocess.run(check, cwd=tree, env=env, capture_output=True, text=True, timeout=120)
    assert current.returncode == 0, current.stderr
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"coverage>=', '"coverage>=99,<100,>='))
    stale = subprocess.run(check, cwd=tree, env=env, capture_output=True, text=True, timeout=120)
    assert stale.returncode != 0


def test_every_locked_distribution_is_pinned_by_hash() -> None:
    lock = tomllib.loads(LOCK.read_text())
    unhashed = []
    for package in lock["package"]:
        if package["source"].get("editable") or package["source"].get("virtual"):
            continue
        files = [package["sdist"]] if "sdist" in package else []
        files += package.get("wheels", [])
        if not files or not all(SHA256.match(f.get("hash", "")) for f in files):
            unhashed.append(package["name"])
    assert unhashed == []
    names = {package["name"] for package in lock["package"]}
    assert {"openai", "pydantic", "pygithub", "numpy", "scipy"} <= names


def test_numpy_and_scipy_are_only_in_the_deploy_extra_and_scikit_learn_nowhere() -> None:
    """The fit solves with numpy and scipy alone: scikit-learn would be a download nothing uses."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    assert not any(name in core for name in ("numpy", "scipy", "scikit-learn"))
    deploy = " ".join(project["optional-dependencies"]["deploy"]).lower()
    assert all(name in deploy for name in ("numpy", "scipy"))
    everywhere = " ".join(" ".join(extra) for extra in project["optional-dependencies"].values())
    assert "scikit-learn" not in everywhere.lower()


# ---------------------------------------------------------------- uv, the action, CI, the image


def test_uv_is_pinned_to_one_version_by_hash() -> None:
    text = UV_PINS.read_text()
    assert len(re.findall(r"^uv==\d+\.\d+\.\d+ ", text, re.MULTILINE)) == 1
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", text)) >= 3  # one per platform wheel
    script = INSTALL_SH.read_text()
    assert "--require-hashes" in script and '-r "$pins"' in script
    assert re.search(r"uv\" sync --frozen --no-config --system-certs", script)


def test_the_action_ci_and_the_image_all_install_through_the_lock() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    runs = [step.get("run", "") for step in action["runs"]["steps"]]
    assert any("install/install.sh" in run for run in runs)
    assert not any("pip install" in run for run in runs)
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "install/install.sh" in ci and "pip install" not in ci
    docker = DOCKERFILE.read_text()
    assert "COPY pyproject.toml uv.lock" in docker
    syncs = re.findall(r"uv sync[^\n]*", docker)
    assert syncs and all("--frozen" in sync and "--extra deploy" in sync for sync in syncs)
    pips = re.findall(r"pip install[^\n]*\n[^\n]*", docker)
    assert len(pips) == 1 and "--require-hashes" in pips[0]
    assert "-r install/requirements.txt" in pips[0]


def test_the_image_base_is_pinned_by_digest_and_runs_as_the_default_user() -> None:
    """GitHub's Docker-action docs: no USER instruction (the workspace is owned by the
    runner); a tag without a digest can change under a release."""
    lines = DOCKERFILE.read_text().splitlines()
    froms = [line.split()[1] for line in lines if line.startswith("FROM ")]
    assert froms and all(re.fullmatch(r"\S+@sha256:[0-9a-f]{64}", image) for image in froms)
    assert not [line for line in lines if line.upper().startswith("USER")]


def test_the_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_is_not_a_linter_that_passes_everything(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\nUSER root\n")
    done = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", str(bad)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # latest tag


def _cache_key(action_dir: Path, runner_temp: Path, mode: str) -> str:
    """Run the action's key step as the runner would and return the key it outputs."""
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "install-key")
    output = runner_temp / "output"
    output.write_text("")
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={"PATH": os.environ["PATH"], "GITHUB_ACTION_PATH": str(action_dir),
             "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(runner_temp),
             "RUNNER_OS": "Linux", "INPUT_MODE": mode, "PYTHON_VERSION": "3.12.7"},
        check=True, timeout=30,
    )  # fmt: skip
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return values["key"]


def test_the_install_cache_is_keyed_on_the_lock_the_uv_pin_and_the_extras(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "action"
    tree.mkdir()
    for name in ("action.yml", "uv.lock", "README.md"):
        shutil.copy2(REPO_ROOT / name, tree / name)
    shutil.copytree(REPO_ROOT / "install", tree / "install")
    first = _cache_key(tree, tmp_path, "review")
    # review installs deploy-gate's extra (one risk scorer); gen-tests does not
    assert _cache_key(tree, tmp_path, "deploy-gate") == first
    assert _cache_key(tree, tmp_path, "gen-tests") != first
    (tree / "README.md").write_text("edited")
    assert _cache_key(tree, tmp_path, "review") == first
    (tree / "uv.lock").write_text((tree / "uv.lock").read_text() + "\n")
    relocked = _cache_key(tree, tmp_path, "review")
    assert relocked != first
    pins = tree / "install" / "requirements.txt"
    pins.write_text(pins.read_text() + "\n")
    assert _cache_key(tree, tmp_path, "review") != relocked


def test_dependabot_keeps_every_pin_current() -> None:
    config = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text())
    watched = {(u["package-ecosystem"], u["directory"]) for u in config["updates"]}
    assert {("uv", "/"), ("pip", "/install"), ("github-actions", "/"), ("docker", "/")} <= watched
