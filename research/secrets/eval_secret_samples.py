"""Redaction recall and false redactions on gitleaks' own rule samples (issue 13.7, 9).

    python research/secrets/eval_secret_samples.py GITLEAKS_TREE [--seed N] [--json] [--misses]

GITLEAKS_TREE is an export of the gitleaks source (``git archive v8.30.1 cmd/generate`` is
enough) kept outside this repository. Each rule in ``cmd/generate/config/rules/*.go`` checks
itself against true positives (``tps``) and false positives (``fps``); many true positives are
built in Go at generation time (``secrets.NewSecret(utils.AlphaNumeric("32"))``), so this
script evaluates those expressions itself: string literals, ``+``, the ``utils`` pattern helpers
and ``secrets.NewSecret`` (a random string matching a regex, drawn here from Python's regex
parser with a fixed seed). A sample whose expression it cannot evaluate is counted as skipped.

Three figures, each the share of samples whose secret no longer appears (no 12-character piece
of it survives) after ``Redactor().redact``:

- shape only: the secret alone on a line, for secrets the rule's own regex finds alone;
- with a keyword: the secret in each of gitleaks' ``GenerateSampleSecrets`` templates
  (``{i}_token: "{s}"``, ``String {i}Token = "{s}";``…), parsed from ``utils/generate.go``;
- as written: literal true positives in the rule files, with their own context.

False redactions: literal false positives that ``redact`` changes at all.

The samples are gitleaks' and so are most of our shapes: the figures say how faithfully the
rule set was carried over and what our own rules add, not how a scanner fares on unseen data.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "src"))

from cicd_agent.analysis.redact import Redactor  # noqa: E402

try:
    from re import _constants as sre_c  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

PIECE = 12
PATTERN_HELPERS = {
    "Numeric": "[0-9]{%s}",
    "Hex": "[a-f0-9]{%s}",
    "AlphaNumeric": "[a-z0-9]{%s}",
    "AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
    "AlphaNumericExtended": "[a-z0-9=_\\-]{%s}",
    "AlphaNumericExtendedLong": "[a-z0-9\\/=_\\+\\-]{%s}",
}
"""``utils/patterns.go`` as read from the tree (checked in :func:`load_helpers`)."""


# ------------------------------------------------------------------- random strings of a regex
_PRINTABLE = [chr(c) for c in range(33, 127)]


def _category(cat: Any) -> list[str]:
    if cat == sre_c.CATEGORY_DIGIT:
        return list("0123456789")
    if cat == sre_c.CATEGORY_WORD:
        return [c for c in _PRINTABLE if c.isalnum() or c == "_"]
    if cat == sre_c.CATEGORY_SPACE:
        return [" "]
    if cat == sre_c.CATEGORY_NOT_SPACE:
        return _PRINTABLE
    return [c for c in _PRINTABLE if not c.isalnum()]


def _charset(items: list[tuple[Any, Any]]) -> list[str]:
    negate = any(op == sre_c.NEGATE for op, _ in items)
    chars: list[str] = []
    for op, arg in items:
        if op == sre_c.LITERAL:
            chars.append(chr(arg))
        elif op == sre_c.RANGE:
            chars += [chr(c) for c in range(arg[0], arg[1] + 1)]
        elif op == sre_c.CATEGORY:
            chars += _category(arg)
    if negate:
        return [c for c in _PRINTABLE if c not in chars]
    return chars


def _generate(parsed: Any, rng: random.Random, out: list[str]) -> None:
    for op, arg in parsed:
        if op == sre_c.LITERAL:
            out.append(chr(arg))
        elif op == sre_c.NOT_LITERAL:
            out.append(rng.choice([c for c in _PRINTABLE if ord(c) != arg]))
        elif op == sre_c.ANY:
            out.append(rng.choice(_PRINTABLE))
        elif op == sre_c.IN:
            out.append(rng.choice(_charset(arg)))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            low, high, sub = arg
            high = min(high, low + 10) if high != sre_c.MAXREPEAT else low + 10
            for _ in range(rng.randint(low, high)):
                _generate(sub, rng, out)
        elif op == sre_c.SUBPATTERN:
            _generate(arg[-1], rng, out)
        elif op == sre_c.BRANCH:
            _generate(rng.choice(arg[1]), rng, out)
        elif op == sre_c.CATEGORY:
            out.append(rng.choice(_category(arg)))


def random_match(pattern: str, rng: random.Random) -> str:
    """A random string that ``pattern`` matches (Go's ``secrets.NewSecret``)."""
    out: list[str] = []
    _generate(sre_parse.parse(pattern), rng, out)
    return "".join(out)


# --------------------------------------------------------------------- Go expressions, a subset
_TOKEN = re.compile(
    r'(?:\s|//[^\n]*|/\*.*?\*/)*(?:(?P<str>"(?:\\.|[^"\\])*")|(?P<raw>`[^`]*`)'
    r"|(?P<name>[A-Za-z_][\w.]*)|(?P<num>\d+)|(?P<op>\.\.\.|[(){}\[\],+:]))",
    re.S,
)


class Unsupported(Exception):
    """An expression outside the subset this script evaluates."""


@dataclass
class Parser:
    text: str
    pos: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def peek(self) -> re.Match[str] | None:
        return _TOKEN.match(self.text, self.pos)

    def take(self, op: str | None = None) -> re.Match[str]:
        match = self.peek()
        if match is None or (op is not None and match.group("op") != op):
            raise Unsupported(self.text[self.pos : self.pos + 40])
        self.pos = match.end()
        return match

    def expression(self) -> Any:
        value = self.term()
        while (match := self.peek()) and match.group("op") == "+":
            self.take("+")
            right = self.term()
            if not (isinstance(value, str) and isinstance(right, str)):
                raise Unsupported("+ on non-strings")
            value += right
        return value

    def term(self) -> Any:
        match = self.take()
        if match.group("str"):
            return json.loads(match.group("str").replace("\\x60", "`"))
        if match.group("raw"):
            return match.group("raw")[1:-1]
        if match.group("num"):
            return int(match.group("num"))
        name = match.group("name")
        if name is None:
            if match.group("op") == "[":  # []string{...}
                self.take("]")
                self.take()
                return self.elements()
            raise Unsupported(match.group())
        if (following := self.peek()) and following.group("op") == "(":
            self.take("(")
            value = self.call(name, self.arguments())
        elif name in ("tps", "fps"):  # append(tps, more...): the samples before are counted
            value = []
        else:
            raise Unsupported(name)
        if (following := self.peek()) and following.group("op") == "...":
            self.take("...")
        return value

    def elements(self) -> list[Any]:
        self.take("{")
        items: list[Any] = []
        while (match := self.peek()) and match.group("op") != "}":
            try:
                items.append(self.expression())
            except Unsupported:
                items.append(Unsupported)
                self.skip_element()
            if (match := self.peek()) and match.group("op") == ",":
                self.take(",")
        self.take("}")
        return items

    def skip_element(self) -> None:
        depth = 0
        while (match := self.peek()) is not None:
            op = match.group("op")
            if depth == 0 and op in (",", "}"):
                return
            depth += {"(": 1, "{": 1, "[": 1, ")": -1, "}": -1, "]": -1}.get(op or "", 0)
            self.pos = match.end()

    def arguments(self) -> list[Any]:
        args: list[Any] = []
        while (match := self.peek()) and match.group("op") != ")":
            args.append(self.expression())
            if (match := self.peek()) and match.group("op") == ",":
                self.take(",")
            if match is None:
                break
        self.take(")")
        return args

    def call(self, name: str, args: list[Any]) -> Any:
        short = name.rsplit(".", 1)[-1]
        if name.startswith("utils.") and short in PATTERN_HELPERS:
            return PATTERN_HELPERS[short] % args[0]
        if name == "utils.Hex8_4_4_4_12":
            return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if name == "secrets.NewSecret":
            return random_match(args[0], self.rng)
        if name in ("utils.GenerateSampleSecrets", "utils.GenerateSampleSecret"):
            return Sample(args[0], args[1])
        if name == "append":
            return [a for arg in args[1:] for a in (arg if isinstance(arg, list) else [arg])]
        raise Unsupported(name)


@dataclass(frozen=True)
class Sample:
    """``GenerateSampleSecret(s)(identifier, secret)``: a secret gitleaks places in templates."""

    identifier: str
    secret: str


# ----------------------------------------------------------------------------- the rule files
_FUNC = re.compile(r"^func \w+\(\) \*config\.Rule \{$", re.M)
_RULE_ID = re.compile(r'RuleID:\s*"([^"]+)"')
_ASSIGN = re.compile(r"\b(tps|fps)\s*(?::=|=)\s*")


@dataclass
class RuleSamples:
    rule: str
    generated: list[Sample] = field(default_factory=list)
    literal_tps: list[str] = field(default_factory=list)
    fps: list[str] = field(default_factory=list)
    skipped: int = 0
    with_path: bool = False


def rule_samples(source: str, rng: random.Random) -> Iterator[RuleSamples]:
    starts = [m.start() for m in _FUNC.finditer(source)] + [len(source)]
    for start, end in pairwise(starts):
        body = source[start:end]
        rule_id = _RULE_ID.search(body)
        if rule_id is None:
            continue
        found = RuleSamples(rule_id.group(1), with_path="ValidateWithPaths" in body)
        for assign in _ASSIGN.finditer(body):
            parser = Parser(body, assign.end(), rng)
            try:
                value = parser.expression()
            except Unsupported:
                found.skipped += 1
                continue
            for item in value if isinstance(value, list) else [value]:
                if item is Unsupported:
                    found.skipped += 1
                elif isinstance(item, Sample):
                    found.generated.append(item)
                elif isinstance(item, str):
                    (found.literal_tps if assign.group(1) == "tps" else found.fps).append(item)
        yield found


def load_templates(tree: Path) -> list[str]:
    """gitleaks' sample templates (``{i}``, ``{I}``, ``{s}``), from ``utils/generate.go``."""
    text = (tree / "cmd/generate/config/utils/generate.go").read_text()
    block = text[text.index("samples := map[string]string{") : text.index("replacer :=")]
    templates: list[str] = []
    for line in block.splitlines():
        if line.strip().startswith("//"):
            continue
        match = re.match(r'\s*"[^"]*":\s*(?P<v>"(?:\\.|[^"\\])*"|`[^`]*`),', line)
        if match:
            value = match.group("v")
            templates.append(json.loads(value) if value[0] == '"' else value[1:-1])
    return templates


def load_helpers(tree: Path) -> None:
    """Check the pattern helpers against ``utils/patterns.go`` so a new upstream version that
    changes them is noticed rather than mis-evaluated."""
    text = (tree / "cmd/generate/config/utils/patterns.go").read_text()
    for name, pattern in PATTERN_HELPERS.items():
        go = re.search(
            rf"func {name}\(size string\) string \{{\s*return fmt\.Sprintf\(`([^`]*)`", text
        )
        if go is None or go.group(1).replace("%s", "%s") != pattern:
            raise SystemExit(f"utils.{name} differs upstream: update PATTERN_HELPERS")


# ------------------------------------------------------------------------------- the measures
def leaked(secret: str, text: str) -> bool:
    if len(secret) <= PIECE:
        return secret in text
    return any(secret[i : i + PIECE] in text for i in range(len(secret) - PIECE + 1))


def secret_of(rule: dict[str, Any] | None, text: str) -> str | None:
    """The secret in a literal true positive, as the rule's regex (and secret group) says."""
    if rule is None:
        return None
    match = re.search(rule["regex"], text)
    if match is None:
        return None
    if rule["secret_group"]:
        return match.group(rule["secret_group"])
    groups = [g for g in match.groups() if g]
    return groups[0] if groups else match.group()


@dataclass
class Tally:
    hit: int = 0
    total: int = 0
    misses: list[tuple[str, str]] = field(default_factory=list)

    def add(self, ok: bool, rule: str, text: str) -> None:
        self.total += 1
        self.hit += ok
        if not ok:
            self.misses.append((rule, text[:160]))

    @property
    def share(self) -> float:
        return self.hit / self.total if self.total else 0.0


def evaluate(tree: Path, seed: int) -> dict[str, Any]:
    load_helpers(tree)
    templates = load_templates(tree)
    rules_json = json.loads((REPO_ROOT / "src/cicd_agent/data/secret_rules.json").read_text())
    rules = {r["id"]: r for r in rules_json["rules"]}
    rng = random.Random(seed)
    redact = Redactor().redact
    shape, keyword, written, false = Tally(), Tally(), Tally(), Tally()
    skipped = path_only = 0
    for go_file in sorted((tree / "cmd/generate/config/rules").glob("*.go")):
        for found in rule_samples(go_file.read_text(), rng):
            skipped += found.skipped
            rule = rules.get(found.rule)
            if found.with_path or (rule is not None and rule["path"]):
                path_only += 1  # rules for some files only (Terraform, nuget.config…)
                continue
            bare = [s.secret for s in found.generated]
            for text in found.literal_tps:
                secret = secret_of(rule, text)
                if secret is None:
                    skipped += 1
                    continue
                written.add(not leaked(secret, redact(text)), found.rule, text)
                bare.append(secret)
            for secret in bare:
                if rule is not None and secret_of(rule, secret) == secret:
                    shape.add(not leaked(secret, redact(secret)), found.rule, secret)
            for identifier, secret in ((s.identifier, s.secret) for s in found.generated):
                for template in templates:
                    text = (
                        template.replace("{i}", identifier)
                        .replace("{I}", identifier.upper())
                        .replace("{s}", secret)
                    )
                    keyword.add(not leaked(secret, redact(text)), found.rule, text)
            for text in found.fps:
                false.add(redact(text) == text, found.rule, text)
    return {
        "rule_set": f"gitleaks {rules_json['ref']} ({rules_json['commit'][:12]})",
        "shape_only": shape,
        "with_keyword": keyword,
        "as_written": written,
        "false_positive_samples_left_alone": false,
        "skipped_expressions": skipped,
        "rules_for_some_files_only": path_only,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path, help="exported gitleaks source (outside this repo)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list what was missed")
    args = parser.parse_args()
    result = evaluate(args.tree, args.seed)
    figures: dict[str, Any] = {}
    for name, value in result.items():
        if isinstance(value, Tally):
            figures[name] = {"hit": value.hit, "total": value.total, "share": round(value.share, 4)}
            print(f"{name:36} {value.hit:6}/{value.total:<6} {100 * value.share:6.1f} %")
            if args.misses:
                for rule, text in value.misses[:60]:
                    print(f"    miss {rule}: {text!r}")
        else:
            figures[name] = value
            print(f"{name:36} {value}")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
