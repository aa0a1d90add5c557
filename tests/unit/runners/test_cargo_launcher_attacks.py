"""Attacks on cargo's repeats launcher (``runners/cargo/repeat.placed_launcher``): the copy the
build's recorder and the loop run from, in the sandbox's own folder, with our interpreter. Code
of the checkout runs in the same sandbox before the loop starts (a ``build.rs``, a test): it
must not choose what the launcher is, nor which modules our interpreter imports for it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from cicd_agent.runners.cargo.repeat import LAUNCHER, placed_launcher
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox

# Modules the launcher imports, as a checkout may commit them at its root (the runs' folder).
SHADOWS = {name: "import sys\nsys.stdout.write('shadowed by the checkout\\n')\nsys.exit(0)\n"
           for name in ("json.py", "ctypes.py", "subprocess.py", "typing.py")}  # fmt: skip


@needs_sandbox
def test_attack_checkout_code_neither_rewrites_the_launcher_nor_shadows_its_modules(
    tmp_path: Path,
) -> None:
    """A run (a build script would run so) writes over the placed launcher and its folder; then
    the recorder runs in a copy whose root holds ``json.py`` and ``ctypes.py``: the launcher is
    still ours, byte for byte, and imports the standard library's modules, not the checkout's."""
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("start", {**SHADOWS, "src/lib.rs": "pub fn f() {}\n"})
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        launcher = placed_launcher(sandbox)
        space = sandbox.workspace("crate")
        overwrite = (f"printf 'print(1)' > {launcher}; rm -f {launcher}; "
                     f"ln -s /bin/true {sandbox.root}/x.py")  # fmt: skip
        tried = sandbox.run(["/bin/sh", "-c", overwrite], space, timeout=60)
        assert "Read-only file system" in tried.output, tried.output
        assert Path(launcher).read_bytes() == LAUNCHER.read_bytes()
        assert not (sandbox.root / "x.py").exists()
        assert placed_launcher(sandbox) == launcher
        # the shadows are live in the runs' folder: an interpreter that puts it on its path
        # (``-c`` without ``-I``) imports the checkout's json
        control = sandbox.run([sys.executable, "-c", "import json"], space, timeout=60)
        recorded = sandbox.run([sys.executable, "-I", launcher, "record", "/bin/true", "--x"],
                               space, timeout=60)  # fmt: skip
    assert "shadowed by the checkout" in control.output, control.output
    assert recorded.returncode == 0, recorded.output
    line = json.loads(recorded.output.strip().splitlines()[-1])
    assert line["reason"] == "cicd-agent-runner" and line["argv"] == ["/bin/true", "--x"]
    assert "shadowed" not in recorded.output
