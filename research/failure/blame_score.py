"""Score analyse-failure's responsible location on the blame set built by ``blame_set.py``.

    python research/failure/blame_score.py SET_DIR [--src SRC_DIR] [--show]

Each case whose tests failed is analysed as a user would: ``cicd-agent analyse-failure --logs
log.txt --repo repo --base BASE --head HEAD --provider none --json`` (``--src``: run another
checkout's ``src`` instead of the installed package, e.g. an older commit's, for a before
figure). The location a person reads first is the first responsible file and its first line
(the summary's "Likely responsible" and the annotation); it is compared with the line the
break changed. Printed: per case the truth and the location, then line@1 (file and line
right), file@1 (file right), line-listed (the line among the first file's lines) and how many
line@1 hits a log line named (the rest come from the change alone: a one-line break makes that
fallback easy, so this count is the harder half of the figure). A multi-file case
(``blame_set.py --multi``) lists its breaking lines in ``causes``: either is right.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def analyse(case: Path, truth: dict[str, object], src: Path | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "OPENAI_"))}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [sys.executable, "-m", "cicd_agent", "analyse-failure", "--logs",
             str(case / "log.txt"), "--repo", str(case / "repo"), "--base", str(truth["base"]),
             "--head", str(truth["head"]), "--provider", "none", "--json"],
            cwd=scratch, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    try:
        result: dict[str, object] = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": (done.stderr or done.stdout)[-400:]}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", type=Path)
    parser.add_argument("--src", type=Path)
    parser.add_argument("--show", action="store_true", help="print each case's root cause too")
    args = parser.parse_args()
    scored = line_hits = file_hits = listed = from_log = 0
    for case in sorted(p for p in args.set.iterdir() if (p / "truth.json").is_file()):
        truth = json.loads((case / "truth.json").read_text())
        if not truth["failed"]:
            continue
        scored += 1
        result = analyse(case, truth, args.src)
        files = result.get("responsible_files") or []
        top = files[0] if isinstance(files, list) and files else {}
        path, lines = top.get("path", ""), top.get("lines") or []
        where = f"{path}:{lines[0]}" if lines else path
        causes = [tuple(cause) for cause in truth.get("causes", [[truth["file"], truth["line"]]])]
        file_ok = path in {file for file, _ in causes}
        line_ok = bool(lines) and (path, lines[0]) in causes
        file_hits += file_ok
        line_hits += line_ok
        listed += any((path, line) in causes for line in lines)
        from_log += line_ok and top.get("source", "logs") == "logs"
        mark = "LINE" if line_ok else "file" if file_ok else "miss"
        print(f"{mark:4}  {case.name:28} truth {truth['file']}:{truth['line']:<5} got {where}")
        if args.show or "error" in result:
            print(f"      root cause: {result.get('root_cause', result.get('error'))!r}")
            print(f"      failures: {len(result.get('failures') or [])}, "
                  f"flaky: {result.get('is_flaky')}")  # fmt: skip
    if scored:
        print(f"\n{scored} cases: line@1 {line_hits}/{scored} ({line_hits / scored:.0%}), "
              f"file@1 {file_hits}/{scored} ({file_hits / scored:.0%}), "
              f"line-listed {listed}/{scored} ({listed / scored:.0%}); line@1 from a log line "
              f"(not from the change alone) {from_log}/{scored}")  # fmt: skip


if __name__ == "__main__":
    main()
