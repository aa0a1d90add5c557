"""The test-runner seam against each runner's own report, on real commits of public
JavaScript/TypeScript (jest, vitest) and Rust (cargo test) projects.

For each ``language repo commit [ENV=NAME=VALUE]`` of the frozen set (``runner_eval_js_rust.txt``),
in a fresh clone from a folder of bare clones (``--mirrors``, one ``owner+name/repo`` each;
fetched code is never committed here), the whole suite runs twice:

- through the seam: the runner the checkout configures (:func:`cicd_agent.runners.lookups.configured`),
  ``runner.run`` in the real sandbox with no test selected and the commit's changed source
  files to cover, timed; its per-test outcomes, and the changed lines it counts as code and no
  test ran (as gen-tests reads them);
- directly, outside the sandbox, as the runner's own report: jest ``--json --outputFile`` or
  vitest ``run --reporter=json --outputFile`` with the same coverage asked of istanbul's or V8's
  ``lcovonly`` reporter (its ``DA:`` lines, the tool's own line coverage), or ``cargo test
  --no-fail-fast`` and its plain libtest output read here by a few lines of its own.

JavaScript checkouts install their own devDependencies from npm first (``npm ci`` where a
``package-lock.json`` is, else ``npm install``, or pnpm from a ``pnpm-lock.yaml`` alone:
:func:`_install`; ``--ignore-scripts``), not timed as a run.

Run: ``nice python -m research.gen_tests.runner_eval_seam --mirrors DIR``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.lookups import configured
from cicd_agent.runners.pytest.runner import PytestSandbox

HERE = Path(__file__).parent
SOURCE = {
    "js": re.compile(r"^(src|lib)/.*\.(ts|js|mjs|cjs|mts|cts)$"),
    "rust": re.compile(r"^src/.*\.rs$"),
}
NOT_SOURCE = re.compile(r"\.(test|spec|bench)\.|(^|/)(tests?|__tests__|benches|fuzz)/")
LIBTEST = re.compile(r"^test (.+?) \.\.\. (ok|FAILED|ignored)")
STATUS = {"ok": "passed", "FAILED": "failed", "ignored": "skipped"}
PNPM = "pnpm@10.34.9"
"""The pnpm a project locked with ``pnpm-lock.yaml`` installs with (:func:`_install`)."""


def _run(
    argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          timeout=timeout)  # fmt: skip


def _added(work: Path, commit: str, language: str) -> dict[str, set[int]]:
    """The commit's added lines of its non-test source files (``git diff -U0``)."""
    diff = _run(["git", "diff", "-U0", f"{commit}^", commit], work, dict(os.environ)).stdout
    found: dict[str, set[int]] = {}
    path = ""
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[6:] if line.startswith("+++ b/") else ""
            path = name if SOURCE[language].match(name) and not NOT_SOURCE.search(name) else ""
        elif line.startswith("@@") and path and (match := re.search(r"\+(\d+)(?:,(\d+))?", line)):
            start, count = int(match.group(1)), int(match.group(2) or 1)
            found.setdefault(path, set()).update(range(start, start + count))
    return {p: lines for p, lines in found.items() if lines}


def _seam_gaps(report: TestReport, added: dict[str, set[int]]) -> dict[str, list[int]] | str:
    """The added lines the seam's report counts as code and no test ran, or why none."""
    if (
        report.problem
        or report.coverage_problem
        or report.coverage is None
        or report.measured is None
    ):
        return report.problem or report.coverage_problem or "no coverage"
    found = {path: sorted((report.measured.get(path, frozenset()) & lines)
                          - report.coverage.get(path, frozenset()))
             for path, lines in added.items()}  # fmt: skip
    return {path: lines for path, lines in found.items() if lines}


def _lcov_gaps(lcov: Path, work: Path, added: dict[str, set[int]]) -> dict[str, list[int]] | str:
    """The added lines lcov's ``DA:line,0`` marks unrun (a line with no ``DA`` is no code)."""
    if not lcov.is_file():
        return "no lcov report"
    unrun: dict[str, set[int]] = {}
    seen: set[str] = set()
    file = ""
    for line in lcov.read_text().splitlines():
        if line.startswith("SF:"):
            file = os.path.relpath(Path(work, line[3:]).resolve(), work.resolve())
            seen.add(file)
        elif line.startswith("DA:"):
            number, count = line[3:].split(",")[:2]
            if int(count) == 0:
                unrun.setdefault(file, set()).add(int(number))
    if missing := sorted(set(added) - seen):
        return f"lcov leaves out {missing[0]}"
    found = {path: sorted(unrun.get(path, set()) & lines) for path, lines in added.items()}
    return {path: lines for path, lines in found.items() if lines}


