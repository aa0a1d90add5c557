"""Runs gen-tests' flaky detector on the frozen case set of real flaky tests.

Usage (from the repository root; ``DATA`` holds the checkouts, venvs and wheel cache)::

    nice -n 10 .venv/bin/python research/gen_tests/flaky_detect.py run \\
        research/gen_tests/flaky_cases.json --mirrors MIRRORS --data DATA [--only REPO...] \\
        [--cpuacct /sys/fs/cgroup/cpuacct/NAME]
    .venv/bin/python research/gen_tests/flaky_detect.py report DATA/results.jsonl
    .venv/bin/python research/gen_tests/flaky_detect.py once REPO PARENT TEST_ID --data DATA \\
        [--runs 5] [--unsandboxed]

``run`` takes each case of the set (:mod:`flaky_cases`) in turn: it writes the fix's parent
out of the bare mirror (``git archive``) into ``DATA/checkouts``, gives each repository one
virtualenv of this interpreter with its test requirements (:data:`PROJECTS`, the project
itself installed without dependencies for its entry points and metadata, its own code
imported from the sandbox's copy: the copy's root or ``src`` first on ``PYTHONPATH``), then,
in the verifier's pytest sandbox, collects the case's test files once to expand each function
into its node ids (at most :data:`IDS_PER_FUNCTION`), and judges two claims the way gen-tests
judges a change's own tests (:func:`cicd_agent.modes.gen_tests.collect._rerun_pr_tests`):
``ReliableTests(ids, budget=300)`` through ``TestRuns`` with the same pytest options, the
default per-run timeout (120 s) and the same run counts by duration (10 runs under 5 s, 5
under 30 s, 2 under 5 min). One claim holds the flaky tests, one the controls. Each case
appends one JSON line to ``DATA/results.jsonl`` (a rerun skips the cases already there):
every id's counts and verdict, the rounds, pytest's seconds, the wall and CPU seconds of the
case (a cgroup's ``cpuacct.usage`` with ``--cpuacct``, else ``getrusage``, which does not see
the sandboxed processes), and why the
rounds stopped or the case could not run.

``MIRRORS/owner+name/repo`` is each repository's bare git directory.

``report`` prints the tables of ``flaky_detect.md``: the verdict of every flaky function, the
false-flake rate on controls, each with a Wilson 95 % interval, and the time per case.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cicd_agent.modes.gen_tests.collect import PR_TESTS_BUDGET  # noqa: E402
from cicd_agent.modes.gen_tests.gate import PLUGIN  # noqa: E402
from cicd_agent.modes.gen_tests.reruns import (  # noqa: E402
    PytestSandbox,
    Reruns,
    TestRuns,
)
from cicd_agent.modes.gen_tests.suite import ProjectCommand  # noqa: E402
from cicd_agent.sandbox.isolation import Isolation  # noqa: E402
from cicd_agent.verify.contract import ReliableTests  # noqa: E402

TEST_TIMEOUT = 120.0
"""gen-tests' default ``test-timeout``: one pytest run's limit."""
IDS_PER_FUNCTION = 10
"""Most parametrized ids of one function judged (the first collected)."""

PROJECTS: dict[str, tuple[str, ...]] = {
    # What each project's test requirements name (its pyproject, tox.ini or requirements
    # file at the newest case), with pytest's own plugins its configuration loads.
    "tox-dev/filelock": ("pytest", "pytest-asyncio", "pytest-mock", "pytest-timeout",
                         "pytest-cov", "covdefaults", "virtualenv"),
    "python-trio/trio": ("pytest<8", "attrs", "sortedcontainers", "idna", "outcome", "sniffio",
                         "async_generator", "trustme", "pyOpenSSL", "cryptography", "astor",
                         "jedi", "pylint", "yapf", "cffi"),
    "agronholm/anyio": ("pytest>=9,<9.1", "pytest-mock", "pytest-timeout", "hypothesis", "psutil",
                        "trustme", "truststore", "uvloop", "trio", "exceptiongroup", "idna",
                        "sniffio", "typing_extensions", "blockbuster", "coverage"),
    "tornadoweb/tornado": ("pytest",),
    "urllib3/urllib3": ("pytest", "pytest-timeout", "pytest-socket", "trustme", "tornado",
                        "PySocks", "h2", "brotli", "zstandard", "hypercorn", "quart",
                        "quart-trio", "trio", "anyio", "httpx", "python-dateutil", "mock",
                        "cryptography", "idna", "certifi", "pyOpenSSL", "flaky", "psutil"),
    "cherrypy/cheroot": ("pytest", "pytest-mock", "pytest-timeout", "pytest-xdist",
                         "pytest-forked", "trustme", "pyOpenSSL", "requests",
                         "requests-unixsocket", "requests-toolbelt", "jaraco.functools",
                         "jaraco.text", "jaraco.context", "more-itertools", "pypytools",
                         "portend", "cryptography", "pytest-rerunfailures", "pytest-cov", "six"),
    "gorakhargosh/watchdog": ("pytest", "pytest-timeout", "pytest-cov", "flaky", "pyyaml"),
    "pexpect/pexpect": ("pytest", "ptyprocess"),
    "pytest-dev/pytest-xdist": ("pytest<4", "execnet", "py", "pytest-forked", "six"),
    "joblib/joblib": ("pytest", "pytest-timeout", "numpy", "threadpoolctl", "lz4", "psutil"),
    "encode/uvicorn": ("pytest", "pytest-mock", "anyio", "httpx", "h11", "click",
                       "websockets", "wsproto", "httptools", "python-dotenv", "PyYAML",
                       "watchfiles", "a2wsgi", "trustme", "cryptography", "uvloop"),
}  # fmt: skip


def slug(repo: str) -> str:
    return repo.replace("/", "+")


def venv_for(repo: str, data: Path, mirror: Path) -> Path:
    """The repository's virtualenv (made once): its test requirements, then the project at
    its mirror's head without dependencies (entry points, metadata)."""
    venv = data / "venvs" / slug(repo)
    done = venv / ".ready"
    if done.exists():
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "-q", "--cache-dir", str(data / "pip")]
    subprocess.run([*pip, "install", *PROJECTS[repo]], check=True)
    head = data / "checkouts" / f"{slug(repo)}-head"
    export(mirror, "HEAD", head)
    installed = subprocess.run([*pip, "install", "--no-deps", str(head)], check=False,
                               env={**os.environ, "SETUPTOOLS_SCM_PRETEND_VERSION": "99.0"})  # fmt: skip
    if installed.returncode:
        print(
            f"{repo}: the project itself did not install; its tests import the copy",
            file=sys.stderr,
        )
    done.write_text("ok\n")
    return venv


