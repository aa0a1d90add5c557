"""Where gen-tests proposes a jest/vitest test, and whether its gate lets it sit there, on real
projects that keep their tests in a root folder (``layout_set.txt``, frozen before the run).

For every source file under ``src/`` (none beside the code is a test in these projects): the
writer's proposed path (:func:`~cicd_agent.modes.gen_tests.runner_prompt.job`) is right when it
sits in the project's test folder with its naming; the gate's first stage (``_path_problem``)
must allow a candidate there, and one at ``<test folder>/<stem>.generated<naming>.ts``. Nothing runs::

    python -m research.gen_tests.layout_eval --mirrors DIR   # DIR/owner+name/repo: bare clones
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from cicd_agent.modes.gen_tests.runner_gaps import RunnerChange, RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import Candidate, _path_problem
from cicd_agent.modes.gen_tests.runner_prompt import job
from cicd_agent.runners.base import TestReport
from cicd_agent.runners.js import layout as js_layout
from cicd_agent.runners.vitest.runner import Vitest

SET = Path(__file__).with_name("layout_set.txt")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    mirrors = parser.parse_args().mirrors
    runner, right, allowed, placed, total = Vitest(), 0, 0, 0, 0
    for line in SET.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        repo, commit, folder, naming = line.split()
        with tempfile.TemporaryDirectory() as tmp:
            git = str(mirrors / repo.replace("/", "+") / "repo")
            archive = subprocess.run(["git", "--git-dir", git, "archive", commit], check=True,
                                     capture_output=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            root = Path(tmp)
            sources = sorted(p.relative_to(root).as_posix() for p in (root / "src").rglob("*.ts"))
            for source in sources:
                lines = frozenset({1})
                report = TestReport(runner.name, coverage={source: frozenset()}, measured={source: lines})
                gaps = RunnerGaps(RunnerChange(runner, {source: lines}, ()), report, None)
                layout = js_layout.layout(runner, root)
                proposed = job(gaps, source, root, lambda p, r=root: (r / p).exists(), layout).test_path
                ok = PurePosixPath(proposed).parts[0] == folder and f"{naming}." in proposed
                refused = _path_problem(gaps, Candidate(proposed, "x\n"), root, {source: lines}, layout)
                there = f"{folder}/{PurePosixPath(source).stem}.generated{naming}.ts"
                refused_there = _path_problem(gaps, Candidate(there, "x\n"), root, {source: lines}, layout)
                total, right, allowed = total + 1, right + ok, allowed + (not refused)
                placed += not refused_there
                print(f"{repo} {source} -> {proposed} {'right' if ok else 'WRONG'}"
                      f" {'allowed' if not refused else 'refused: ' + refused};"
                      f" {there} {'allowed' if not refused_there else 'refused'}")
    print(f"proposed in the project's test folder and naming: {right}/{total}; "
          f"allowed by the gate: {allowed}/{total}; a candidate in the test folder allowed: "
          f"{placed}/{total}")


if __name__ == "__main__":
    main()
