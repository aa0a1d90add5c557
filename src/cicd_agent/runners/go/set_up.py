"""A set-up moved from one go test into another (the flaky-test fixer's patch), and the code a
test calls, read from the tests' text with no Go parser: Go's braces, strings and comments are
scanned, and a function body's statements end where Go ends them, at a line's
end outside every bracket (its automatic semicolons), unless the line ends on an operator or a
comma.

What is moved: a donor's statements that are no check and end no test early, none naming
either test's ``*testing.T`` (``t.Fatal``, ``t.Error``, ``if ... { t.Errorf(...) }``,
``t.Cleanup``), no ``return``, ``defer``, ``go``, ``panic`` or exit anywhere in it (a block's,
a closure's); only between tests of one folder. Between a package (``calc``) and its external
tests (``calc_test``) the package's names are qualified or unqualified on the way (``SetMode``
and ``calc.SetMode``): a guess from the text (an exported name is the package's), which the
proof holds to, since a wrong guess does not build. An unexported name the statement does not
declare itself is its package's and crosses to neither side, where the same name may be
another's, which would build and run other code: such a statement is not moved.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

from cicd_agent.runners.go.names import levels
from cicd_agent.runners.orders import SetUp

_FUNC = r"^func\s+{name}\s*\(\s*(\w+)\s+\*(?:testing\.)?T\s*\)\s*\{{"
_ENDS_EARLY = re.compile(
    r"\b(?:return|defer|go|goto|break|continue|panic)\b|"
    r"\b(?:Exit|Goexit|Fatal\w*|Panic\w*|FailNow|Skip\w*)\s*\("
)
"""Words that end a test early or leave it, anywhere in a statement's code: in a block or a
closure too (``if ready { return }`` moved first into the failing test skipped its checks).
The calls are matched by their own name whatever names their package or value (``rt.Goexit``
through an import's other name, ``syscall.Exit``, a dot import's ``Exit``, ``x.SkipNow``)."""
_IMPORT = re.compile(r'^\s*(?:(\w+|\.)\s+)?("[^"\n]+")\s*$')
_CONTINUES = frozenset("+-*/%&|^<>=,.([{!:")
"""What a line ends on when Go reads its statement on into the next line."""
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_DECLARED = re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)\s*[\[(]", re.MULTILINE)
PACKAGE = re.compile(r"^package\s+(\w+)", re.MULTILINE)
_LOWER = re.compile(r"(?<![\w.])(?![A-Z\d])\w+\b(?!\s*:(?!=))")
"""An unexported name (one whose first letter is no capital: ``λx`` too; one of another
script's capitals is taken as one, which only keeps its statement), or a keyword, not a
field's (after a dot) nor a key's or a label's."""
_NAME = re.compile(r"(?!\d)\w+")
_TOKEN = re.compile(r"(?!\d)\w+|:=|\S")
"""A statement's words and signs, read one after another to find the names it declares."""
_PREDECLARED = frozenset(
    (
        "break",
        "case",
        "chan",
        "const",
        "continue",
        "default",
        "defer",
        "else",
        "fallthrough",
        "for",
        "func",
        "go",
        "goto",
        "if",
        "import",
        "interface",
        "map",
        "package",
        "range",
        "return",
        "select",
        "struct",
        "switch",
        "type",
        "var",
        "append",
        "cap",
        "clear",
        "close",
        "complex",
        "copy",
        "delete",
        "imag",
        "len",
        "make",
        "max",
        "min",
        "new",
        "panic",
        "print",
        "println",
        "real",
        "recover",
        "any",
        "bool",
        "byte",
        "comparable",
        "complex64",
        "complex128",
        "error",
        "float32",
        "float64",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "rune",
        "string",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "true",
        "false",
        "nil",
        "iota",
        "_",
    )
)
"""Go's keywords and predeclared names: the same in every package."""


@dataclass(frozen=True)
class Function:
    """A test function of a file: its ``*testing.T``'s name and its body's span (the text
    between its braces)."""

    param: str
    start: int
    end: int


def find(text: str, name: str) -> Function | None:
    found = re.search(_FUNC.format(name=re.escape(name)), text, re.MULTILINE) if name else None
    if found is None:
        return None
    end = _closing(text, found.end())
    return None if end is None else Function(found.group(1), found.end(), end)


def statements(body: str) -> list[str]:
    """The top-level statements of a function ``body``, each with its own lines."""
    found: list[str] = []
    start, last = 0, ""
    for at, depth, char in _scan(body):
        if char == "\n" and depth == 0:
            if not last or last in ("++", "--") or last[-1] not in _CONTINUES:
                found.append(body[start:at].strip("\n").rstrip())
                start, last = at + 1, ""
        elif not char.isspace():
            last = (last + char)[-2:]  # a line's last code, its comment left out
    found.append(body[start:].strip("\n").rstrip())
    return [s for s in found if s.strip() and not s.strip().startswith(("//", "/*"))]


def set_up_of(texts: Mapping[str, str], donor: str, victim: str) -> SetUp:
    """``donor``'s movable statements, and the imports of its file they use."""
    donor_file = _where(texts, donor)
    victim_file = _where(texts, victim)
    if donor_file is None or victim_file is None:
        return SetUp(donor, why_not="the test's function was not found in its package's files")
    (donor_text, function), (victim_text, victim_function) = donor_file, victim_file
    ours, theirs = PACKAGE.search(donor_text), PACKAGE.search(victim_text)
    path = _package_path(donor)
    if (
        ours is None
        or theirs is None
        or path != _package_path(victim)
        or ours.group(1)
        not in (theirs.group(1), f"{theirs.group(1)}_test", theirs.group(1).removesuffix("_test"))
    ):
        return SetUp(
            donor,
            why_not="it is in another package than the failing test (its names "
            "would read otherwise there)",
        )
    kept = tuple(
        s
        for s in statements(donor_text[function.start : function.end])
        if _movable(s, (function.param, victim_function.param))
    )
    if not kept:
        return SetUp(donor, why_not="it has no statement that is not a check")
    specs = _imports(donor_text)
    if ours.group(1) != theirs.group(1):
        kept, specs = _across(kept, specs, path, (ours.group(1), theirs.group(1)), victim_text)
        if not kept:
            return SetUp(
                donor,
                why_not="each of its statements names an unexported name of its "
                "package, which the failing test's package does not read",
            )
    return SetUp(donor, kept, tuple(spec for spec in specs if any(_uses(s, spec) for s in kept)))


def _across(
    kept: tuple[str, ...],
    specs: list[str],
    path: str,
    packages: tuple[str, str],
    victim_text: str,
) -> tuple[tuple[str, ...], list[str]]:
    """``kept`` as a test of package ``theirs`` reads it, written in ``ours`` (``packages``;
    one the other's external tests, ``calc_test``), those naming an unexported name of
    ``ours`` left out, and the import specs they may then use."""
    ours, theirs = packages
    if theirs.endswith("_test"):  # into the external tests: the package's names qualified
        own = next((spec for spec in _imports(victim_text) if spec.endswith(f'"{path}"')), "")
        alias = _local(own) if own else ours
        specs = [*specs, own or f'{ours} "{path}"']
        moved = [_qualified(s, alias) for s in kept]
    else:
        alias = next((_local(spec) for spec in specs if spec.endswith(f'"{path}"')), theirs)
        unqualified = re.compile(rf"(?<![\w.]){re.escape(alias)}\.(?=[A-Z])")
        moved = [_in_code(s, unqualified, "") for s in kept]
    known = {*_PREDECLARED, *(_local(spec) for spec in specs)}
    alike: list[str] = []
    for statement in moved:  # a name one declares is known to those after it
        if not _unexported(statement, known):
            alike.append(statement)
            known |= _declared(statement)
    return tuple(alike), specs


def _unexported(statement: str, known: Collection[str]) -> set[str]:
    """The unexported names ``statement`` uses that are not ``known`` (no builtin, import or
    name an earlier statement declared), outside its strings, comments and fields' keys: the
    package's own, which do not cross into the other package, where the same name is another's
    or none."""
    code = {at for at, _, char in _scan(statement) if char not in "\"'`"}
    used = {m.group(0) for m in _LOWER.finditer(statement) if m.start() in code}
    return used - set(known) - _declared(statement)


def _declared(statement: str) -> set[str]:
    """The names ``statement`` declares (``x, err :=``, ``var x``), its own and those after
    it: the names and commas just before each ``:=``, read back from it once, so a statement
    of many commas is read in one pass."""
    tokens = _TOKEN.findall(statement)
    names: set[str] = set()
    for at, word in enumerate(tokens):
        if word == "var" and at + 1 < len(tokens):
            names.add(tokens[at + 1])
        back = at - 1
        while word == ":=" and back >= 0 and _NAME.fullmatch(tokens[back]):
            names.add(tokens[back])
            if back < 1 or tokens[back - 1] != ",":  # a name, a comma, a name...
                break
            back -= 2
    return names


def _qualified(statement: str, alias: str) -> str:
    """``statement`` with each exported name it uses unqualified (no ``x.`` before it, no
    ``:`` of a field or label after it) read as package ``alias``'s."""
    return _in_code(statement, re.compile(r"(?<![\w.])(?=[A-Z]\w*\b(?!\s*:(?!=)))"), f"{alias}.")


def _in_code(statement: str, pattern: re.Pattern[str], into: str) -> str:
    """``statement`` with ``pattern``'s matches outside its strings and comments replaced."""
    code = {at for at, _, char in _scan(statement) if char not in "\"'`"}
    return pattern.sub(lambda found: into if found.start() in code else found.group(0), statement)


def with_set_up(text: str, victim: str, set_up: SetUp, keep: Collection[int]) -> str:
    """``victim``'s file with the statements numbered in ``keep`` first in its function, and
    the imports they use that the file lacks after its package clause; "" when not found."""
    function = find(text, _name(victim))
    clause = PACKAGE.search(text)
    if function is None or clause is None:
        return ""
    chosen = [s for number, s in enumerate(set_up.statements) if number in keep]
    lines = "".join(f"\t{s.lstrip()}\n" for s in chosen)  # its inner lines: as deep as there
    moved = f"\n\t// set-up moved from {set_up.donor}\n{lines}"
    had = {_local(spec) for spec in _imports(text)}
    added = [
        spec
        for spec in set_up.imports
        if _local(spec) not in had and any(_uses(s, spec) for s in chosen)
    ]
    body = text[: function.start] + moved.rstrip("\n") + text[function.start :]
    if not added:
        return body
    declared = "".join(f"\nimport {spec}" for spec in added)
    return body[: clause.end()] + "\n" + declared + body[clause.end() :]


def called_lines(
    test_text: str, victim: str, sources: Mapping[str, str]
) -> dict[str, frozenset[int]]:
    """The body lines of the functions of ``sources`` (the package's other files, by path)
    that ``victim`` calls by name in ``test_text``."""
    function = find(test_text, _name(victim))
    if function is None:
        return {}
    names = set(_CALLED.findall(test_text[function.start : function.end]))
    lines: dict[str, frozenset[int]] = {}
    for path, text in sorted(sources.items()):
        for found in _DECLARED.finditer(text):
            if found.group(1) not in names:
                continue
            opened = text.find("{", found.end())
            end = _closing(text, opened + 1) if opened >= 0 else None
            if end is None:
                continue
            first, last = text.count("\n", 0, opened) + 2, text.count("\n", 0, end)
            lines[path] = lines.get(path, frozenset()) | frozenset(range(first, last + 1))
    return lines


def _scan(text: str) -> Iterator[tuple[int, int, str]]:
    """Each character of ``text`` outside strings and comments, with the bracket depth before
    it: a string is its closing quote alone, a comment nothing (its end of line is still given:
    it ends a statement)."""
    depth, at, size = 0, 0, len(text)
    while at < size:
        char = text[at]
        if text.startswith("//", at):
            at = text.find("\n", at)
            if at < 0:
                return
            continue
        if text.startswith("/*", at):
            end = text.find("*/", at + 2)
            at = size if end < 0 else end + 2
            continue
        if char in "\"'`":
            at = _string_end(text, at)
            yield at - 1, depth, char  # its closing quote: code that ends a line
            continue
        if char in ")]}":
            depth -= 1
        yield at, depth, char
        if char in "([{":
            depth += 1
        at += 1


def _string_end(text: str, at: int) -> int:
    quote, at = text[at], at + 1
    while at < len(text) and text[at] != quote:
        at += 2 if text[at] == "\\" and quote != "`" else 1
    return at + 1


def _closing(text: str, start: int) -> int | None:
    for at, depth, char in _scan(text[start:]):
        if char == "}" and depth < 0:
            return start + at
    return None


def _movable(statement: str, params: tuple[str, str]) -> bool:
    """Whether ``statement`` ends no test early and names neither test's ``*testing.T``
    (``params``: the donor's and the failing test's; a name the donor's package gives something
    else is the failing test's ``T`` there)."""
    code = "".join(char for _, _, char in _scan(statement))  # strings and comments left out
    named = "|".join(re.escape(param) for param in params)
    return not _ENDS_EARLY.search(code) and re.search(rf"\b(?:{named})\b", statement) is None


def _imports(text: str) -> list[str]:
    """The import specs of a file (``"os"``, ``alias "example.com/m/x"``)."""
    specs: list[str] = []
    for block in re.finditer(r"^import\s*\(([^)]*)\)", text, re.MULTILINE):
        specs += [
            " ".join(filter(None, m.groups()))
            for line in block.group(1).splitlines()
            if (m := _IMPORT.match(line))
        ]
    for single in re.finditer(r'^import\s+((?:\w+\s+)?"[^"\n]+")', text, re.MULTILINE):
        specs.append(single.group(1))
    return specs


def _local(spec: str) -> str:
    """The name a file uses an import by (its alias, else its path's last part)."""
    alias, _, path = spec.rpartition(" ")
    return alias or path.strip('"').rsplit("/", 1)[-1]


def _uses(statement: str, spec: str) -> bool:
    return re.search(rf"\b{re.escape(_local(spec))}\.", statement) is not None


def _where(texts: Mapping[str, str], test: str) -> tuple[str, Function] | None:
    for text in texts.values():
        function = find(text, _name(test))
        if function is not None:
            return text, function
    return None


def _package_path(test: str) -> str:
    """The package a step's name (``example.com/m/calc.TestX``) names ("" for none)."""
    names = levels(test)
    return test.removesuffix(f".{names[0]}") if len(names) == 1 else ""


def _name(test: str) -> str:
    names = levels(test)
    return names[0] if len(names) == 1 else ""