def _install(work: Path, env: dict[str, str]) -> str:
    """Install the checkout's devDependencies, not timed ("" when done, else what failed).

    The frozen rule: ``npm ci`` where a ``package-lock.json`` is, else ``npm install``. After
    the first-seen run (not first-seen): a project that locks with ``pnpm-lock.yaml`` and no
    ``package-lock.json`` installs with pnpm from its own lock (:data:`PNPM`, fetched from npm
    by ``npx``), as its maintainers do: npm could not resolve unjs/defu's peers (ERESOLVE) and
    left out the optional peer ``ts-node`` that vercel/ms's ``jest.config.ts`` needs."""
    home = Path.home()
    if (work / "pnpm-lock.yaml").is_file() and not (work / "package-lock.json").is_file():
        argv = ["npx", "--yes", PNPM, "install", "--frozen-lockfile", "--ignore-scripts",
                "--config.manage-package-manager-versions=false",
                f"--store-dir={home / '.cache' / 'runner-eval-pnpm'}"]  # fmt: skip
    else:
        install = "ci" if (work / "package-lock.json").is_file() else "install"
        argv = ["npm", install, "--ignore-scripts", "--no-audit", "--no-fund"]
    done = _run(argv, work, {**env, "npm_config_cache": str(home / ".npm")})
    tail = _count(done.stderr.strip()[-160:] or done.stdout.strip()[-160:])
    return f"{' '.join(argv[:4])} failed: {tail}" if done.returncode else ""


def _direct_js(runner: str, work: Path, env: dict[str, str], added: dict[str, set[int]],
               out: Path) -> tuple[dict[str, str] | str, dict[str, list[int]] | str]:  # fmt: skip
    """The runner's own JSON report and lcov coverage of the changed files, run directly."""
    report, cover = out / "direct.json", out / "cover"
    tool = str(work / "node_modules" / ".bin" / runner)
    if runner == "jest":
        argv = [tool, "--ci", "--json", f"--outputFile={report}", "--coverage",
                "--coverageReporters=lcovonly", f"--coverageDirectory={cover}",
                *(f"--collectCoverageFrom={file}" for file in added)]  # fmt: skip
    else:
        argv = [tool, "run", "--reporter=json", f"--outputFile={report}", "--coverage.enabled=true",
                "--coverage.provider=v8", "--coverage.reporter=lcovonly",
                f"--coverage.reportsDirectory={cover}",
                *(f"--coverage.include={file}" for file in added)]  # fmt: skip
    run = _run(argv, work, env)
    try:
        document = json.loads(report.read_text())
    except (OSError, ValueError):
        return f"{runner} exit {run.returncode}: {(run.stdout + run.stderr).strip()[-300:]}", "-"
    outcomes: dict[str, str] = {}
    for result in document.get("testResults", []):
        where = os.path.relpath(result["name"], work)
        for case in result.get("assertionResults", []):
            outcomes[f"{where} › {case['fullName']}"] = case["status"]
    return outcomes, _lcov_gaps(cover / "lcov.info", work, added)


def _direct_cargo(work: Path, env: dict[str, str]) -> dict[str, str] | str:
    """``cargo test``'s plain report, each test by name (targets' names may repeat: counted)."""
    run = _run(["cargo", "test", "--no-fail-fast"], work, {**env, "CARGO_NET_OFFLINE": "true",
               "CARGO_TERM_COLOR": "never"})  # fmt: skip
    found = [
        (match[1], match[2]) for line in run.stdout.splitlines() if (match := LIBTEST.match(line))
    ]
    if not found and run.returncode:
        return f"cargo test exit {run.returncode}: {run.stderr.strip()[-300:]}"
    return {f"{name} #{n}" if n else name: STATUS[status]
            for (name, status), n in _numbered(found)}  # fmt: skip


def _numbered(pairs: list[tuple[str, str]]) -> list[tuple[tuple[str, str], int]]:
    """Each pair with how often its name came before (a name two targets share)."""
    seen: Counter[str] = Counter()
    numbered = []
    for name, status in pairs:
        numbered.append(((name, status), seen[name]))
        seen[name] += 1
    return numbered


def _compare(ours: dict[str, str], theirs: dict[str, str] | str) -> str:
    if isinstance(theirs, str):
        return "-"
    wrong = [t for t in theirs if ours.get(t) != theirs[t]] + [t for t in ours if t not in theirs]
    if not wrong:
        return "0"
    kinds = Counter(f"{ours.get(t)}/{theirs.get(t)}" for t in wrong)  # ours/theirs
    return (f"{len(wrong)} ({', '.join(f'{k} {n}' for k, n in kinds.most_common())}; first: "
            f"{wrong[0][:80]}: ours {ours.get(wrong[0])}, theirs {theirs.get(wrong[0])})")  # fmt: skip


