"""Types-alone files (:mod:`cicd_agent.runners.js.type_only`) against TypeScript's own
compiler, on the TypeScript files of real projects (ts-pattern's ``Match.ts``).

For each ``.ts``/``.tsx``/``.mts``/``.cts`` file at HEAD of each project (declaration files
left out: types alone by name), the rule's answer beside ``typescript``'s ``transpileModule``
(ES modules, as ts-jest and esbuild transpile a file alone): the file holds no code when its
output is empty once ``export {};`` and import statements are taken out (istanbul counts no
statement for an import). A "false no-code" (the rule says types alone, TypeScript emits code)
would hide a file from the coverage it needs; a "missed" one only leaves it "not measured".

Run: ``nice python -m research.gen_tests.type_only_eval --mirrors DIR --typescript
NODE_MODULES/typescript OWNER+NAME ...`` (``DIR/OWNER+NAME/repo``: bare clones, or a clone's
``.git``; fetched code is never committed here).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from pathlib import Path

from cicd_agent.runners.js.type_only import types_only

ORACLE = """const ts = require(process.env.TYPESCRIPT);
const lines = require("fs").readFileSync(0, "utf8").split("\\n").filter(Boolean);
for (const line of lines) {
  const { path, text } = JSON.parse(line);
  const out = ts.transpileModule(text, { fileName: path, compilerOptions: {
    module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, removeComments: true,
    jsx: ts.JsxEmit.Preserve } }).outputText;
  const rest = out.replace(/export \\{\\};?/g, "").replace(/^import [^;]*;$/gm, "").trim();
  console.log(JSON.stringify({ empty: rest === "" }));
}
"""
SUFFIXES = (".ts", ".tsx", ".mts", ".cts")
DECLARATION = re.compile(r"\.d\.[cm]?tsx?$")
"""Declaration files: transpileModule emits nothing for them, whatever they hold."""


def _files(git: Path) -> list[tuple[str, str]]:
    listed = subprocess.run(["git", "--git-dir", str(git), "ls-tree", "-r", "--name-only", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    return [(path, subprocess.run(["git", "--git-dir", str(git), "show", f"HEAD:{path}"],
                                  capture_output=True, text=True, errors="replace",
                                  check=True).stdout)
            for path in listed if path.endswith(SUFFIXES) and not DECLARATION.search(path)
            and "node_modules" not in path]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--typescript", type=Path, required=True, help="typescript's package folder")
    parser.add_argument("projects", nargs="+", help="OWNER+NAME folders under --mirrors")
    args = parser.parse_args()
    counts = dict.fromkeys(("types alone, agreed", "code, agreed", "false no-code", "missed"), 0)
    for project in args.projects:
        git = args.mirrors / project / "repo"
        git = git / ".git" if (git / ".git").is_dir() else git
        files = _files(git)
        said = subprocess.run(["node", "-e", ORACLE], input="\n".join(
            json.dumps({"path": path, "text": text}) for path, text in files),
            capture_output=True, text=True, check=True,
            env={**os.environ, "TYPESCRIPT": str(args.typescript.resolve())}).stdout.splitlines()  # fmt: skip
        mine = [types_only(path, text) for path, text in files]
        for (path, _), rule, line in zip(files, mine, said, strict=True):
            empty = json.loads(line)["empty"]
            key = ("types alone, agreed" if rule and empty else "code, agreed" if not rule
                   and not empty else "false no-code" if rule else "missed")  # fmt: skip
            counts[key] += 1
            if key in ("false no-code", "missed"):
                print(f"{key}: {project} {path}")
        print(f"{project}: {len(files)} files, {sum(mine)} types alone by the rule")
    print(f"all: {sum(counts.values())} files; " + "; ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
