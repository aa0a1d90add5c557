"""Generate ``src/cicd_agent/data/detect_secrets_rules.json`` from detect-secrets' plugins.

    python tools/gen_detect_secrets_rules.py DETECT_SECRETS_GIT_DIR [--ref v1.5.0]

detect-secrets (Yelp, Apache-2.0) keeps its credential shapes as Python regexes on each plugin
class (``denylist``). Importing the library at run time would cost every mode its start-up
(redaction runs in all of them) for some forty regexes, so this script imports the plugins once,
from a pinned commit of a local clone (``git archive``), and writes what the redactor needs:
each pattern as written upstream, the secret's group, the keywords that gate it, and the
source, commit and licence (with the Apache-2.0 text beside it, as the licence asks).

Changes to the upstream patterns, all mechanical:

- flags become inline (``(?i)``), and ``(?m)`` is added: detect-secrets scans a line at a
  time, so its ``^`` and ``$`` are line ends;
- the secret is the first capture group when that group is a value (a repeat of 8 or more
  characters, or an open one); otherwise the whole match, because detect-secrets reports
  a group that holds only a prefix (``(ghp|gho|…)_…`` reports ``ghp``);
- keywords: the literal text every match must hold (two characters or more, in the
  pattern's case),
  found from the parsed pattern; a pattern with none is tried on every text, except the
  Telegram token, whose secret part starts with ``AA`` (``OWN_KEYWORDS``);
- ``gate``: the run of one character class every match holds (a line without one is
  skipped: the keyword-assignment patterns cost a tenth of a second per MB otherwise).

Left out: ``IPPublicDetector`` (an address is not a credential, and logs are full of them),
``PrivateKeyDetector`` (the redactor's own rule takes the whole block, not the header line),
and the plugins without a regex table (high-entropy strings, keywords: the redactor's own
assignment rule does the keyword part).

Never edit the JSON by hand: rerun this script with another ``--ref`` to update.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

try:
    from re import _constants as sre_c  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

OUTPUT = Path(__file__).resolve().parents[1] / "src/cicd_agent/data/detect_secrets_rules.json"
LICENSE_OUTPUT = OUTPUT.with_suffix(".LICENSE")
DEFAULT_REF = "v1.5.0"
UPSTREAM = "https://github.com/Yelp/detect-secrets"
LEFT_OUT = {"IPPublicDetector", "PrivateKeyDetector"}
MIN_KEYWORD = 2
OWN_KEYWORDS = {"TelegramBotTokenDetector.0": [":AA"]}
"""Keywords of ours where a pattern holds no literal: the token part of a Telegram bot token
starts with ``AA`` (its first bytes are zero)."""


def _git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", git_dir, *args], check=True, capture_output=True
    ).stdout


# ------------------------------------------------------------------------------ keywords
def _literal_sets(parsed: Any) -> list[set[str]]:
    """Sets of strings of which every match holds one, from a parsed sequence: runs of
    literals, and alternations whose every branch starts with such a run."""
    found: list[set[str]] = []
    run = ""
    for op, arg in parsed:
        if op == sre_c.LITERAL:
            run += chr(arg)
            continue
        if run:
            found.append({run})
            run = ""
        if op == sre_c.SUBPATTERN:
            found += _literal_sets(arg[-1])
        elif op == sre_c.BRANCH:
            heads = [_head(branch) for branch in arg[1]]
            if all(heads):
                found.append(set(heads))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT) and arg[0] >= 1:
            found += _literal_sets(arg[2])
    if run:
        found.append({run})
    return found


def _head(parsed: Any) -> str:
    head = ""
    for op, arg in parsed:
        if op == sre_c.LITERAL:
            head += chr(arg)
        elif op == sre_c.SUBPATTERN and not head:
            return _head(arg[-1])
        else:
            break
    return head


def keywords(pattern: str, flags: int) -> list[str]:
    """The best set of required literals (the one whose shortest member is longest), or none
    when no set reaches ``MIN_KEYWORD`` characters; lower-cased when the pattern ignores
    case (the redactor lower-cases them for its scan and checks the case of the others)."""
    sets = _literal_sets(sre_parse.parse(pattern, flags))
    best = max(sets, key=lambda s: min(len(w) for w in s), default=set())
    if not best or min(len(w) for w in best) < MIN_KEYWORD:
        return []
    return sorted({w.lower() for w in best} if flags & re.IGNORECASE else best)


# ---------------------------------------------------------------------------- secret group
def _first_group(pattern: str) -> int | None:
    """Where the first capturing group opens in ``pattern`` (outside classes and escapes)."""
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif char == "(" and pattern[i + 1 : i + 2] != "?":
            return i
        i += 1
    return None


def _holds_value(parsed: Any) -> bool:
    for op, arg in parsed:
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            if arg[0] >= 8 or arg[1] == sre_c.MAXREPEAT:
                return True
            if _holds_value(arg[2]):
                return True
        elif op == sre_c.SUBPATTERN:
            if _holds_value(arg[-1]):
                return True
        elif op == sre_c.BRANCH and any(_holds_value(b) for b in arg[1]):
            return True
    return False


def with_secret_group(pattern: str, flags: int) -> str:
    """``pattern`` with a group named ``secret``: its first group if that holds the value,
    else the whole match."""
    parsed = sre_parse.parse(pattern, flags)
    first = next((arg for op, arg in parsed if op == sre_c.SUBPATTERN and arg[0] == 1), None)
    at = _first_group(pattern)
    if at is not None and first is not None and _holds_value(first[-1]):
        return pattern[: at + 1] + "?P<secret>" + pattern[at + 1 :]
    if at is not None:
        nested = _find_group_one(parsed)
        if nested is not None and _holds_value(nested):
            return pattern[: at + 1] + "?P<secret>" + pattern[at + 1 :]
    return f"(?P<secret>{pattern})"


def _find_group_one(parsed: Any) -> Any:
    for op, arg in parsed:
        if op == sre_c.SUBPATTERN:
            if arg[0] == 1:
                return arg[-1]
            inner = _find_group_one(arg[-1])
            if inner is not None:
                return inner
        elif op == sre_c.BRANCH:
            for branch in arg[1]:
                inner = _find_group_one(branch)
                if inner is not None:
                    return inner
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            inner = _find_group_one(arg[2])
            if inner is not None:
                return inner
    return None


def gate(pattern: str, flags: int) -> str:
    """A regex for the longest run of one character class every match must hold (a repeat of
    8 or more of a class without spaces), or ``""``: a line without such a run cannot match,
    which this plain search tells far faster than the pattern itself."""
    best: tuple[int, str] = (0, "")
    for low, item in _runs(sre_parse.parse(pattern, flags)):
        text = _class_text(item)
        if text and low > best[0]:
            best = (low, f"{text}{{{low}}}")
    return f"(?i){best[1]}" if best[1] and flags & re.IGNORECASE else best[1]


def _runs(parsed: Any) -> list[tuple[int, Any]]:
    found: list[tuple[int, Any]] = []
    for op, arg in parsed:
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            low, _, item = arg
            if low >= 8 and len(item) == 1:
                found.append((low, item[0]))
        elif op == sre_c.SUBPATTERN:
            found += _runs(arg[-1])
    return found


def _class_text(item: tuple[Any, Any]) -> str:
    """``item`` as a character class of Python regex text, if it is a class without spaces."""
    op, arg = item
    if op == sre_c.LITERAL:
        return "" if chr(arg).isspace() else re.escape(chr(arg))
    if op != sre_c.IN:
        return ""
    parts: list[str] = []
    for kind, value in arg:
        if kind == sre_c.LITERAL and not chr(value).isspace():
            parts.append(re.escape(chr(value)))
        elif kind == sre_c.RANGE and value[0] > 32:
            parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif kind == sre_c.CATEGORY and value == sre_c.CATEGORY_DIGIT:
            parts.append("\\d")
        elif kind == sre_c.CATEGORY and value == sre_c.CATEGORY_WORD:
            parts.append("\\w")
        else:
            return ""
    return "[" + "".join(parts) + "]"


def _inline_flags(flags: int) -> str:
    letters = "m" + "".join(
        letter
        for flag, letter in ((re.IGNORECASE, "i"), (re.VERBOSE, "x"), (re.DOTALL, "s"))
        if flags & flag
    )
    return f"(?{letters})"


# ------------------------------------------------------------------------------- the plugins
def generate(git_dir: str, ref: str) -> dict[str, Any]:
    commit = _git(git_dir, "rev-parse", f"{ref}^{{commit}}").decode().strip()
    with tempfile.TemporaryDirectory() as tmp:
        archive = _git(git_dir, "archive", "--format=tar", commit, "detect_secrets", "LICENSE")
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        sys.path.insert(0, tmp)
        try:
            from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
            from detect_secrets.plugins.base import RegexBasedDetector

            plugins = get_mapping_from_secret_type_to_class()
            rules: list[dict[str, Any]] = []
            for secret_type, plugin in sorted(plugins.items()):
                if not issubclass(plugin, RegexBasedDetector) or plugin.__name__ in LEFT_OUT:
                    continue
                for number, regex in enumerate(plugin.denylist):
                    flags = regex.flags & ~re.UNICODE
                    rules.append(
                        {
                            "id": f"{plugin.__name__}.{number}",
                            "kind": secret_type,
                            "regex": _inline_flags(flags) + with_secret_group(regex.pattern, flags),
                            "gate": gate(regex.pattern, flags),
                            "keywords": OWN_KEYWORDS.get(
                                f"{plugin.__name__}.{number}", keywords(regex.pattern, flags)
                            ),
                        }
                    )
            licence = Path(tmp, "LICENSE").read_text()
        finally:
            sys.path.remove(tmp)
    for rule in rules:
        re.compile(rule["regex"])  # every pattern must compile as written here
    return {
        "source": UPSTREAM,
        "ref": ref,
        "commit": commit,
        "files": "detect_secrets/plugins/*.py (denylist of each RegexBasedDetector)",
        "license": "Apache-2.0 (see detect_secrets_rules.LICENSE)",
        "generated_by": "tools/gen_detect_secrets_rules.py",
        "left_out": sorted(LEFT_OUT),
        "rules": rules,
        "_licence_text": licence,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("git_dir", help="a clone (bare is fine) of Yelp/detect-secrets")
    parser.add_argument("--ref", default=DEFAULT_REF)
    args = parser.parse_args()
    data = generate(args.git_dir, args.ref)
    licence = data.pop("_licence_text")
    OUTPUT.write_text(json.dumps(data, indent=1) + "\n")
    LICENSE_OUTPUT.write_text(
        f"The rules in detect_secrets_rules.json are generated from {UPSTREAM} ({data['files']}"
        f" at {args.ref}, commit {data['commit']}), Copyright (c) 2018 Yelp, Inc., under the "
        "Apache License 2.0. Changes: flags made inline, (?m) added, the secret's group named, "
        "keywords added (see tools/gen_detect_secrets_rules.py).\n\n" + licence
    )
    print(f"{len(data['rules'])} rules written to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
