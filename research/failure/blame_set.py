"""Build the blame set: real projects with one source line broken, and their real failing CI logs.

    python research/failure/blame_set.py OUT --tools DIR [--source owner/name=GIT_URL_OR_DIR ...]
                                        [--only CASE] [--multi]

``--multi``: the multi-file set of ``blame_multi_cases.py`` instead (several edits in one
commit; ``truth.json`` lists the breaking ones under ``causes``).

For each break of ``blame_cases.py`` the project is cloned from its public repository (or the
``--source`` given for it) into the runner's workspace path (``/home/runner/work/<p>/<p>``, so
paths in tracebacks look as on GitHub's runners), pinned at its commit; the setup files are
written and committed as the base, the break is committed as the head, and the project's own
test command runs on both (bounded, niced). The head's output is wrapped in a GitHub Actions
job log (``tests/corpus/runner_log.py``). Written per case under ``OUT/<case>/``: ``log.txt``,
``base.txt`` (the same command on the base, to tell a break from a test that already failed),
``truth.json`` (file, line, base and head commits) and ``repo/`` (the two-commit checkout that
``blame_score.py`` passes as ``--repo``). A break whose tests still pass is reported and kept
out (``truth.json`` says ``"failed": false``). DIR holds the tools: ``venv/bin/python`` with
pytest, ``node/node_modules`` with mocha and supertest; go and cargo come from the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from blame_cases import BREAKS, PROJECTS, Break, Project
from blame_multi_cases import CHANGES, Change
from blame_multi_cases import PROJECTS as MULTI_PROJECTS

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.corpus import noise  # noqa: E402
from tests.corpus.runner_log import Job, Step, render  # noqa: E402

WORK = Path("/home/runner/work")
TIMEOUT = 600
MAX_OUTPUT = 400_000


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@example.com",
           "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@example.com"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)
    return done.stdout.decode().strip()


def run_tests(project: Project, root: Path, tools: Path, cache: Path) -> tuple[int, bytes]:
    path = [str(tools / "venv" / "bin"), str(tools / "node" / "node_modules" / ".bin")]
    env = {
        **os.environ,
        "PATH": os.pathsep.join([*path, os.environ.get("PATH", "")]),
        "NODE_PATH": str(tools / "node" / "node_modules"),
        "CARGO_TARGET_DIR": str(cache / "target" / project.name),
        "GOCACHE": str(cache / "gocache"), "GOFLAGS": "-mod=mod", "GOPROXY": "off",
        "NO_COLOR": "1", "CARGO_TERM_COLOR": "never",
    }  # fmt: skip
    try:
        done = subprocess.run(
            ["nice", "-n", "10", "bash", "-c", project.command + " 2>&1"], cwd=root, env=env,
            capture_output=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
        return done.returncode, done.stdout[-MAX_OUTPUT:]
    except subprocess.TimeoutExpired as exc:
        return 124, (exc.stdout or b"")[-MAX_OUTPUT:] + b"\nTimed out\n"


def job_log(project: Project, code: int, output: bytes) -> bytes:
    steps = [noise.checkout()]
    if project.language == "python":
        steps.append(noise.setup_python())
    elif project.language == "node":
        steps.append(noise.setup_node())
    steps.append(Step("Run tests", run=project.command, output=output, exit_code=code or 0))
    return render(Job("test", steps))[0]


def build(case: Break | Change, project: Project, source: str, out: Path, tools: Path) -> None:
    edits = case.edits if isinstance(case, Change) else (case,)
    causes = [edits[i] for i in case.causes] if isinstance(case, Change) else [case]
    root = WORK / project.name / project.name
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--no-checkout", source, str(root)], check=True)
    git(root, "checkout", "-q", "-B", "main", project.commit)
    for name, text in project.setup.items():
        (root / name).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "ci: the build without registry-only deps")
    base = git(root, "rev-parse", "HEAD")
    for edit in edits:
        target = root / edit.file
        lines = target.read_text().splitlines(keepends=True)
        if edit.old not in lines[edit.line - 1]:
            raise SystemExit(f"{case.name}: {edit.old!r} is not on {edit.file}:{edit.line}")
        lines[edit.line - 1] = lines[edit.line - 1].replace(edit.old, edit.new, 1)
        target.write_text("".join(lines))
    git(root, "commit", "-q", "-am", f"change {', '.join(sorted({e.file for e in edits}))}")
    head = git(root, "rev-parse", "HEAD")
    dest = out / case.name
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    code, output = run_tests(project, root, tools, out / "_cache")
    (dest / "log.txt").write_bytes(job_log(project, code, output))
    git(root, "checkout", "-q", base)
    base_code, base_output = run_tests(project, root, tools, out / "_cache")
    git(root, "checkout", "-q", "main")
    (dest / "base.txt").write_bytes(job_log(project, base_code, base_output))
    truth = {"case": case.name, "project": project.name, "language": project.language,
             "file": causes[0].file, "line": causes[0].line,
             "causes": [[edit.file, edit.line] for edit in causes], "base": base, "head": head,
             "failed": code != 0, "base_failed": base_code != 0, "exit_code": code}  # fmt: skip
    (dest / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    shutil.rmtree(root / "target", ignore_errors=True)
    shutil.move(str(root), str(dest / "repo"))
    print(f"{case.name}: exit {code} (base {base_code})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--tools", type=Path, required=True)
    parser.add_argument("--source", action="append", default=[], help="owner/name=URL_OR_DIR")
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--multi", action="store_true", help="the multi-file set")
    args = parser.parse_args()
    sources = dict(item.split("=", 1) for item in args.source)
    projects = MULTI_PROJECTS if args.multi else PROJECTS
    for case in CHANGES if args.multi else BREAKS:
        if args.only and case.name not in args.only and case.project not in args.only:
            continue
        repo = projects[case.project].repo
        source = sources.get(repo, f"https://github.com/{repo}")
        build(case, projects[case.project], source, args.out, args.tools)


if __name__ == "__main__":
    main()
