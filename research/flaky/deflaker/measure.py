"""Runs the test step's differential-coverage judgement on real failures (the rule: RULE.md).

Usage::

    .venv/bin/python research/flaky/deflaker/measure.py regressions --data DATA \
        --out DATA/regressions.jsonl GIT_DIR...
    .venv/bin/python research/flaky/deflaker/measure.py flaky --data DATA --cases CASES.json \
        --out DATA/flaky.jsonl GIT_DIR...
    .venv/bin/python research/flaky/deflaker/measure.py report DATA/regressions.jsonl DATA/flaky.jsonl

``GIT_DIR`` is a bare clone, ``MIRRORS/owner+name/repo``. Each case runs through the test step's
own ``run_attempts`` (our tracer loaded, code taken as proof, no retries) and ``judge_step``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.history import canonical_test
from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.sandbox.step import read_change

PACKAGES: dict[str, tuple[str, ...]] = {
    "more-itertools/more-itertools": (),
    "tkem/cachetools": (),
    "jd/tenacity": ("tornado", "typeguard"),
    "pytest-dev/pluggy": (),
    "dateutil/dateutil": ("six", "freezegun", "hypothesis"),
    "spulec/freezegun": ("python-dateutil",),
    "tartley/colorama": (),
    "Pylons/waitress": (),
    "psf/requests": ("pytest-httpbin", "pytest-mock", "trustme", "urllib3", "idna",
                     "charset-normalizer", "certifi", "PySocks"),
    "pyinvoke/invoke": ("pytest-relaxed", "pytest-mock", "icecream"),
    "wntrblm/nox": ("argcomplete", "colorlog", "packaging", "virtualenv", "attrs",
                    "dependency-groups", "tomli", "jinja2", "py"),
    "nedbat/coveragepy": ("unittest-mixins", "flaky", "hypothesis", "pytest-xdist", "gevent",
                          "greenlet", "eventlet", "tomli"),
    "sphinx-doc/sphinx": ("sphinx", "defusedxml", "cython", "setuptools", "typing_extensions"),
    "paramiko/paramiko": ("cryptography", "bcrypt", "pynacl", "invoke", "pytest-relaxed",
                          "icecream"),
    "pytest-dev/pytest": ("iniconfig", "pluggy", "packaging", "pygments", "attrs", "xmlschema",
                          "hypothesis", "setuptools"),
    "sanic-org/sanic": ("sanic-routing", "httptools", "uvloop", "ujson", "aiofiles",
                        "websockets", "multidict", "html5tagger", "tracerite", "sanic-testing",
                        "httpx", "beautifulsoup4", "pytest-benchmark"),
    "miguelgrinberg/python-socketio": ("python-engineio", "bidict", "simple-websocket", "msgpack",
                                       "aiohttp", "requests", "websocket-client", "uvicorn"),
    "miguelgrinberg/python-engineio": ("simple-websocket", "aiohttp", "requests",
                                       "websocket-client", "tornado"),
    "encode/httpcore": ("h11", "anyio", "certifi", "trio", "h2", "socksio", "pytest-trio",
                        "pytest-asyncio", "sniffio"),
}
LEFT_OUT = ("giampaolo/psutil", "pytest-dev/pytest-rerunfailures")
FIX = re.compile(r"\bfix(es|ed)?\b", re.IGNORECASE)
IDENTITY = {"GIT_AUTHOR_NAME": "m", "GIT_AUTHOR_EMAIL": "m@example.com",
            "GIT_COMMITTER_NAME": "m", "GIT_COMMITTER_EMAIL": "m@example.com"}


def repo_name(git_dir: Path) -> str:
    return git_dir.parent.name.replace("+", "/", 1)


def git(cwd: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **IDENTITY})
    if check and done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()[:300]}")
    return done.stdout


def venv(data: Path, repo: str) -> Path:
    folder = data / "venvs" / repo.replace("/", "+")
    python = folder / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pytest",
                        *PACKAGES[repo]], check=True)
    return python


def checkout(git_dir: Path, data: Path, commit: str) -> Path:
    place = data / "work" / f"{git_dir.parent.name}-{commit[:12]}"
    if not place.exists():
        subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(git_dir),
                        str(place)], check=True)
    git(place, "checkout", "-q", "-f", commit)
    git(place, "clean", "-qfdx")
    return place


def environment(python: Path, tree: Path) -> dict[str, str]:
    source = tree / "src" if (tree / "src").is_dir() else tree
    return {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
            "PYTHONPATH": str(source), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}


def judged(python: Path, tree: Path, base: str, head: str, args: list[str]) -> dict[str, object]:
    """The test step at ``head`` (checked out in ``tree``), its change ``base``..``head``."""
    change, unread = read_change(base, head, tree)
    command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", *args]
    attempts = run_attempts(command, 0, cwd=tree, env=environment(python, tree), trusted=True,
                            timeout=300, change=change)
    verdict = judge_step(attempts, [], date.today(), code_is_proof=True, change=change)
    first = attempts[0] if attempts else None
    record = first.ran_changed if first else None
    return {
        "failed": first.failed() if first else [],
        "passed": [t for t, ok in (first.outcomes.items() if first else ()) if ok],
        "likely_flaky": dict(verdict.likely_flaky),
        "said": list(verdict.said),
        "unread": unread,
        "changed": {p: sorted(n) for p, n in (change.lines.items() if change else ())},
        "untraced": list(change.untraced) if change else [],
        "record": None if record is None else {"tests": dict(record.tests),
                                               "outside": record.outside},
    }


def is_test(path: str) -> bool:
    return "test" in path.lower()


def done(out: Path) -> set[str]:
    """The fixes already judged (a run picks up where a stopped one left off)."""
    if not out.exists():
        return set()
    return {json.loads(line)["fix"] for line in out.open(encoding="utf-8")}


def regressions(args: argparse.Namespace) -> int:
    seen = done(args.out)
    out = args.out.open("a", encoding="utf-8")
    for git_dir in args.repos:
        repo = repo_name(git_dir)
        python = venv(args.data, repo)
        kept = 0
        log = git(git_dir, "log", "--no-merges", "--format=%H %s", "HEAD").splitlines()
        for line in log:
            if kept >= args.per_repo:
                break
            fix, _, subject = line.partition(" ")
            if args.fixes is not None and fix[:10] not in args.fixes:
                continue
            if not FIX.search(subject):
                continue
            if fix in seen:
                kept += any(json.loads(r).get("failures") for r in args.out.open()
                            if json.loads(r)["fix"] == fix)
                continue
            stat = git(git_dir, "diff", "--numstat", f"{fix}^", fix, check=False).splitlines()
            files = [(a, b, p) for a, b, p in (s.split("\t", 2) for s in stat if s.count("\t") >= 2)]
            source = [p for a, b, p in files if p.endswith(".py") and not is_test(p)]
            tests = [p for a, b, p in files if p.endswith(".py") and is_test(p)]
            size = sum(int(a) + int(b) for a, b, p in files if not is_test(p)
                       and a.isdigit() and b.isdigit())
            if not source or not tests or size > 200:
                continue
            print(f"{repo} {fix[:10]} {subject[:60]}", file=sys.stderr, flush=True)
            tree = checkout(git_dir, args.data, fix)
            tests = [t for t in tests if (tree / t).is_file()]
            if not tests:
                continue
            try:
                fixed = judged(python, tree, fix, fix, tests)
            except subprocess.TimeoutExpired:
                continue
            reverse = git(git_dir, "diff", f"{fix}^", fix, "--", *[p for a, b, p in files
                                                                   if not is_test(p)])
            applied = subprocess.run(["git", "apply", "-R"], input=reverse, text=True,
                                     cwd=tree, capture_output=True, check=False)
            if applied.returncode:
                continue
            git(tree, "commit", "-qam", "the fix undone")
            buggy = git(tree, "rev-parse", "HEAD").strip()
            try:
                result = judged(python, tree, fix, buggy, tests)
            except subprocess.TimeoutExpired:  # the bug itself may loop: no report, no case
                out.write(json.dumps({"kind": "none", "repo": repo, "fix": fix,
                                      "why": "the buggy tree's run timed out"}) + "\n")
                out.flush()
                continue
            passed = set(fixed["passed"])  # type: ignore[arg-type]
            failures = [t for t in result["failed"] if t in passed]  # type: ignore[attr-defined]
            if not failures:
                continue
            kept += 1
            row = {"kind": "regression", "repo": repo, "fix": fix, "subject": subject,
                   "tests": tests, "failures": failures,
                   "called_flaky": [t for t in failures if t in result["likely_flaky"]],  # type: ignore[operator]
                   **result}
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(f"  case: {len(failures)} failure(s), called flaky: {row['called_flaky']}",
                  file=sys.stderr, flush=True)
    return 0


def flaky(args: argparse.Namespace) -> int:
    out = args.out.open("a", encoding="utf-8")
    repositories = json.loads(args.cases.read_text("utf-8"))["repositories"]
    cases = [{**case, "repo": name} for name, held in repositories.items()
             for case in held["cases"]]
    dirs = {repo_name(d): d for d in args.repos}
    seen = done(args.out)
    for case in cases:
        repo, parent = case["repo"], case["parent"]
        if repo not in dirs or repo in LEFT_OUT or case.get("platform") != "linux":
            continue
        if case["fix"] in seen or (args.fixes is not None and case["fix"][:10] not in args.fixes):
            continue
        git_dir = dirs[repo]
        try:
            python = venv(args.data, repo)
        except subprocess.CalledProcessError:
            out.write(json.dumps({"kind": "flaky", "repo": repo, "fix": case["fix"],
                                  "reproduced": False, "why": "packages did not install"}) + "\n")
            continue
        tree = checkout(git_dir, args.data, parent)
        version = tree / "src" / "_pytest" / "_version.py"  # setuptools-scm writes it at install
        if repo == "pytest-dev/pytest" and not version.exists():
            version.write_text('version = __version__ = "8.99"\n', "utf-8")
        base = git(tree, "rev-parse", f"{parent}^").strip()
        ids = [t for t in case["tests"]]
        print(f"{repo} {case['fix'][:10]} {ids}", file=sys.stderr, flush=True)
        started, runs, result, collected = time.monotonic(), 0, None, False
        wanted = {canonical_test(test) for test in ids}
        while time.monotonic() - started < args.budget:
            runs += 1
            try:
                attempt = judged(python, tree, base, parent, ids)
            except subprocess.TimeoutExpired:
                continue
            except UsageError:  # the project's options need what the rule's command leaves out
                break
            ran = {*attempt["passed"], *attempt["failed"]}  # type: ignore[misc]
            collected = bool(wanted & ran)
            if not collected:
                break  # not collected (a module that does not import): not runnable here
            if wanted & set(attempt["failed"]):  # type: ignore[arg-type]
                result = attempt
                break
        failed = [t for t in (result or {}).get("failed", []) if t in wanted]  # type: ignore[attr-defined]
        named = {canonical_test(t) for t in (result or {}).get("likely_flaky", {})}  # type: ignore[attr-defined]
        row = {"kind": "flaky", "repo": repo, "fix": case["fix"], "parent": parent,
               "tests": ids, "runs": runs, "reproduced": result is not None,
               "runnable": collected, "flaky_failed": failed,
               "recalled": bool(failed) and all(t in named for t in failed), **(result or {})}
        out.write(json.dumps(row) + "\n")
        out.flush()
        print(f"  runs {runs}, reproduced {row['reproduced']}, recalled {row['recalled']}",
              file=sys.stderr, flush=True)
    return 0


def wilson(hits: int, total: int) -> str:
    if not total:
        return "n/a"
    z, p = 1.96, hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return f"{max(0.0, centre - half):.1%}–{min(1.0, centre + half):.1%}"


def report(args: argparse.Namespace) -> int:
    rows = [json.loads(line) for path in args.files for line in path.open(encoding="utf-8")]
    reg = [r for r in rows if r["kind"] == "regression"]
    called = [r for r in reg if r["called_flaky"]]
    failures = sum(len(r["failures"]) for r in reg)
    labelled = sum(len(r["called_flaky"]) for r in reg)
    print(f"regressions called flaky: {len(called)}/{len(reg)} cases "
          f"(95 % {wilson(len(called), len(reg))}); {labelled}/{failures} failures")
    fl = [r for r in rows if r["kind"] == "flaky" and r["reproduced"]]
    hit = [r for r in fl if r["recalled"]]
    print(f"flaky failures recalled: {len(hit)}/{len(fl)} reproduced "
          f"(95 % {wilson(len(hit), len(fl))}); not reproduced: "
          f"{sum(1 for r in rows if r['kind'] == 'flaky' and not r['reproduced'])}")
    print("\n| kind | repository | commit | failures | called likely flaky | why not (the step's line) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        if row["kind"] == "none":
            print(f"| no case | {row['repo']} | {row['fix'][:10]} | | | {row['why']} |")
            continue
        kind = row["kind"] if row["kind"] == "regression" else (
            "flaky" if row.get("reproduced") else
            "flaky, not reproduced" if row.get("runnable") else "flaky, not runnable")
        failures = row.get("failures") or row.get("flaky_failed") or []
        called = row.get("called_flaky") if row["kind"] == "regression" else (
            failures if row.get("recalled") else [])
        said = next((line for line in row.get("said", []) if "likely flaky" in line), "")
        print(f"| {kind} | {row['repo']} | {row['fix'][:10]} | {', '.join(failures)[:120]} "
              f"| {len(called or [])} | {said[:160]} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("regressions", "flaky"):
        each = sub.add_parser(name)
        each.add_argument("repos", nargs="*", type=Path)
        each.add_argument("--data", type=Path, required=True)
        each.add_argument("--out", type=Path, required=True)
        each.add_argument("--per-repo", type=int, default=5)
        each.add_argument("--cases", type=Path)
        each.add_argument("--budget", type=float, default=120.0)
        each.add_argument("--fixes", nargs="*", help="only these fixes (10-digit sha prefixes): "
                          "the cases of an earlier run, measured again")
    shown = sub.add_parser("report")
    shown.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    return {"regressions": regressions, "flaky": flaky, "report": report}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