def export(mirror: Path, commit: str, target: Path) -> None:
    """``commit``'s tree written out to ``target`` (once)."""
    if target.exists():
        return
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "--git-dir", str(mirror), "archive", commit],
                             check=True, capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    write_version_file(target)


VERSION_FILE = re.compile(
    r"""^[\w.\s-]*?\b(?:version[-_]file|write_to)\s*=\s*["']([^"']+)["']""", re.M
)


def write_version_file(checkout: Path) -> None:
    """The version module a build writes from git tags (setuptools-scm, hatch-vcs), which no
    archive holds: what installing the checkout in CI would have made."""
    pyproject = checkout / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8", errors="replace") if pyproject.exists() else ""
    for name in VERSION_FILE.findall(text):
        target = checkout / name
        if not target.exists() and target.suffix == ".py":
            target.write_text('__version__ = version = "99.0"\n'
                              "__version_tuple__ = version_tuple = (99, 0)\n")  # fmt: skip


def collected(
    sandbox: PytestSandbox, pytest: Sequence[str], files: Sequence[str]
) -> tuple[list[str], str]:
    """The node ids pytest collects in ``files`` (in the sandbox), and the output's tail. The
    ids are listed at verbosity -1 only; a project's ``addopts`` may already hold ``-q``."""
    tail = ""
    for verbosity in ([], ["-v"], ["-q"]):
        space = sandbox.workspace("collect")
        argv = [*pytest, *verbosity, "--collect-only", *(os.path.join(".", f) for f in files)]
        result = sandbox.run(argv, space, timeout=TEST_TIMEOUT)
        ids = [line.strip() for line in result.output.splitlines()
               if "::" in line and " " not in line.strip()]  # fmt: skip
        tail = result.output[-1500:]
        if ids:
            break
    return ids, tail


def expand(function: str, ids: Sequence[str]) -> list[str]:
    """The collected ids of ``function`` (itself, or its parametrized ids)."""
    return [i for i in ids if i == function or i.startswith(f"{function}[")][:IDS_PER_FUNCTION]


def judged(runs: TestRuns, ids: Sequence[str], label: str) -> dict[str, object]:
    """One claim judged: each id's counts and verdict, the rounds, seconds, why it stopped."""
    if not ids:
        return {"ids": {}, "runs": 0, "seconds": 0.0, "stopped": "no id collected"}
    found: Reruns = runs.judge(ReliableTests(tuple(ids), budget=PR_TESTS_BUDGET), label)
    return {
        "ids": {
            t: {"passed": c.passed, "failed": c.failed, "planned": c.planned, "verdict": c.verdict}
            for t, c in found.tests.items()
        },
        "runs": found.runs,
        "seconds": round(found.seconds, 2),
        "stopped": found.stopped,
    }


