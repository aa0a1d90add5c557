"""A run's home is one place: the ``HOME`` the sandbox sets is the home the password database
shows for the run's user. go-homedir's tests compare ``os/user``'s home with ``$HOME`` and
failed in the sandbox only (``"/nonexistent" != ".../live/home"``); Python's
``os.path.expanduser`` falls back on the database when ``HOME`` is unset."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from cicd_agent.sandbox import Sandbox
from cicd_agent.sandbox.mounts import users_shown
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

PYTHON_HOMES = """\
import os, pwd
print("database", pwd.getpwuid(os.getuid()).pw_dir)
print("HOME", os.environ["HOME"])
del os.environ["HOME"]
print("expanded", os.path.expanduser("~"))
print("root", pwd.getpwnam("root").pw_dir)
"""


@needs_sandbox
def test_the_password_database_shows_the_runs_home_as_its_home(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "homes.py").write_text(PYTHON_HOMES)
    with Sandbox(checkout, {"PATH": path_env(), "HOME": str(tmp_path)}) as box:
        space = box.workspace("home")
        result = box.run([sys.executable, "homes.py"], space, timeout=60)
        again = box.run([sys.executable, "homes.py"], space, timeout=60)  # the same file, kept
    assert result.ok, result.output
    said = dict(line.split(" ", 1) for line in result.output.splitlines() if " " in line)
    assert said["database"] == said["HOME"] == said["expanded"] == str(space.home), said
    assert said["root"] == "/root"  # the other users as the host has them
    assert again.ok and again.output == result.output, again.output


GO_TEST = """\
package h

import (
\t"os"
\t"os/user"
\t"testing"
)

func TestHomeIsTheUsersHome(t *testing.T) {
\tu, err := user.Current()
\tif err != nil {
\t\tt.Fatal(err)
\t}
\tif u.HomeDir != os.Getenv("HOME") {
\t\tt.Fatalf("%q != %q", u.HomeDir, os.Getenv("HOME"))
\t}
}
"""


@needs_sandbox
@needs_go
def test_go_sees_its_home_as_the_users_home(tmp_path: Path) -> None:
    """go-homedir's ``TestDir``, cut down: ``user.Current().HomeDir`` is ``$HOME``."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "go.mod").write_text("module example.com/h\n\ngo 1.19\n")
    (checkout / "h_test.go").write_text(textwrap.dedent(GO_TEST))
    env = {"PATH": path_env(), "HOME": str(tmp_path), "GOFLAGS": "-mod=mod", "GOPROXY": "off"}
    env.update({k: os.environ[k] for k in ("GOROOT",) if k in os.environ})
    with Sandbox(checkout, env) as box:
        space = box.workspace("go")
        result = box.run(["go", "test", "-count=1", "./..."], space, timeout=300,
                         extra_env={"GOCACHE": str(space.tmp / "go-cache")})  # fmt: skip
    assert result.ok, result.output


PLANT = """\
import pathlib, sys
try:
    pathlib.Path(sys.argv[1]).write_text("root::0:0:planted:/:/bin/sh\\n")
    print("planted")
except OSError as exc:
    print("refused", exc.errno)
"""


@needs_sandbox
def test_attack_a_run_cannot_plant_the_password_file_the_next_run_sees(tmp_path: Path) -> None:
    """The file is written once beside the run's folder and reused by each later run there: a
    run that could write it would give the next a user of its choosing (a second root). It
    lies outside the one writable folder, so the write is refused; the next run sees the host's
    users, its own home set."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "plant.py").write_text(PLANT)
    (checkout / "homes.py").write_text(PYTHON_HOMES)
    with Sandbox(checkout, {"PATH": path_env(), "HOME": str(tmp_path)}) as box:
        space = box.workspace("plant")
        first = box.run([sys.executable, "homes.py"], space, timeout=60)
        planted = [box.run([sys.executable, "plant.py", str(target)], space, timeout=60)
                   for target in (space.root / "passwd", Path("/etc/passwd"))]  # fmt: skip
        after = box.run([sys.executable, "homes.py"], space, timeout=60)
        shown = (space.root / "passwd").read_text()
    assert all(run.ok and "refused" in run.output for run in planted), planted
    assert "planted" not in shown and after.output == first.output, after.output


def test_attack_a_workspace_path_that_would_break_a_line_shows_no_file(tmp_path: Path) -> None:
    """A home with ``:`` or a newline would add fields or a line (a user of its own): no file
    is made, and the run sees the host's as it is."""
    for name in ("a:b", "a\nroot::0:0::/:/bin/sh"):
        workspace = tmp_path / name
        (workspace / "live").mkdir(parents=True)
        assert users_shown(workspace, os.getuid()) is None
        assert not (workspace / "passwd").exists()
