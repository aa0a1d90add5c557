"""Whether :mod:`~cicd_agent.runners.js.script` reads a real ``scripts.test`` as jest or
vitest does (``test_script_set.txt``, frozen before the first run): for each script that runs
the runner directly, the runner itself lists the test files of a fixed tree with the script's
arguments (``jest --listTests``, ``vitest list --filesOnly``); every file it lists must be one
the reader says the script runs (a false refusal otherwise), and a file it leaves out that the
reader keeps is narrowing missed (today's behaviour, no harm). A chain or another program is
read as no narrowing, its truth not runnable here::

    python -m research.gen_tests.test_script_eval --node-modules DIR   # DIR/.bin/jest, vitest
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import tempfile
from pathlib import Path

from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.js import script as js_script
from cicd_agent.runners.vitest.runner import Vitest

SET = Path(__file__).with_name("test_script_set.txt")
TREE = ("test/unit/a.test.js", "test/e2e/b.test.js", "tests/unit/c.test.js", "tests/db/d.test.js",
        "src/store/e.test.js", "src/data/f.test.js", "src/other/g.test.js", "__tests__/h.test.js",
        "test/test.js", "lib/i.spec.js", "packages/x/test/j.test.js", "Test/Unit/k.test.js")  # fmt: skip


def listed(binary: Path, name: str, arguments: list[str], root: Path) -> set[str] | None:
    """The files ``name`` lists with ``arguments`` in ``root`` (None: it failed)."""
    if name == "jest":
        argv = [str(binary), "--listTests", *arguments]
    else:
        rest = arguments[1:] if arguments[:1] in (["run"], ["watch"], ["dev"]) else arguments
        argv = [str(binary), "list", "--filesOnly", *rest]
    try:  # a watch flag never ends: no list
        done = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    found = set()
    for printed in done.stdout.splitlines():
        line = printed.strip()
        if line.startswith(str(root)):
            found.add(Path(line).relative_to(root).as_posix())
        elif line in TREE:
            found.add(line)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--node-modules", type=Path, required=True)
    modules = parser.parse_args().node_modules.resolve()
    totals = {"scripts": 0, "read as no narrowing": 0, "narrowed": 0, "runner failed": 0,
              "false refusals": 0, "narrowing missed": 0, "files judged": 0}  # fmt: skip
    for script in SET.read_text().splitlines():
        if not script.strip() or script.startswith("#"):
            continue
        totals["scripts"] += 1
        runner = Vitest() if "vitest" in script else Jest()
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for path in TREE:
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text('test("t", () => {});\n', encoding="utf-8")
            (root / "package.json").write_text(json.dumps({"scripts": {"test": script}}))
            scope = js_script.scope(runner, root)
            words = shlex.split(script)
            direct = js_script._after_launcher(words, runner.name)  # the same reading
            narrowed = scope != js_script.EVERYTHING
            totals["narrowed" if narrowed else "read as no narrowing"] += 1
            if direct is None or any(w in ("&&", "||", ";") for w in words):
                print(f"{script!r}: another program or a chain, read as no narrowing: {not narrowed}")
                continue
            truth = listed(modules / ".bin" / runner.name, runner.name, direct, root)
            if truth is None:
                totals["runner failed"] += 1
                print(f"{script!r}: {runner.name} could not list (settings missing here, or it watches); "
                      f"reader: {scope}")  # fmt: skip
                continue
            bare = listed(modules / ".bin" / runner.name, runner.name, [], root) or set()
            refused = sorted(path for path in truth if not scope.runs(path))
            missed = sorted(path for path in bare - truth if scope.runs(path))
            totals["false refusals"] += len(refused)
            totals["narrowing missed"] += len(missed)
            totals["files judged"] += len(bare)
            print(f"{script!r}: {runner.name} lists {len(truth)}/{len(bare)}; reader {scope}; "
                  f"false refusals {refused}; narrowing missed {missed}")  # fmt: skip
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
