"""Benchmark: tokens analyse-failure sends with and without the log diff against a green run.

    python bench/bench_log_diff.py [--requests DIR] [--model gpt-4o-mini] [--json]

Each pair is one job run twice by real tools, red then green (the failing code fixed or the
failing test deselected), wrapped in the runner's log format with the same setup steps:
pytest on a package with a few hundred tests and a deprecation warning, jest, cargo test,
mypy, and, with ``--requests`` (a checkout of psf/requests with a venv in ``.venv`` holding its
test requirements), requests' own ``tests/test_requests.py``, red where this machine's network
makes tests fail and green with those tests deselected. For each pair the mode's real prompt is
built twice, from the analysis without and with the green run's lines dropped, and counted with
the model's tokenizer; both are checked for the pair's true error line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from common import emit, figure, tokenizer_note, use_tiktoken_cache  # noqa: E402
from tests.corpus import noise  # noqa: E402
from tests.corpus.build import TOOLS_DIR  # noqa: E402
from tests.corpus.runner_log import Job, Step, write_layout  # noqa: E402
from tests.corpus.tools import PYTHON, Output, Toolbox, find, run, write  # noqa: E402

from cicd_agent.analysis.redact import Redactor  # noqa: E402
from cicd_agent.model.config import DEFAULT_MAX_OUTPUT_TOKENS  # noqa: E402
from cicd_agent.model.tokens import TokenCounter, prompt_budget  # noqa: E402
from cicd_agent.modes.analyse_failure.answer import FailureAnswer  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.baseline import BaselineIndex  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.sources import load_logs  # noqa: E402
from cicd_agent.modes.analyse_failure.prompt import build_prompt  # noqa: E402
from cicd_agent.modes.analyse_failure.types import Evidence  # noqa: E402
from cicd_agent.modes.analyse_failure.verdict import excerpt_budget  # noqa: E402


@dataclass
class Pair:
    name: str
    red: Output
    green: Output
    truth: str
    command: str
    node: bool = False


def _python_pair(root: Path) -> Pair:
    failing = "from calc import add\n\n\ndef test_add_small_numbers():\n    assert add(2, 3) == 6\n"
    red_root = write(root / "red", noise.python_project(tests=300, failing=failing))
    green_root = write(root / "green", noise.python_project(tests=300, failing=""))
    args = [PYTHON, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests"]
    red, green = run(args, red_root), run(args, green_root)
    return Pair("pytest package", red, green, find(red, "E       assert 5 == 6")[0], "pytest -v")


def _jest_pair(root: Path) -> Pair:
    tests = "".join(
        f"test('adds {n}', () => {{ expect({n} + 1).toBe({n + 1}); }});\n" for n in range(60)
    )
    package = '{"name": "app", "version": "1.0.0"}\n'
    jest = str(TOOLS_DIR / "node" / "node_modules" / ".bin" / "jest")
    red_root = write(root / "jred", {"package.json": package, "a.test.js": tests
                     + "test('adds numbers', () => { expect(1 + 1).toBe(3); });\n"})  # fmt: skip
    green_root = write(root / "jgreen", {"package.json": package, "a.test.js": tests})
    red, green = (
        run([jest, "--ci", "--verbose"], red_root),
        run([jest, "--ci", "--verbose"], green_root),
    )
    return Pair("jest", red, green, find(red, "● adds numbers")[0], "npx jest --ci --verbose", True)


def _cargo_pair(root: Path) -> Pair:
    tests = "".join(
        f"    #[test]\n    fn t{n}() {{ assert_eq!({n} + 1, {n + 1}); }}\n" for n in range(80)
    )
    manifest = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n'
    lib = "pub fn half(x: i32) -> i32 { x / 2 }\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n"
    red_root = write(root / "cred", {"Cargo.toml": manifest, "src/lib.rs": lib + tests
                     + "    #[test]\n    fn halves() { assert_eq!(half(5), 3); }\n}\n"})  # fmt: skip
    green_root = write(root / "cgreen", {"Cargo.toml": manifest, "src/lib.rs": lib + tests + "}\n"})
    red, green = run(["cargo", "test"], red_root), run(["cargo", "test"], green_root)
    return Pair("cargo test", red, green, find(red, "panicked at")[0], "cargo test")


def _mypy_pair(root: Path) -> Pair:
    files = {f"pkg/m{n}.py": f"def f{n}(x: int) -> int:\n    return x + {n}\n" for n in range(40)}
    files["pkg/__init__.py"] = ""
    red_root = write(root / "mred", {**files, "pkg/bad.py": "x: int = 'a'\n"})
    green_root = write(root / "mgreen", {**files, "pkg/bad.py": "x: int = 1\n"})
    args = [PYTHON, "-m", "mypy", "--strict", "--no-incremental", "-v", "pkg"]
    red, green = run(args, red_root), run(args, green_root)
    return Pair(
        "mypy -v", red, green, find(red, "error: Incompatible types")[0], "mypy --strict -v"
    )


def _requests_pair(checkout: Path) -> Pair:
    python = str(checkout / ".venv" / "bin" / "python")
    args = [python, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests/test_requests.py",
            "-k", "TestTimeout or TestPreparingURLs or TestCaseInsensitiveDict"]  # fmt: skip
    red = run(args, checkout, timeout=600)
    failed = [line.split()[1] for line in red.lines() if line.startswith("FAILED ")]
    green = run([*args, *(f"--deselect={test}" for test in failed)], checkout, timeout=600)
    truth = find(red, "E           Failed: The connect() request should time out.")[0]
    return Pair("psf/requests", red, green, truth, "python -m pytest -v tests/test_requests.py")


def _job(pair: Pair, output: Output, dest: Path) -> Path:
    setup = noise.setup_node() if pair.node else noise.setup_python()
    step = Step("Run tests", run=pair.command, output=output.text, exit_code=output.exit_code)
    job = Job("test", [noise.checkout(), setup, noise.pip_install(), step],
              conclusion="failure" if output.exit_code else "success")  # fmt: skip
    dest.mkdir(parents=True)
    return write_layout([job], dest, "zip_steps")


def measure(pairs: list[Pair], model: str, scratch: Path) -> list[dict[str, object]]:
    counter = TokenCounter.for_model(model)
    budget = excerpt_budget(prompt_budget(model, None, DEFAULT_MAX_OUTPUT_TOKENS))
    schema = counter.count(json.dumps(FailureAnswer.model_json_schema()))
    redact = Redactor().redact
    rows: list[dict[str, object]] = []
    for index, pair in enumerate(pairs):
        red = _job(pair, pair.red, scratch / f"{index}-red")
        green = _job(pair, pair.green, scratch / f"{index}-green")
        baseline = BaselineIndex.from_jobs(load_logs(green))
        row: dict[str, object] = {"pair": pair.name}
        for label, used in (("plain", None), ("diff", baseline)):
            analysis = analyse_scans(scan_jobs(load_logs(red)), baseline=used, budget=budget,
                                    measure=counter.count, redact=redact)  # fmt: skip
            system, user = build_prompt(analysis, None, Evidence(), redact=redact,
                                        truncate=counter.truncate)  # fmt: skip
            row[f"{label}_prompt"] = counter.count(system) + counter.count(user) + schema
            row[f"{label}_excerpt"] = counter.count(analysis.excerpt)
            row[f"{label}_found"] = pair.truth in analysis.excerpt
            row[f"{label}_type"] = analysis.failure_type.value
            if used is not None:
                row["dropped"], row["compared"] = analysis.diff_dropped, analysis.diff_lines
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--requests", type=Path, help="psf/requests checkout with .venv")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    use_tiktoken_cache()
    Toolbox(TOOLS_DIR).prepare()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        makers: list[Callable[[], Pair]] = [
            lambda: _python_pair(scratch), lambda: _jest_pair(scratch),
            lambda: _cargo_pair(scratch), lambda: _mypy_pair(scratch),
        ]  # fmt: skip
        if args.requests:
            makers.append(lambda: _requests_pair(args.requests))
        rows = measure([make() for make in makers], args.model, scratch / "logs")

    def ratio(row: dict[str, object], key: str) -> float:
        return 100 * int(str(row[f"diff_{key}"])) / int(str(row[f"plain_{key}"]))

    counter = TokenCounter.for_model(args.model)
    how = f"{len(rows)} red/green pairs of real tool runs, {args.model}; " + tokenizer_note(
        counter.encoding_name, counter.exact
    )
    found = 100 * sum(1 for r in rows if r["diff_found"]) / len(rows)
    plain_found = 100 * sum(1 for r in rows if r["plain_found"]) / len(rows)
    figures = [
        figure("log diff: prompt tokens with / without the diff, per pair", "%",
               [ratio(r, "prompt") for r in rows], note=how),
        figure("log diff: excerpt tokens with / without the diff, per pair", "%",
               [ratio(r, "excerpt") for r in rows], note=how),
        figure("log diff: failed-step lines dropped as also in the green run", "%",
               [100 * int(str(r["dropped"])) / max(int(str(r["compared"])), 1) for r in rows],
               note="lines of the failed steps the reader kept (hits and step tail)"),
        figure("log diff: true error line still sent (recall)", "%", [found],
               f"= without the diff ({plain_found:.0f} %)", found >= plain_found),
    ]  # fmt: skip
    if args.json:
        emit(figures)
        return 0
    for row in rows:
        print(json.dumps(row))
    for item in figures:
        print(f"{item.name}: median {item.median:.1f} {item.unit} "
              f"(range {item.low:.1f}–{item.high:.1f})")  # fmt: skip
    total_plain = sum(int(str(r["plain_prompt"])) for r in rows)
    total_diff = sum(int(str(r["diff_prompt"])) for r in rows)
    print(f"prompt tokens summed: {total_diff} with the diff, {total_plain} without "
          f"({100 * total_diff / total_plain:.1f} %); median excerpt "
          f"{statistics.median(int(str(r['diff_excerpt'])) for r in rows):.0f} vs "
          f"{statistics.median(int(str(r['plain_excerpt'])) for r in rows):.0f} tokens")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
