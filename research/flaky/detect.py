"""Runs the flaky hunt on the frozen second set, and on the first set's cases.

Usage (from the repository root; ``DATA`` holds checkouts, venvs, the wheel cache)::

    nice -n 10 .venv/bin/python research/flaky/detect.py run research/flaky/cases.json \\
        --mirrors MIRRORS --data DATA [--only REPO...] [--fixes SHA9...] [--out FILE] \\
        [--schedule varied|plain] [--claim case|file|test [--flaky-files]] [--stop FILE]
    .venv/bin/python research/flaky/detect.py report DATA/results.jsonl [--cases CASES.json]

``run`` does for each case what the first set's driver does (``research/gen_tests/
flaky_detect.py``: the parent written out of the mirror, one virtualenv per repository, the
functions expanded into collected ids in the sandbox), then judges ONE claim holding the flaky
ids and the controls together (half the time of two claims; the files are the same) with
``TestRuns.judge`` under the hunt's schedule
(:func:`cicd_agent.modes.gen_tests.conditions.varied`,
seeded from the fix's sha so a rerun is the same), ``budget=300`` s, gen-tests' options and
run timeout. The flaky and control ids are scored apart from the same runs, by the frozen
scoring of ``cases.py``. ``--claim file`` judges instead one claim per test file (the flaky
functions' files first), each with its own 300 s: the claim gen-tests makes for a change to
that file, as gen-tests claimed before it claimed ids; ``--claim test`` judges each file's
flaky functions by their own ids, then its controls apart: the claim gen-tests makes now for a
change to those tests (the alone fallback can run them). One record per claim. ``report``
prints the tables: detected among the Linux cases
(first-seen), false flakes among the controls, each with its Wilson 95 % interval.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from research.flaky.projects import PROJECTS  # noqa: E402
from research.gen_tests import flaky_detect as first  # noqa: E402

from cicd_agent.modes.gen_tests.collect import PR_TESTS_BUDGET  # noqa: E402
from cicd_agent.modes.gen_tests.conditions import PLAIN, varied  # noqa: E402
from cicd_agent.modes.gen_tests.gate import PLUGIN  # noqa: E402
from cicd_agent.modes.gen_tests.reruns import TestRuns  # noqa: E402
from cicd_agent.modes.gen_tests.suite import ProjectCommand  # noqa: E402
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.verify.contract import ReliableTests  # noqa: E402

first.PROJECTS.update(PROJECTS)
BUDGET = [float(PR_TESTS_BUDGET)]
"""The hunt's budget a claim (``--budget``; the default is gen-tests' own)."""
MISSING = re.compile(r"invalid object \S+ \S+ for '([^']+)'")


def export(mirror: Path, commit: str, target: Path) -> None:
    """The first driver's export, leaving out files whose blobs the snapshot lacks (named in
    git's error, at most 20): a setup fix, recorded in the case's record, never the detector."""
    if target.exists():
        return
    left_out: list[str] = []
    for _ in range(20):
        done = subprocess.run(["git", "--git-dir", str(mirror), "archive", commit, "--", ".",
                               *(f":(exclude){path}" for path in left_out)],
                              capture_output=True, check=False)  # fmt: skip
        missing = MISSING.search(done.stderr.decode(errors="replace"))
        if done.returncode == 0 or missing is None:
            break
        left_out.append(missing[1])
    if done.returncode:
        raise subprocess.CalledProcessError(done.returncode, "git archive", stderr=done.stderr)
    target.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=done.stdout, check=True)
    (target / ".left-out").write_text("\n".join(left_out))
    first.write_version_file(target)


first.export = export


def claims(case: dict[str, object], per: str) -> list[tuple[str, ...]]:
    """The claims a case is judged as: ONE holding every flaky and control function's files
    (``case``, the first-seen driver), or, as gen-tests claims the test files a change adds or
    changes (``collect._rerun_pr_tests``), one claim per file (``file``): the flaky functions'
    files first, then the files holding only controls. A control in a flaky function's file is
    scored from that file's runs: a change to it would make the same claim."""
    tests = [str(t) for t in case["tests"]]  # type: ignore[attr-defined]
    controls = [str(t) for t in case["controls"]]  # type: ignore[attr-defined]
    files = list(dict.fromkeys(t.split("::", 1)[0] for t in [*tests, *controls]))
    if per == "case":
        return [tuple(sorted(files))]
    ordered = sorted(files, key=lambda f: not any(t.startswith(f"{f}::") for t in tests))
    if per == "file":
        return [(f,) for f in ordered]
    # "test": as gen-tests claims a change to these tests (targets._changed_tests), the
    # functions' own ids, a file's flaky functions apart from its controls
    return [claim for f in ordered for group in (tests, controls)
            if (claim := tuple(t for t in group if t.startswith(f"{f}::")))]  # fmt: skip