CPU_GROUP: Path | None = None
"""A cgroup v1 ``cpuacct`` folder this process joined (``--cpuacct``): its usage counts every
process the case starts, the sandboxed ones included, which ``getrusage`` does not see (bwrap's
namespaced children are not reaped into our rusage)."""


def children_cpu() -> float:
    """CPU seconds used so far by this process and everything it started."""
    if CPU_GROUP is not None:
        return int((CPU_GROUP / "cpuacct.usage").read_text()) / 1e9
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_case(repo: str, case: dict[str, object], mirror: Path, data: Path) -> dict[str, object]:
    venv = venv_for(repo, data, mirror)
    parent = str(case["parent"])
    checkout = data / "checkouts" / f"{slug(repo)}-{parent[:12]}"
    export(mirror, parent, checkout)
    tests = [str(t) for t in case["tests"]]  # type: ignore[attr-defined]
    controls = [str(t) for t in case["controls"]]  # type: ignore[attr-defined]
    environ = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
    if (checkout / "src").is_dir():
        environ["PYTHONPATH"] = "src"
    started, cpu = time.monotonic(), children_cpu()
    record: dict[str, object] = {"repo": repo, "fix": case["fix"], "parent": parent}
    with PytestSandbox(checkout, environ) as sandbox:
        record["sandboxed"] = sandbox.isolation.sandboxed
        pytest = (
            *ProjectCommand.parse("python -m pytest").pytest,
            "-q",
            "-p",
            "no:cacheprovider",
            *PLUGIN,
        )
        files = sorted({t.split("::", 1)[0] for t in [*tests, *controls]})
        ids, tail = collected(sandbox, pytest, files)
        record["collected"] = len(ids)
        flaky_ids = {t: expand(t, ids) for t in tests}
        control_ids = {t: expand(t, ids) for t in controls}
        record["functions"] = {"tests": flaky_ids, "controls": control_ids}
        if not any(flaky_ids.values()):
            record["not_runnable"] = tail
        runs = TestRuns(sandbox, pytest, timeout=TEST_TIMEOUT)
        record["flaky"] = judged(runs, [i for v in flaky_ids.values() for i in v], "flaky")
        record["control"] = judged(runs, [i for v in control_ids.values() for i in v], "controls")
    record["wall"] = round(time.monotonic() - started, 1)
    record["cpu"] = round(children_cpu() - cpu, 1)
    return record


def run(args: argparse.Namespace) -> int:
    global CPU_GROUP  # noqa: PLW0603 - set once, from the command line
    if args.cpuacct is not None:
        args.cpuacct.mkdir(exist_ok=True)
        (args.cpuacct / "cgroup.procs").write_text(str(os.getpid()))
        CPU_GROUP = args.cpuacct
    cases = json.loads(args.cases.read_text(encoding="utf-8"))["repositories"]
    results = args.data / "results.jsonl"
    done = set()
    if results.exists():
        done = {json.loads(line)["fix"] for line in results.read_text().splitlines() if line}
    for repo, entry in cases.items():
        if args.only and repo not in args.only:
            continue
        mirror = args.mirrors / slug(repo) / "repo"
        for case in entry["cases"]:
            if case["fix"] in done:
                continue
            print(
                f"{time.strftime('%H:%M:%S')} {repo} {case['fix'][:9]}", file=sys.stderr, flush=True
            )
            try:
                record = run_case(repo, case, mirror, args.data)
            except (subprocess.CalledProcessError, OSError) as exc:
                record = {"repo": repo, "fix": case["fix"], "parent": case["parent"],
                          "not_runnable": f"setup failed: {exc}"}  # fmt: skip
            with results.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
    return 0


def wilson(hits: int, total: int) -> str:
    """The Wilson 95 % interval of ``hits`` in ``total``, as percentages."""
    if not total:
        return "n/a"
    z, p = 1.96, hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return f"{100 * max(0.0, centre - half):.1f}–{100 * min(1.0, centre + half):.1f} %"


def function_verdict(ids: Sequence[str], judged_ids: dict[str, dict[str, object]]) -> str:
    """The frozen scoring: detected, missed, failing or unchecked for one function's ids."""
    verdicts = [str(judged_ids.get(i, {}).get("verdict", "unchecked")) for i in ids]
    if not verdicts:
        return "not runnable"
    if "flaky" in verdicts:
        return "detected"
    if all(v == "stable" for v in verdicts):
        return "missed"
    if "failing" in verdicts:
        return "failing"
    return "unchecked"


