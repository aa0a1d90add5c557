"""Every process cicd-agent starts is started by ``local/processes.py``, which never hands it
the job's token or keys.

Why a project test: the test step once started the workflow's command with cicd-agent's whole
environment, and a fork's ``conftest.py`` read ``GITHUB_TOKEN`` and ``OPENAI_API_KEY``. The
seam takes the environment as a mapping and strips the job's own secrets from it whatever the
caller built, so the guarantee holds only if no other module can start a process: none calls
``subprocess``'s starters, imports them by name or under another name, or ``os``'s ``exec``,
``spawn`` or ``system`` family. A ``boot/`` folder is the exception, as in
``test_git_seam.py``: its files run only inside the sandboxed test process.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
SEAM = Path("local/processes.py")
STARTERS = {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput"}
OS_STARTERS = {"system", "popen", "forkpty", "posix_spawn", "posix_spawnp", "execv",
               "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv",
               "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp",
               "spawnlpe"}  # fmt: skip
"""``os.fork`` alone runs only our own code (the sandbox's user namespace is made in one): an
``exec`` after it is what would start a command, and that is caught."""


def offences(relative: Path, source: str) -> list[str]:
    """What in ``source`` (the module at ``relative`` under the package) starts a process
    outside the seam."""
    if relative == SEAM or "boot" in relative.parts[:-1]:
        return []
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [f"{relative}:{line} imports {alias.name} as {alias.asname}"
                      for alias in node.names
                      if alias.name in ("subprocess", "os") and alias.asname]  # fmt: skip
        elif isinstance(node, ast.ImportFrom) and node.module in ("subprocess", "os", "pty"):
            found += [f"{relative}:{line} imports {node.module}.{alias.name}"
                      for alias in node.names
                      if alias.name in STARTERS | OS_STARTERS | {"spawn", "*"}]  # fmt: skip
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, name = node.value.id, node.attr
            if (owner == "subprocess" and name in STARTERS) or (
                owner == "os" and name in OS_STARTERS
            ) or (owner == "pty" and name == "spawn"):  # fmt: skip
                found.append(f"{relative}:{line} starts a process ({owner}.{name})")
    return found


def test_only_the_seam_starts_a_process() -> None:
    found = [
        offence
        for path in sorted(PACKAGE.rglob("*.py"))
        for offence in offences(path.relative_to(PACKAGE), path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_rule_sees_each_way_of_starting_a_process() -> None:
    """The check itself: the test step's start, the sandbox's, a renamed module, a named import."""
    step = Path("sandbox/step.py")
    assert offences(step, "import subprocess\nsubprocess.run(argv, env=environ)\n") == [
        "sandbox/step.py:2 starts a process (subprocess.run)"
    ]
    assert offences(Path("sandbox/run.py"), "subprocess.Popen(argv)\n") != []
    assert offences(step, "import subprocess as sp\n") == [
        "sandbox/step.py:1 imports subprocess as sp"
    ]
    assert offences(step, "from subprocess import check_output\n") != []
    assert offences(step, "import os\nos.execvpe('x', [], {})\n") != []
    assert offences(step, "import os\nos.posix_spawn('x', [], os.environ)\n") != []
    assert offences(step, "from pty import spawn\n") != []
    # what every caller still may do: name the seam, catch its exceptions, use its constants
    allowed = ("import subprocess\nfrom cicd_agent.local import processes\n"
               "processes.run(argv, env=env, stdin=subprocess.DEVNULL)\n"
               "except subprocess.TimeoutExpired: pass\n")  # fmt: skip
    assert offences(step, allowed.replace("except", "try: pass\nexcept")) == []
    assert offences(SEAM, "import subprocess\nsubprocess.run(argv)\n") == []
    assert offences(Path("runners/pytest/boot/guard.py"), "import os\nos.execv('x', [])\n") == []


def test_the_seam_strips_the_jobs_secrets_whatever_it_is_handed(
    tmp_path: Path,
) -> None:
    """A caller that hands the seam cicd-agent's raw environment still starts its process
    without the token, the key, the inputs or a copy of the token under another name."""
    import json
    import sys

    from cicd_agent.local import processes

    token = "ghs_" + "Q7mZ2xLp9RtY4vN8kB1wC6dF3hJ5sA0eG"
    environ = {"PATH": "/usr/bin:/bin", "GITHUB_TOKEN": token, "OPENAI_API_KEY": "sk-proj-" + "x7" * 12,
               "INPUT_GITHUB-TOKEN": token, "ACTIONS_RUNTIME_TOKEN": "eyJhbGciOi" + "J9" * 8,
               "COPY": f"Bearer {token}", "KEEP": "kept"}  # fmt: skip
    done = processes.run(
        [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
        env=environ, capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    seen = json.loads(done.stdout)
    assert "KEEP" in seen and "PATH" in seen
    assert not {"GITHUB_TOKEN", "OPENAI_API_KEY", "INPUT_GITHUB-TOKEN", "ACTIONS_RUNTIME_TOKEN",
                "COPY"} & set(seen)  # fmt: skip
