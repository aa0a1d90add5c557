"""Where review places a compiler's or type checker's error: on the changed line it depends on?

    python research/review/compile_errors_eval.py freeze OUT REPO_DIR... [--per-repo 12]
    python research/review/compile_errors_eval.py score OUT [--again]

Each REPO_DIR is a clone (bare is fine) of a public repository nobody here wrote, checked by
its own language's checker: Go (``go vet``), Python (mypy with the project's configuration),
TypeScript (``tsc --noEmit -p .``), Rust (``cargo check --offline``) and Java (``javac`` over
``src/main/java``). ``freeze`` draws breakages of our own making, mechanically and with a fixed
seed, before any scoring: one line changed each, of two kinds, a declared type changed on a
declaration line (a return type, a parameter's, a ``make``) and a function renamed where it is
defined (its callers break). It keeps those that make the checker report a new error and
writes them to ``OUT/frozen.jsonl`` (outside this repository: the lines are the projects').
``score`` replays each and asks, of the new errors the checker reports, whether review's
placing (``modes/review/lint/placer.Placer``) puts the first on the changed line, against
the checker's own line alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "src"))

from cicd_agent.modes.review.lint.placer import Placer, words_of  # noqa: E402
from cicd_agent.modes.review.lint.compile_errors import (  # noqa: E402
    go_type_errors,
    mypy_errors,
    tsc_errors,
)
from cicd_agent.modes.review.lint.lint_reports import UnreadableReport, read_report  # noqa: E402

Error = tuple[str, int, str, str]
TYPES = {
    "go": ("int", "int64", "string", "bool", "error", "[]byte"),
    "python": ("str", "bytes", "int", "bool", "None"),
    "typescript": ("number", "string", "boolean"),
    "rust": ("u32", "u64", "usize", "i32", "i64", "bool", "String"),
    "java": ("int", "long", "String", "boolean"),
}
DECLARATIONS = {
    "go": re.compile(r"^func .*\) (?P<type>\[\]byte|int64|int|string|bool|error) \{$"
                     r"|make\(\[\](?P<make>int|string|byte)\b"),
    "python": re.compile(r"^\s*def \w+\(.*\) -> (?P<type>str|bytes|int|bool|None):$"),
    "typescript": re.compile(r"function \w+\(.*\): (?P<type>number|string|boolean) \{$"),
    "rust": re.compile(r"fn \w+\(.*\) -> (?P<type>u32|u64|usize|i32|i64|bool|String) \{$"),
    "java": re.compile(r"^\s*(public|private|protected|static|\s)+ "
                       r"(?P<type>int|long|String|boolean) \w+\(.*\) \{$"),
}
DEFINITION = {
    "go": re.compile(r"^func (\([^)]*\) )?(?P<name>[A-Za-z]\w+)\("),
    "python": re.compile(r"^\s*def (?P<name>[a-z]\w+)\("),
    "typescript": re.compile(r"^(export )?function (?P<name>\w+)\("),
    "rust": re.compile(r"^\s*(pub )?fn (?P<name>\w+)\("),
    "java": re.compile(r"^\s*(public|private|protected|static|\s)+ \w+ (?P<name>[a-z]\w+)\(.*\) \{$"),
}
SUFFIX = {"go": ".go", "python": ".py", "typescript": ".ts", "rust": ".rs", "java": ".java"}


def language(folder: Path) -> str:
    if (folder / "go.mod").exists():
        return "go"
    if (folder / "Cargo.toml").exists():
        return "rust"
    if (folder / "tsconfig.json").exists():
        return "typescript"
    if (folder / "pom.xml").exists() or (folder / "build.gradle").exists():
        return "java"
    return "python"


def check(folder: Path, lang: str) -> list[Error]:
    """The checker's errors on ``folder``, read by the product's readers."""
    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, "GOPROXY": "off", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
        return subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=600,
                              check=False, env=environ)  # fmt: skip
    if lang == "go":
        done = run(["go", "vet", "./..."])
        return go_type_errors(done.stderr.splitlines())
    if lang == "python":
        done = run([sys.executable, "-m", "mypy", "--no-pretty", "--show-column-numbers",
                    "--show-error-codes", "--hide-error-context", "--no-color-output",
                    "--cache-dir=/dev/null", "src"])  # fmt: skip
        return mypy_errors(done.stdout)
    if lang == "typescript":
        tsc = REPO_ROOT / ".harness/corpus-tools/node/node_modules/.bin/tsc"
        return tsc_errors(run([str(tsc), "--noEmit", "--pretty", "false", "-p", "."]).stdout)
    if lang == "rust":
        done = run(["cargo", "check", "--offline", "--message-format=json", "--quiet"])
        try:
            hits = read_report("clippy", done.stdout, str(folder))
        except UnreadableReport as exc:
            hits = exc.hits
        return [(h.path, h.line, h.code, h.message) for h in hits if h.compiles]
    sources = sorted(str(p.relative_to(folder)) for p in (folder / "src/main/java").rglob("*.java"))
    out = tempfile.mkdtemp()
    done = run(["javac", "-Xmaxerrs", "1000", "-d", out, *sources])
    found = re.finditer(r"^(?P<path>\S+\.java):(?P<line>\d+): error: (?P<message>.*)$",
                        done.stderr, re.MULTILINE)  # fmt: skip
    return [(m["path"], int(m["line"]), "javac", m["message"]) for m in found]


def export(git_dir: str, commit: str, into: Path) -> None:
    """The commit's files; a crate keeps its ``[package]`` table alone (no registry here, so
    its dependencies, all optional or for tests in the crates chosen, are left out)."""
    archive = subprocess.run(["git", "-C", git_dir, "archive", commit], capture_output=True,
                             check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    cargo = into / "Cargo.toml"
    if cargo.exists():
        kept, keep = [], True
        for line in cargo.read_text().splitlines():
            if line.startswith("["):
                keep = line.strip() in ("[package]", "[lib]")
            if keep:
                kept.append(line)
        cargo.write_text("\n".join(kept) + "\n")


def candidates(folder: Path, lang: str) -> list[tuple[str, int, str, str]]:
    """``(path, line, old, new)``: every one-line breakage of the two kinds."""
    found: list[tuple[str, int, str, str]] = []
    for path in sorted(folder.rglob(f"*{SUFFIX[lang]}")):
        relative = str(path.relative_to(folder))
        if "test" in relative.lower() or "/vendor/" in relative or relative.startswith("tests/"):
            continue
        for number, text in enumerate(path.read_text(errors="replace").splitlines(), 1):
            declared = DECLARATIONS[lang].search(text)
            if declared:
                kind = "make" if declared.groupdict().get("make") else "type"
                old = declared[kind]
                for new in TYPES[lang] if kind == "type" else (f"{old}64" if old == "int" else "int",):
                    if new != old:
                        start, end = declared.span(kind)
                        found.append((relative, number, text, text[:start] + new + text[end:]))
            defined = DEFINITION[lang].search(text)
            if defined and defined["name"] not in ("main", "init", "new", "__init__"):
                start, end = defined.span("name")
                found.append((relative, number, text, f"{text[:end]}Renamed{text[end:]}"))
    return found


def freeze(out: Path, repos: list[str], per_repo: int, seed: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for git_dir in repos:
        commit = subprocess.run(["git", "-C", git_dir, "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()  # fmt: skip
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            export(git_dir, commit, folder)
            lang = language(folder)
            base = set(check(folder, lang))
            pool = candidates(folder, lang)
            random.Random(f"{seed}:{git_dir}").shuffle(pool)
            kept = 0
            for path, line, _old, new in pool:
                if kept >= per_repo:
                    break
                target = folder / path
                text = target.read_text(errors="replace")
                lines = text.splitlines(keepends=True)
                lines[line - 1] = new + ("\n" if lines[line - 1].endswith("\n") else "")
                target.write_text("".join(lines))
                errors = [e for e in check(folder, lang) if e not in base]
                target.write_text(text)
                if errors:
                    kept += 1
                    rows.append({"repo": git_dir, "commit": commit, "language": lang,
                                 "path": path, "line": line, "new": new, "errors": errors})  # fmt: skip
            print(f"{git_dir}: {lang}, {len(pool)} candidates, {kept} kept", file=sys.stderr)
    data = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    (out / "frozen.jsonl").write_text(data)
    print(f"frozen {len(rows)} breakages, sha256 {hashlib.sha256(data.encode()).hexdigest()[:16]}")


def old_line(row: dict[str, object]) -> str:
    text = subprocess.run(["git", "-C", str(row["repo"]), "show", f"{row['commit']}:{row['path']}"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    return text.splitlines()[int(str(row["line"])) - 1]


def recheck(row: dict[str, object]) -> list[Error]:
    """The breakage's new errors as the checker and today's readers report them."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        export(str(row["repo"]), str(row["commit"]), folder)
        lang = str(row["language"])
        base = set(check(folder, lang))
        target = folder / str(row["path"])
        lines = target.read_text(errors="replace").splitlines(keepends=True)
        number = int(str(row["line"]))
        lines[number - 1] = f"{row['new']}\n"
        target.write_text("".join(lines))
        return [e for e in check(folder, lang) if e not in base]


