"""A ``kubectl`` that records its arguments and answers as kubectl does, for running a workflow's
own shell step where there is no cluster; and the real kubectl's check of those arguments."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

RECORDER = """\
#!{python}
import json, os, sys
args = sys.argv[1:]
config = os.environ.get("KUBECONFIG", "")
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": args, "kubeconfig": open(config).read() if config else None,
                          "mode": oct(os.stat(config).st_mode & 0o777) if config else None}})
              + "\\n")
name = next((a.split("/", 1)[1] for a in args if a.startswith("deployment/")), "")
if args[args.index("rollout") + 1] == "undo":
    print(f"deployment.apps/{{name}} rolled back")
else:
    print(f'deployment "{{name}}" successfully rolled out')
"""


def install(folder: Path) -> Path:
    """A ``kubectl`` in ``folder``; returns the file its calls are written to, one JSON line
    each: the arguments, and the kubeconfig file's text and mode as the call found them."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "kubectl.calls"
    script = folder / "kubectl"
    script.write_text(RECORDER.format(python=sys.executable, log=str(log)))
    script.chmod(0o755)
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def real_kubectl_accepts(argv: list[str]) -> str:
    """Empty when the real kubectl parses ``argv`` (its flags and its ``rollout`` subcommand) with
    ``--help``, which reads no kubeconfig and reaches no cluster; else what it said."""
    kubectl = shutil.which("kubectl", path="/usr/local/bin:/usr/bin:/bin")
    assert kubectl, "no kubectl installed to check the arguments with"
    sub = argv[argv.index("rollout") + 1]
    done = subprocess.run([kubectl, *argv, "--help"], capture_output=True, text=True,
                          env={**os.environ, "KUBECONFIG": os.devnull}, check=False)  # fmt: skip
    said = done.stdout + done.stderr
    if done.returncode != 0 or "Error:" in said or f"kubectl rollout {sub} " not in said:
        return said[-2000:]
    return ""
