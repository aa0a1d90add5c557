"""Generate ``src/cicd_agent/data/secret_rules.json`` from gitleaks' default rule set.

    python tools/gen_secret_rules.py GITLEAKS_GIT_DIR [--ref v8.30.1]

gitleaks (MIT) keeps ~220 credential shapes, each with keywords, an entropy floor and allow
lists, and tests every rule against true- and false-positive samples; a maintained list beats
one grown by hand here. It is not on PyPI as data, so this script reads ``config/gitleaks.toml``
at a pinned tag of a local clone (``git show REF:config/gitleaks.toml``) and writes what the
redactor needs, with the source, tag, commit and licence recorded in the file. Go's RE2 syntax
is rewritten to Python's ``re`` (inline ``(?i)`` in the middle of a pattern, ``\\z``, POSIX
classes, ``[`` in a class); a rule that still does not compile is left out and named in the output.

Never edit the JSON by hand: rerun this script with another ``--ref`` to update.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parents[1] / "src/cicd_agent/data/secret_rules.json"
LICENSE_OUTPUT = OUTPUT.with_suffix(".LICENSE")
DEFAULT_REF = "v8.30.1"
UPSTREAM = "https://github.com/gitleaks/gitleaks"


def _git(git_dir: str, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", git_dir, *args], check=True, capture_output=True, text=True
    ).stdout


_POSIX_CLASSES = {
    "alnum": "A-Za-z0-9", "alpha": "A-Za-z", "digit": "0-9", "lower": "a-z", "upper": "A-Z",
    "xdigit": "0-9A-Fa-f", "word": "\\w", "space": "\\s", "punct": "!-/:-@\\[-`{-~",
}  # fmt: skip
"""RE2's ``[[:alnum:]]`` classes, which Python's ``re`` lacks."""


def _class_item(pattern: str, i: int) -> tuple[str, int, bool]:
    """One item inside a character class at ``pattern[i]``: its Python text, the index after
    it, and whether the class goes on."""
    posix = re.match(r"\[:(\w+):\]", pattern[i:])
    if posix:
        return _POSIX_CLASSES[posix.group(1)], i + len(posix.group(0)), True
    if pattern[i] == "[":
        return "\\[", i + 1, True
    return pattern[i], i + 1, pattern[i] != "]"


def _scope_inline_flags(pattern: str) -> str:
    """Go applies an inline ``(?i)`` from where it stands to the end of its group; Python
    accepts global flags only at the start, so ``a(?i)bc`` becomes ``a(?i:bc)``."""
    out: list[str] = []
    stack: list[int] = []  # per open group: how many scoped groups we opened inside it
    opened = 0
    i = 0
    in_class = False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            text, i, in_class = _class_item(pattern, i)
            out.append(text)
            continue
        if char == "[":
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append("\\]")
                i += 1
            i += 1
            continue
        flags = re.match(r"\(\?([imsU]+)\)", pattern[i:])
        if flags and (i > 0 or stack):
            out.append(f"(?{flags.group(1)}:")
            opened += 1
            i += len(flags.group(0))
            continue
        if char == "(":
            stack.append(opened)
            opened = 0
        elif char == ")":
            out.append(")" * opened)
            opened = stack.pop() if stack else 0
        out.append(char)
        i += 1
    out.append(")" * opened)
    return "".join(out)


def to_python(pattern: str) -> str:
    """A Go RE2 pattern as a Python ``re`` pattern with the same meaning."""
    return _scope_inline_flags(pattern).replace("\\z", "\\Z")


def _compiles(pattern: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            re.compile(pattern)
    except (re.error, FutureWarning):
        return False
    return True


def _allowlist(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "condition": raw.get("condition", "OR").upper(),
        "target": raw.get("regexTarget", "secret"),
        "regexes": [to_python(r) for r in raw.get("regexes", [])],
        "stopwords": [w.lower() for w in raw.get("stopwords", [])],
        "paths": [to_python(p) for p in raw.get("paths", [])],
    }


def generate(git_dir: str, ref: str) -> tuple[dict[str, Any], list[str]]:
    """The rule file and the ids of the rules left out."""
    commit = _git(git_dir, "rev-parse", f"{ref}^{{commit}}").strip()
    config = tomllib.loads(_git(git_dir, "show", f"{commit}:config/gitleaks.toml"))
    rules: list[dict[str, Any]] = []
    skipped: list[str] = []
    for raw in config["rules"]:
        regex = to_python(raw["regex"]) if "regex" in raw else ""
        lists = [_allowlist(a) for a in raw.get("allowlists", [])]
        patterns = [regex, *(r for a in lists for r in a["regexes"] + a["paths"])]
        # A rule on a file path alone (pkcs12 files) says nothing about text.
        if not regex or not raw.get("keywords") or not all(_compiles(p) for p in patterns):
            skipped.append(raw["id"])
            continue
        rules.append(
            {
                "id": raw["id"],
                "regex": regex,
                "secret_group": raw.get("secretGroup", 0),
                "entropy": raw.get("entropy", 0.0),
                "keywords": sorted({k.lower() for k in raw["keywords"]}),
                "path": to_python(raw["path"]) if "path" in raw else None,
                "allowlists": lists,
            }
        )
    glob = config.get("allowlist", {})
    data = {
        "source": UPSTREAM,
        "ref": ref,
        "commit": commit,
        "file": "config/gitleaks.toml",
        "license": "MIT (see secret_rules.LICENSE)",
        "generated_by": "tools/gen_secret_rules.py",
        "global_allowlist": {
            "regexes": [to_python(r) for r in glob.get("regexes", [])],
            "stopwords": [w.lower() for w in glob.get("stopwords", [])],
            "paths": [to_python(p) for p in glob.get("paths", [])],
        },
        "rules": rules,
    }
    return data, skipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("git_dir", help="a clone (bare is fine) of gitleaks/gitleaks")
    parser.add_argument("--ref", default=DEFAULT_REF)
    args = parser.parse_args()
    data, skipped = generate(args.git_dir, args.ref)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(data, indent=1) + "\n")
    LICENSE_OUTPUT.write_text(
        f"The rules in secret_rules.json are generated from {UPSTREAM} "
        f"({data['file']} at {args.ref}, commit {data['commit']}).\n\n"
        + _git(args.git_dir, "show", f"{data['commit']}:LICENSE")
    )
    print(f"{len(data['rules'])} rules written to {OUTPUT}; left out: {', '.join(skipped)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