def report(args: argparse.Namespace) -> int:
    records = [json.loads(line) for line in args.results.read_text().splitlines() if line]
    tally: Counter[str] = Counter()
    controls: Counter[str] = Counter()
    print(
        "| repository | fix | flaky test | verdict | passed/failed of planned | rounds | stopped"
        " | wall s | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for record in records:
        functions = record.get("functions", {"tests": {}, "controls": {}})
        flaky = record.get("flaky", {"ids": {}})
        for function, ids in functions["tests"].items():
            verdict = function_verdict(ids, flaky["ids"])
            tally[verdict] += 1
            counts = ", ".join(f"{c['passed']}/{c['failed']} of {c['planned']}"
                               for i, c in flaky["ids"].items() if i in ids) or "–"  # fmt: skip
            print(f"| {record['repo']} | {record['fix'][:9]} | `{function.split('::', 1)[1]}` | {verdict} "
                  f"| {counts} | {flaky.get('runs', 0)} | {flaky.get('stopped', '') or '–'} "
                  f"| {record.get('wall', '–')} | {record.get('cpu', '–')} |")  # fmt: skip
        control = record.get("control", {"ids": {}})
        for ids in functions["controls"].values():
            controls[function_verdict(ids, control["ids"])] += 1
    judged_total = tally["detected"] + tally["missed"] + tally["failing"] + tally["unchecked"]
    print()
    print(f"flaky functions: {dict(tally)}; detected {tally['detected']}/{judged_total} "
          f"({wilson(tally['detected'], judged_total)}) of those that ran here")  # fmt: skip
    # A control is a false flake when called flaky; its denominator is every control that
    # got its runs (stable, flaky or failing), the unchecked and not runnable said apart.
    named = {"detected": "false flake", "missed": "stable"}
    shown = {named.get(verdict, verdict): n for verdict, n in controls.items()}
    control_total = controls["detected"] + controls["missed"] + controls["failing"]
    false = controls["detected"]
    print(f"controls: {shown}; false flakes {false}/{control_total} "
          f"({wilson(false, control_total)}) of those judged")  # fmt: skip
    walls = sorted(float(r["wall"]) for r in records if "wall" in r)
    cpus = sorted(float(r["cpu"]) for r in records if "cpu" in r)
    if walls:
        print(f"per case: wall median {walls[len(walls) // 2]:.0f} s, max {walls[-1]:.0f} s; "
              f"CPU median {cpus[len(cpus) // 2]:.0f} s, max {cpus[-1]:.0f} s, "
              f"total {sum(cpus):.0f} s")  # fmt: skip
    return 0


def once(args: argparse.Namespace) -> int:
    """One test id run ``--runs`` times, each in a fresh workspace copy (``--unsandboxed``: the
    scrubbed environment alone, the reference of ``gen_tests_sandbox.py``), printing how each
    run ended, our plugin's outcome and pytest's output tail: is a verdict the test's or ours?"""
    venv = args.data / "venvs" / slug(args.repo)
    checkout = args.data / "checkouts" / f"{slug(args.repo)}-{args.parent[:12]}"
    environ = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
    if (checkout / "src").is_dir():
        environ["PYTHONPATH"] = "src"
    isolation = Isolation(False, "reference run") if args.unsandboxed else None
    pytest = (
        *ProjectCommand.parse("python -m pytest").pytest,
        "-q",
        "-p",
        "no:cacheprovider",
        *PLUGIN,
    )
    with PytestSandbox(checkout, environ, isolation=isolation) as sandbox:
        runs = TestRuns(sandbox, pytest, timeout=TEST_TIMEOUT)
        for number in range(args.runs):
            space = sandbox.workspace(f"once-{number}")
            chosen = space.scratch("select", ".json")
            chosen.write_text(json.dumps([args.test]), encoding="utf-8")
            file = os.path.join(".", args.test.split("::", 1)[0])
            result, evidence = runs.once(space, [f"--cicd-select={chosen}", file])
            seen = evidence.outcomes.tests if evidence.outcomes else {}
            print(f"run {number + 1}: {result.describe()} {result.killed_for!r} "
                  f"{dict(seen)} {evidence.problem}")  # fmt: skip
            print(result.output[-args.tail :])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    running = commands.add_parser("run")
    running.add_argument("cases", type=Path)
    running.add_argument("--mirrors", type=Path, required=True)
    running.add_argument("--data", type=Path, required=True)
    running.add_argument("--only", nargs="*", default=[])
    running.add_argument("--cpuacct", type=Path, help="a cgroup v1 cpuacct folder to join")
    reporting = commands.add_parser("report")
    reporting.add_argument("results", type=Path)
    one = commands.add_parser("once")
    one.add_argument("repo")
    one.add_argument("parent")
    one.add_argument("test")
    one.add_argument("--data", type=Path, required=True)
    one.add_argument("--runs", type=int, default=5)
    one.add_argument("--tail", type=int, default=3000)
    one.add_argument("--unsandboxed", action="store_true")
    args = parser.parse_args()
    return {"run": run, "report": report, "once": once}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