def score(out: Path, again: bool) -> None:
    data = (out / "frozen.jsonl").read_text()
    rows = [json.loads(line) for line in data.splitlines()]
    print(f"set sha256 {hashlib.sha256(data.encode()).hexdigest()[:16]}, {len(rows)} breakages"
          f"{', errors read again by today' + chr(39) + 's readers' if again else ''}")
    by: dict[str, list[tuple[bool, bool]]] = {}
    for row in rows:
        errors = recheck(row) if again else [tuple(e) for e in row["errors"]]
        if not errors:
            continue
        old, new = old_line(row), str(row["new"])
        added = {row["path"]: {row["line"]: new}}
        changed = {row["path"]: {row["line"]: frozenset(words_of(new) ^ words_of(old))}}
        path, line, _, message = errors[0]
        placed = Placer(added, changed).place(path, line, message) == (row["path"], row["line"])
        own = (path, line) == (row["path"], row["line"])
        by.setdefault(row["language"], []).append((placed, own))
        if not placed:
            print(f"  miss {row['language']} {row['path']}:{row['line']} <- {path}:{line} {message[:100]}")
    print(f"{'language':12} {'placed on the change':>22} {'checker line alone':>20}")
    every = [pair for pairs in by.values() for pair in pairs]
    for name, pairs in [*sorted(by.items()), ("all", every)]:
        placed = sum(p for p, _ in pairs)
        own = sum(o for _, o in pairs)
        print(f"{name:12} {placed:>10}/{len(pairs):<3} {placed / len(pairs):6.1%}"
              f" {own:>10}/{len(pairs):<3} {own / len(pairs):6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    frozen = sub.add_parser("freeze")
    frozen.add_argument("out", type=Path)
    frozen.add_argument("repos", nargs="+")
    frozen.add_argument("--per-repo", type=int, default=12)
    frozen.add_argument("--seed", type=int, default=13)
    scored = sub.add_parser("score")
    scored.add_argument("out", type=Path)
    scored.add_argument("--again", action="store_true",
                        help="run each checker again and read its errors with today's readers")
    args = parser.parse_args()
    verb: Callable[[], None] = (lambda: freeze(args.out, args.repos, args.per_repo, args.seed)) \
        if args.verb == "freeze" else (lambda: score(args.out, args.again))  # fmt: skip
    verb()


if __name__ == "__main__":
    main()
