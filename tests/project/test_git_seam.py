"""Every git process goes through ``local/git.py``: no other module can start one.

Why a project test: the hardening (no hooks, no fsmonitor, no mailmap, no textconv or external
diff, no working tree for reads between commits) is only a guarantee if nothing builds its own
git command line. Seven modules once did, each with its own subset of flags. The rule:

- outside ``local/`` and ``sandbox/`` no module starts a process at all (``subprocess``,
  ``os.system``-style calls, ``pty``): it asks ``local/`` (git, zizmor) or the sandbox. A
  ``boot/`` folder is the exception: no host module imports it, its files are loaded only by
  the sandboxed run (gen-tests' pytest plugin starts Shaker's noise processes beside the tests);
- outside ``local/git.py`` no command line starts with ``"git"`` (a list or tuple whose first
  item is that word, or a path ending in ``/git``) and nobody looks git up on ``PATH``: the
  sandbox runs what :func:`cicd_agent.local.git.sandboxed` built;
- outside ``local/`` nobody builds git's arguments either: ``git.run``, ``git.sandboxed`` and
  ``git.command`` are called only there (the rest ask a named operation of
  :mod:`cicd_agent.local.git_ops` or :mod:`cicd_agent.local.push`), and no module writes git's
  configuration into an environment (``GIT_CONFIG_*``).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
SEAM = Path("local/git.py")
MAY_SPAWN = ("local", "sandbox")
ARGV_TAKERS = {"run", "sandboxed", "command"}
"""The functions of ``local/git.py`` that take git's arguments: called only inside ``local/``."""
PROCESS_MODULES = ("subprocess", "pty", "asyncio.subprocess", "multiprocessing")
PROCESS_CALLS = {"system", "popen", "execv", "execve", "execvp", "execvpe", "execl", "execlp",
                 "spawnv", "spawnvp", "spawnl", "posix_spawn", "posix_spawnp", "create_subprocess_exec",
                 "create_subprocess_shell"}  # fmt: skip


def _names_git(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and (
        node.value == "git" or str(node.value).endswith("/git")
    )


def offences(relative: Path, source: str) -> list[str]:
    """What in ``source`` (the module at ``relative`` under the package) breaks the rule."""
    found: list[str] = []
    spawning_allowed = relative.parts[0] in MAY_SPAWN or "boot" in relative.parts[:-1]
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if not spawning_allowed:
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            for module in modules:
                if module.startswith(PROCESS_MODULES):
                    found.append(f"{relative}:{line} imports {module}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in PROCESS_CALLS
                and isinstance(node.value, ast.Name)
                and node.value.id in ("os", "asyncio")
            ):
                found.append(f"{relative}:{line} calls {node.attr}")
        if relative == SEAM:
            continue
        if relative.parts[0] != "local":
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ARGV_TAKERS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "git"
            ):
                found.append(f"{relative}:{line} gives git its arguments (git.{node.func.attr})")
            if isinstance(node, ast.Constant) and str(node.value).startswith("GIT_CONFIG_"):
                found.append(f"{relative}:{line} writes git's configuration ({node.value})")
        if isinstance(node, (ast.List, ast.Tuple)) and node.elts and _names_git(node.elts[0]):
            found.append(f"{relative}:{line} builds a git command line")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "which"
            and any(_names_git(arg) for arg in node.args)
        ):
            found.append(f"{relative}:{line} looks git up")
    return found


def test_only_the_seam_starts_git() -> None:
    host_imports_boot = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "boot" not in path.relative_to(PACKAGE).parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and ".boot" in f".{node.module or ''}"
    ]
    assert host_imports_boot == [], "a boot/ module runs only in the sandbox"
    found = [
        offence
        for path in sorted(PACKAGE.rglob("*.py"))
        for offence in offences(path.relative_to(PACKAGE), path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_rule_sees_each_way_of_starting_git() -> None:
    """The check itself: each shape a module once used is caught, in a mode or in the sandbox."""
    mode = Path("modes/example.py")
    assert offences(mode, "import subprocess\n") == ["modes/example.py:1 imports subprocess"]
    assert offences(mode, "import os\nos.system('ls')\n") == ["modes/example.py:2 calls system"]
    built = "argv = ['git', '-C', 'x', 'log']\n"
    assert offences(Path("sandbox/run.py"), built) == ["sandbox/run.py:1 builds a git command line"]
    assert offences(Path("local/gitrepo.py"), "run(('/usr/bin/git', 'log'))\n") != []
    assert offences(mode, "import shutil\nshutil.which('git')\n") == [
        "modes/example.py:2 looks git up"
    ]
    assert offences(SEAM, built + "import subprocess\n") == []
    assert offences(mode, "x = ['gitk']\nfrom cicd_agent.local import git\n") == []
    assert offences(mode, "prompt.system()\n") == []


def test_the_rule_sees_git_arguments_built_outside_local() -> None:
    """Seven modules outside ``local/`` built git's arguments and called ``git.run``;
    gen-tests' publish wrote its own ``GIT_CONFIG_*`` environment."""
    mode = Path("modes/example.py")
    called = "done = git.run(place, ['ls-files', '-z'], timeout=60)\n"
    assert offences(mode, called) == [
        "modes/example.py:1 gives git its arguments (git.run)"
    ]
    assert offences(Path("job/repo_config.py"), "git.sandboxed(['apply'])\n") != []
    assert offences(mode, "env = {'GIT_CONFIG_COUNT': '1'}\n") == [
        "modes/example.py:1 writes git's configuration (GIT_CONFIG_COUNT)"
    ]
    assert offences(Path("local/git_ops.py"), called) == []
    assert offences(mode, "done = git_ops.blobs(place, 'HEAD', ['a.py'], timeout=30)\n") == []


def test_one_function_of_the_seam_builds_a_started_gits_argv_and_environment() -> None:
    """Inside ``local/git.py`` too, the hardened command line and environment of a process it
    starts are built in one function, so a way of starting git (a run kept whole, a read cut at a
    bound) cannot drift from another's hardening. Before: :func:`run` and :func:`read` each
    built both."""
    tree = ast.parse((PACKAGE / SEAM).read_text(encoding="utf-8"))
    builders = sorted(
        function.name
        for function in tree.body
        if isinstance(function, ast.FunctionDef)
        and any(
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in {"environment", "_filters_off"}
            for node in ast.walk(function)
        )
    )  # fmt: skip
    assert builders == ["_hardened"]