def run_case(repo: str, case: dict[str, object], mirror: Path, data: Path, schedule: str,
             files: tuple[str, ...], per: str) -> dict[str, object]:  # fmt: skip
    """One claim of ``case`` judged: its ``files`` run (``per="file"``: the files themselves
    are the claim, as gen-tests makes it; ``per="case"``: the functions' ids are)."""
    venv = first.venv_for(repo, data, mirror)
    parent = str(case["parent"])
    checkout = data / "checkouts" / f"{first.slug(repo)}-{parent[:12]}"
    first.export(mirror, parent, checkout)
    mine = tuple(f"{f}::" for f in files) if per != "test" else files
    tests = [str(t) for t in case["tests"] if str(t).startswith(mine)]  # type: ignore[attr-defined]
    controls = [str(t) for t in case["controls"] if str(t).startswith(mine)]  # type: ignore[attr-defined]
    claim = files
    if per == "test":  # the ids are the claim; their files are what is collected
        files = tuple(dict.fromkeys(t.split("::", 1)[0] for t in claim))
    environ = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
    if (checkout / "src").is_dir():
        environ["PYTHONPATH"] = "src"
    started = time.monotonic()
    record: dict[str, object] = {"repo": repo, "fix": case["fix"], "parent": parent,
                                 "platform": case.get("platform", "linux"), "schedule": schedule,
                                 "claim": per, "files": list(claim),
                                 "tests": tests}  # fmt: skip
    with PytestSandbox(checkout, environ) as sandbox:
        pytest = (*ProjectCommand.parse("python -m pytest").pytest, "-q", *PLUGIN)
        ids, tail = first.collected(sandbox, pytest, list(files))
        record["collected"] = len(ids)
        flaky_ids = {t: first.expand(t, ids) for t in tests}
        control_ids = {t: first.expand(t, ids) for t in controls}
        record["functions"] = {"tests": flaky_ids, "controls": control_ids}
        if not any(flaky_ids.values()) and tests:
            record["not_runnable"] = tail
        every = [i for v in [*flaky_ids.values(), *control_ids.values()] for i in v]
        runs = TestRuns(sandbox, pytest, timeout=first.TEST_TIMEOUT)
        seed = int(str(case["fix"])[:8], 16)
        plan = varied(seed) if schedule == "varied" else PLAIN
        if every:
            claimed = {"case": tuple(every), "file": files}.get(per) or claim
            found = runs.judge(ReliableTests(claimed, budget=BUDGET[0]), "hunt",
                               schedule=plan)  # fmt: skip
            record["ids"] = {
                t: {"passed": c.passed, "failed": c.failed, "planned": c.planned,
                    "verdict": c.verdict, "failed_under": list(found.failed_under.get(t, ())),
                    "replay": found.replays.get(t, "")}
                for t, c in found.tests.items() if t in every
            }  # fmt: skip
            record.update(runs=found.runs, seconds=round(found.seconds, 1),
                          stopped=found.stopped, seed=found.seed,
                          alone_from=found.alone_from)  # fmt: skip
    record["wall"] = round(time.monotonic() - started, 1)
    return record


def run(args: argparse.Namespace) -> int:
    cases = json.loads(args.cases.read_text(encoding="utf-8"))["repositories"]
    results = args.out or args.data / "results.jsonl"
    done = set()
    if results.exists():
        done = {(r["fix"], tuple(r.get("files", ()))) for line in results.read_text().splitlines()
                if line for r in [json.loads(line)]}  # fmt: skip
    for repo, entry in cases.items():
        if args.only and repo not in args.only:
            continue
        mirror = args.mirrors / first.slug(repo) / "repo"
        for case in entry["cases"]:
            if args.fixes and case["fix"][:9] not in args.fixes:
                continue
            for files in claims(case, args.claim):
                holds_flaky = any(str(t).startswith(f"{files[0]}::") or t == files[0]
                                  for t in case["tests"])  # fmt: skip
                if args.flaky_files and args.claim != "case" and not holds_flaky:
                    continue
                key = (case["fix"], files if args.claim != "case" else ())
                if case["fix"] in {f for f, _ in done if args.claim == "case"} or key in done:
                    continue
                if args.stop and args.stop.exists():
                    return 0
                print(f"{time.strftime('%H:%M:%S')} {repo} {case['fix'][:9]} {' '.join(files)}",
                      file=sys.stderr, flush=True)  # fmt: skip
                try:
                    record = run_case(repo, case, mirror, args.data, args.schedule, files,
                                      args.claim)  # fmt: skip
                except (subprocess.CalledProcessError, OSError, KeyError) as exc:
                    record = {"repo": repo, "fix": case["fix"], "parent": case["parent"],
                              "platform": case.get("platform", "linux"), "files": list(files),
                              "claim": args.claim, "tests": [
                                  t for t in case["tests"]
                                  if t in files or t.split("::", 1)[0] in files],
                              "not_runnable": f"setup failed: {exc!r}"}  # fmt: skip
                with results.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(record) + "\n")
    return 0


