"""Red team (sandbox, both gen-tests and the fix step): a second checkout inside the first.

A workflow that checks out a tools repository into a folder of its workspace
(``actions/checkout`` with ``path: tools`` and a token, whose credentials persist in that
clone's ``.git/config`` by default) leaves a credential header inside the checkout. The sandbox
hid the checkout's own ``.git`` but bound the rest of the checkout back read-only, so a run (the
pull request's test, or a model's candidate patch) read ``tools/.git/config`` at its host path
and could print it, reversed, past redaction."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from cicd_agent.sandbox import Sandbox
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox
HEADER = "AUTHORIZATION: basic bmVzdGVkLWNoZWNrb3V0LXRva2Vu"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_a_nested_checkouts_git_config_is_hidden(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    _git(checkout, "init", "-q")
    tools = checkout / "vendor" / "tools"
    tools.mkdir(parents=True)
    _git(tools, "init", "-q")
    _git(tools, "config", "http.https://github.com/.extraheader", HEADER)
    spy = [sys.executable, "-c", textwrap.dedent(f"""
        import pathlib
        for path in ({str(tools / ".git" / "config")!r}, {str(checkout / ".git" / "config")!r}):
            try:
                print("READ", pathlib.Path(path).read_text()[::-1])
            except OSError as exc:
                print("unreadable", exc.errno)
        import pkg
        print("pkg", pkg.VALUE)
        """)]  # fmt: skip
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        result = box.run(spy, box.workspace("nested"), timeout=60)
    assert result.ok, result.output
    assert HEADER[::-1] not in result.output, result.output
    assert "READ" not in result.output
    assert "pkg 1" in result.output