def _problem(report: TestReport) -> str:
    """The seam's problem and, where there is one, the last line of the run's output (the
    first-seen run's vitest exit 134 left no word of why)."""
    lines = [line.strip() for line in report.output.splitlines() if line.strip()]
    said = _count(report.problem)
    return f"{said} (last output: {_count(lines[-1][-100:])})" if said and lines else said


def _count(gaps: dict[str, list[int]] | str) -> str:
    return gaps[:120].replace("|", "/").replace("\n", " ") if isinstance(gaps, str) \
        else str(sum(len(v) for v in gaps.values()))  # fmt: skip


def evaluate(
    language: str, repo: str, commit: str, extra: dict[str, str], mirrors: Path
) -> tuple[str, float]:
    """One row of the table and the seam's seconds."""
    with tempfile.TemporaryDirectory(prefix="runeval-") as folder:
        root = Path(folder)
        work = root / "work"
        subprocess.run(
            ["git", "clone", "-q", str(mirrors / repo.replace("/", "+") / "repo"), str(work)],
            check=True,
        )
        subprocess.run(["git", "checkout", "-q", commit], cwd=work, check=True)
        env = {"PATH": os.environ["PATH"], "HOME": str(root), **extra,
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")),
               "CARGO_HOME": os.environ.get("CARGO_HOME", str(Path.home() / ".cargo"))}  # fmt: skip
        if language == "js" and (failed := _install(work, env)):
            return f"| {repo} | {commit[:10]} | {failed} |", 0.0
        added = _added(work, commit, language)
        runners = configured(work)
        runner = next((r for r in runners if r.name in ("jest", "vitest", "cargo test")), None)
        if runner is None:
            return (
                f"| {repo} | {commit[:10]} | no runner configured ({[r.name for r in runners]}) |",
                0.0,
            )
        started = time.monotonic()
        with PytestSandbox(work, env) as sandbox:
            report = runner.run(sandbox, sandbox.workspace("suite"), Selection(cover=tuple(added)),
                                timeout=1800)  # fmt: skip
        seconds = time.monotonic() - started
        (root / "out").mkdir()
        direct_started = time.monotonic()
        if language == "js":
            theirs, standard = _direct_js(runner.name, work, env, added, root / "out")
        else:
            theirs, standard = _direct_cargo(work, env), "cargo-llvm-cov/tarpaulin not installed"
        direct = time.monotonic() - direct_started
        ours = dict(report.outcomes)
        if language == "rust":  # the seam names a whole-suite test "cargo test › name"
            ours = {f"{name} #{n}" if n else name: status for (name, status), n in
                    _numbered([(t.partition(" › ")[2], s) for t, s in report.outcomes.items()])}  # fmt: skip
        gaps = _seam_gaps(report, added)
        same = (
            "yes"
            if isinstance(gaps, dict) and gaps == standard
            else "NO"
            if isinstance(standard, dict)
            else "-"
        )
        counts = Counter(ours.values())
        return (f"| {repo} | {commit[:10]} | {runner.name} | {seconds:.1f} | {direct:.1f} | "
                f"{len(ours)} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}) | "
                f"{len(theirs) if isinstance(theirs, dict) else _count(theirs)} | "
                f"{_problem(report) or '-'} | "
                f"{_compare(ours, theirs)} | {sum(map(len, added.values()))} | {_count(gaps)} | "
                f"{_count(standard)} | {same} |"), seconds  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--set", type=Path, default=HERE / "runner_eval_js_rust.txt")
    parser.add_argument("--language", choices=("js", "rust"))
    parser.add_argument("--repo", help="only this repository's commits (an after-figure)")
    args = parser.parse_args()
    print(
        "| repo | commit | runner | seam s | direct s | tests (seam) | tests (own report) | "
        "seam's problem | disagreements | added lines | uncovered (seam) | uncovered (own tool) | same |"
    )
    print("|---|---|---|---:|---:|---|---|---|---|---:|---|---|---|")
    seconds: dict[str, list[float]] = {}
    for line in args.set.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, repo, commit, *rest = line.split(maxsplit=3)
        if (args.language and language != args.language) or (args.repo and repo != args.repo):
            continue
        name, _, value = rest[0].removeprefix("ENV=").partition("=") if rest else ("", "", "")
        row, took = evaluate(language, repo, commit, {name: value} if name else {}, args.mirrors)
        print(row, flush=True)
        if took:
            seconds.setdefault(language, []).append(took)
    for language, taken in seconds.items():
        p90 = statistics.quantiles(taken, n=10)[-1] if len(taken) > 1 else taken[0]
        print(f"\n{language}: seam time per whole-suite run, median {statistics.median(taken):.1f} s, "
              f"p90 {p90:.1f} s ({len(taken)} runs).")  # fmt: skip


if __name__ == "__main__":
    main()