def report(args: argparse.Namespace) -> int:
    records = [json.loads(line) for line in args.results.read_text().splitlines() if line]
    flaky: Counter[tuple[str, str]] = Counter()
    controls: Counter[str] = Counter()
    rows = []
    for record in records:
        judged = record.get("ids", {})
        functions = record.get("functions", {"tests": {}, "controls": {}})
        platform = record.get("platform", "linux")
        for name, ids in functions["tests"].items():
            verdict = first.function_verdict(ids, judged)
            flaky[(platform, verdict)] += 1
            under = sorted({u for i in ids for u in judged.get(i, {}).get("failed_under", [])})
            counts = ", ".join(f"{judged[i]['passed']}/{judged[i]['failed']}" for i in ids
                               if i in judged)  # fmt: skip
            rows.append(f"| {record['repo']} | {record['fix'][:9]} | {platform} | "
                        f"`{name.split('::', 1)[1]}` | {verdict} | {counts} | "
                        f"{'; '.join(under)[:160]} |")  # fmt: skip
        for ids in functions["controls"].values():  # a control "detected" is a false flake
            verdict = first.function_verdict(ids, judged)
            controls[{"detected": "false flake", "missed": "stable"}.get(verdict, verdict)] += 1
        if not functions["tests"] and (record.get("tests") or "claim" not in record):
            flaky[(platform, "not runnable")] += len(record.get("tests", [])) or 1
    print("| repository | fix | platform | flaky test | verdict | passed/failed | failed under |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    for platform in ("linux", "other"):
        got = {v: n for (p, v), n in flaky.items() if p == platform}
        judged_n = sum(n for v, n in got.items() if v != "not runnable")
        hits = got.get("detected", 0)
        print(f"\n{platform}: {got}; detected {hits} of {judged_n} judged "
              f"({first.wilson(hits, judged_n)})")  # fmt: skip
    judged_c = sum(n for v, n in controls.items() if v not in ("not runnable", "unchecked"))
    false = controls.get("false flake", 0)
    print(f"\ncontrols: {dict(controls)}; false flakes {false} of {judged_c} judged "
          f"({first.wilson(false, judged_c)})")
    walls = sorted(float(r.get("wall", 0)) for r in records)
    if walls:
        print(f"wall per case: median {walls[len(walls) // 2]:.0f} s, max {walls[-1]:.0f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run")
    go.add_argument("cases", type=Path)
    go.add_argument("--mirrors", type=Path, required=True)
    go.add_argument("--data", type=Path, required=True)
    go.add_argument("--only", nargs="*")
    go.add_argument("--fixes", nargs="*", help="only these fixes (9-digit sha prefixes)")
    go.add_argument("--out", type=Path, help="the records' file (default DATA/results.jsonl)")
    go.add_argument("--schedule", choices=("varied", "plain"), default="varied")
    go.add_argument("--claim", choices=("case", "file", "test"), default="case",
                    help="one claim per case (the first-seen driver), per test file (the claim "
                         "gen-tests made for a change to that file), or per file's flaky "
                         "functions and its controls by id (the claim it makes now)")  # fmt: skip
    go.add_argument("--flaky-files", action="store_true",
                    help="with --claim file: only the files holding a flaky function")
    go.add_argument("--stop", type=Path, help="no new claim once this file exists")
    go.add_argument("--budget", type=float, default=BUDGET[0], help="seconds a claim (the curve)")
    show = sub.add_parser("report")
    show.add_argument("results", type=Path)
    args = parser.parse_args()
    BUDGET[0] = getattr(args, "budget", BUDGET[0])
    return run(args) if args.command == "run" else report(args)


if __name__ == "__main__":
    sys.exit(main())
