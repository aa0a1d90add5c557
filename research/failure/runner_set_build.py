"""Build the frozen runner set: real failing output of the test runners and linters teams use.

    python research/failure/runner_set_build.py --tools DIR [--only TOOL] [--dest tests/fixtures/logs/runners]

For each tool, five small projects with a different real failure each are written under the
runner's workspace path (``/home/runner/work/<project>/<project>``, as on GitHub's runners) and
the real tool is run on them; its output, command and exit code are kept, and the lines a
person would read as the failure are picked from that output by the tool's own failure
structure (``TRUTH``), never typed in. ``bench/runner_eval.py`` wraps each output in a GitHub
Actions job log and scores the analysis on it. DIR holds the tools (``node/node_modules/.bin``,
``venv/bin``); go, cargo, ruby, php and shellcheck come from the machine. The set was built
once and frozen before the analysis was changed for it; re-running this rewrites it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from runner_set_projects import PROJECTS, Project

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEST = REPO_ROOT / "tests" / "fixtures" / "logs" / "runners"
WORK = Path("/home/runner/work")
MAX_OUTPUT = 12_000
"""Characters of output kept (head and tail): the set stays small, the failure stays in."""

TRUTH: dict[str, str] = {
    "pytest": r"^(?:FAILED|ERROR) \S+|^E {2,}\S",
    "unittest": r"^(?:FAIL|ERROR): |^\w*(?:Error|Exception)\b.*",
    "jest": r"^\s*● ",
    "vitest": r"^\s*(?:FAIL|×) .+|^(?:AssertionError|\w*Error): ",
    "mocha": r"^\s+\d+\) \S|^\s+(?:AssertionError|\w*Error)\b",
    "ava": r"^\s*✘ |^not ok \d+|^\s+\S.* › .+|^\s{2}\S.*(?:Error|Difference)",
    "tap": r"^\s*not ok \d+|^\s*✖ |^\s+FAIL ",
    "go-test": r"^\s*--- FAIL: |^\s+\S+_test\.go:\d+: |^panic: ",
    "cargo-test": r"panicked at |^test \S+ (?:- should panic )?\.\.\. FAILED"
    r"|^\s*(?:assertion|called)|did not panic",
    "rspec": r"^rspec \./|Failure/Error: |^\s+\d+\) \S",
    "phpunit": r"^\d+\) \S+::|^\s*✘ |^Failed asserting|\w+Exception: ",
    "eslint": r"^\s+\d+:\d+\s+error\s",
    "xo": r"^\s+\S+:\d+:\d+$|^\s+✖\s+\d+:\d+|^\s*\S+\.(?:js|ts|mjs|cjs):\d+:\d+",
    "ruff": r"^\S+\.py:\d+:\d+: [A-Z]+\d+|^[A-Z]+\d+ |^Would reformat: |^\s*--> \S+\.py:\d+"
    r"|^\s+\d+:\d+ [A-Z]+\d+ ",
    "flake8": r"^\S+\.py:\d+:\d+: [A-Z]+\d+ ",
    "mypy": r"^\S+\.py:\d+: error: ",
    "tsc": r"^\S+\.tsx?[(:]\d+[,:]\d+\)?:? (?:- )?error TS\d+",
    "shellcheck": r"^In \S+ line \d+:|SC\d{4}|^\S+:\d+:\d+: (?:error|warning|note)",
}


def _env(tools: Path, project: Project) -> dict[str, str]:
    env = {
        "PATH": os.pathsep.join(
            [str(tools / "node" / "node_modules" / ".bin"), str(tools / "venv" / "bin"),
             str(Path.home() / ".cargo" / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "HOME": str(tools / "home"),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "LANG": "C.UTF-8",
        "GOCACHE": str(tools / "gocache"),
        "GOPATH": str(tools / "gopath"),
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "CARGO_TARGET_DIR": str(tools / "cargo-target" / project.name),
        "CARGO_NET_OFFLINE": "true",
        "CARGO_HOME": str(Path.home() / ".cargo"),
        "RUSTUP_HOME": str(Path.home() / ".rustup"),
        "NODE_PATH": str(tools / "node" / "node_modules"),
    }  # fmt: skip
    env.update(project.env)
    return env


def _trim(text: str) -> str:
    if len(text) <= MAX_OUTPUT:
        return text
    head, tail = text[: MAX_OUTPUT // 3], text[-(2 * MAX_OUTPUT) // 3 :]
    return head[: head.rfind("\n") + 1] + tail[tail.find("\n") + 1 :]


def _neutral(output: str, tools: Path, root: Path) -> str:
    """Where the tools live here, said as a runner would have them (in the checkout, the
    hosted tool cache, the runner's home)."""
    for here, there in (
        (tools / "node" / "node_modules", root / "node_modules"),
        (tools / "cargo-target" / root.name, root / "target"),
        (tools / "venv", Path("/opt/hostedtoolcache/Python/3.12.3/x64")),
        (tools / "home", Path("/home/runner")),
        (tools / "gopath", Path("/home/runner/go")),
        (tools / "gocache", Path("/home/runner/.cache/go-build")),
        (Path.home() / ".cargo", Path("/home/runner/.cargo")),
        (Path.home() / ".rustup", Path("/home/runner/.rustup")),
    ):
        output = output.replace(str(here), str(there))
    return output


_COMMAND = re.compile(r"^::(error|warning|notice)(?: [^:]*)?::(.*)$", re.MULTILINE)


def _annotations(output: str) -> str:
    """Workflow commands as the runner logs them: ``::error …::msg`` becomes ``##[error]msg``
    (a tool that knows it runs in Actions, as vitest does, prints them)."""

    def logged(match: re.Match[str]) -> str:
        message = match.group(2).replace("%0D", "").replace("%0A", "\n").replace("%25", "%")
        return f"##[{match.group(1)}]{message}"

    return _COMMAND.sub(logged, output)


def build(project: Project, tools: Path) -> dict[str, object]:
    root = WORK / project.name / project.name
    shutil.rmtree(WORK / project.name, ignore_errors=True)
    root.mkdir(parents=True)
    for name, content in project.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    if project.link_node:
        (root / "node_modules").symlink_to(tools / "node" / "node_modules")
    (tools / "home").mkdir(exist_ok=True)
    done = subprocess.run(
        ["bash", "-c", project.command], cwd=root, env=_env(tools, project),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600, check=False,
    )  # fmt: skip
    output = _annotations(_neutral(done.stdout.decode("utf-8", "replace"), tools, root))
    shutil.rmtree(WORK / project.name, ignore_errors=True)
    plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", output)
    truth = [
        line.strip()
        for line in plain.splitlines()
        if re.search(TRUTH[project.tool], line) and line.strip()
    ]
    return {
        "name": project.name,
        "tool": project.tool,
        "command": project.command,
        "exit_code": done.returncode,
        "failure_type": project.failure_type,
        "what": project.what,
        "truth": truth,
        "output": _trim(output),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=Path, required=True)
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    parser.add_argument("--only")
    args = parser.parse_args()
    args.dest.mkdir(parents=True, exist_ok=True)
    for project in PROJECTS:
        if args.only and project.tool != args.only and project.name != args.only:
            continue
        case = build(project, args.tools.resolve())
        status = "ok" if case["exit_code"] and case["truth"] else "CHECK"
        print(f"{status} {project.name}: exit {case['exit_code']}, {len(case['truth'])} truth")
        (args.dest / f"{project.name}.json").write_text(json.dumps(case, indent=1) + "\n")


if __name__ == "__main__":
    main()
