"""What gen-tests reads of a Rust crate beside running it: which changed lines are code, where
coverage could not run, and the names an integration test it writes uses and may not take. Read
never following a link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cicd_agent.analysis import bounded_toml
from cicd_agent.local.checkout_files import CheckoutFileError, is_file, read_text
from cicd_agent.runners import same_sides


def code_lines(text: str) -> frozenset[int]:
    """The lines of Rust ``text`` that hold code: not blank, not only comments or an attribute,
    and not in a ``#[cfg(test)]`` module. Where no coverage tool runs, gen-tests targets the
    change's added code lines, and a comment or ``#[derive]`` is nothing a test runs. Strings are
    skipped whole (a raw string ``r#"…"#`` holding a ``"`` may mark a line too many or too few)."""
    found: set[int] = set()
    line, depth, attribute, index = 1, 0, 0, 0
    while index < len(text):
        char, rest = text[index], text[index : index + 2]
        if char == "\n":
            line += 1
        elif depth and rest in ("*/", "/*"):
            depth, index = depth + (1 if rest == "/*" else -1), index + 1
        elif depth:
            pass
        elif rest == "/*":
            depth, index = 1, index + 1
        elif rest == "//":
            index = text.find("\n", index) - 1 if "\n" in text[index:] else len(text)
        elif char == "#" and text[index + 1 : index + 3].lstrip("!").startswith("["):
            attribute, index = 1, text.index("[", index)
        elif attribute and char in "[]":
            attribute += 1 if char == "[" else -1
        elif char == '"' or text.startswith("'\"'", index):  # a string, or the char '"'
            end = _string_end(text, index) if char == '"' else index + 2
            found.update(() if attribute else (line,))
            line, index = line + text.count("\n", index, end), end
        elif not char.isspace() and not attribute:
            found.add(line)
        index += 1
    return frozenset(found) - _test_modules(text)


_TEST_MODULE = re.compile(
    r"^[ \t]*#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub\s+)?mod\s+\w+\s*\{", re.M
)


def _test_modules(text: str) -> set[int]:
    """The lines of each ``#[cfg(test)] mod … { … }``: the crate's own tests, not code to test
    (braces counted as written: one inside a string there may end it early)."""
    lines: set[int] = set()
    for found in _TEST_MODULE.finditer(text):
        depth, index = 1, found.end()
        while depth and index < len(text):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        first = text.count("\n", 0, found.start()) + 1
        lines.update(range(first, text.count("\n", 0, index) + 2))
    return lines


def _string_end(text: str, start: int) -> int:
    """Where the string literal opening at ``start`` (a ``"``) closes (its last index; escapes
    skipped); the text's end when it never does."""
    index = start + 1
    while index < len(text) and text[index] != '"':
        index += 2 if text[index] == "\\" else 1
    return min(index, len(text) - 1)


_USED = re.compile(
    r"^\s*(?:///?!?\s*)?(?:extern\s+crate|use)\s+([a-z_][a-z0-9_]*)\s*(?:;|::)", re.M
)
_NOT_CRATES = frozenset({"std", "core", "alloc", "crate", "self", "super"})
_STYLE = (
    "Write Rust: an integration test, `path` being `tests/NAME.rs` at the crate's root (not "
    "under `src/`: a unit test there would edit the code's own file; this replaces the folder "
    "rule above). It is its own crate: begin with `extern crate {name};` (needed by crates of "
    "edition 2015, harmless after) and reach the library only through its public items "
    "(`use {name}::…`); a private function is tested through the public one that calls it. "
    "Each test is a `#[test] fn` that checks with `assert_eq!` (or `assert!`, `assert_ne!`), "
    "naming the input in its message. Nothing comes from the network, and a file is read or "
    "written only under `std::env::temp_dir()`. Libtest runs the file in its own order: the "
    "reruns are not shuffled, and no coverage is measured, so the changed lines marked are "
    "targets: call them."
)


def rust_style(source_text: str, related_text: str) -> str:
    """gen-tests' style sentence for a Rust test, naming the crate as the nearest test or the
    changed file's doc examples ``use`` it (``CRATE`` when neither does: the compile stage's
    error names it for the next attempt)."""
    used = [
        name
        for text in (related_text, source_text)
        for name in _USED.findall(text)
        if name not in _NOT_CRATES
    ]
    return _STYLE.format(name=used[0] if used else "CRATE")


def library_name(repo: Path) -> str | None:
    """The name an integration test ``use``\\ s the root crate by: its ``[lib] name``, else its
    ``[package] name`` with ``-`` as ``_``; None where it has no library file at
    :func:`library_root`, or the root is a bare workspace (its members' tests are not written
    yet)."""
    toml = manifest(repo)
    lib, package = table(toml, "lib"), table(toml, "package")
    name = lib.get("name", package.get("name"))
    if not package or not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][\w-]*", name):
        return None
    if not is_file(repo, library_root(repo)):
        return None
    return name.replace("-", "_")


def library_root(repo: Path) -> str:
    """The root file of the library crate at the repository's root (:func:`root_of` its
    manifest); the one place the runner, the gate and gen-tests' change reading take it from
    (none assumes ``src/``)."""
    return root_of(manifest(repo))


def root_of(toml: dict[str, object]) -> str:
    """The library root the manifest ``toml`` names: its ``[lib] path``, else ``src/lib.rs``,
    cargo's default."""
    path = table(toml, "lib").get("path")
    return str(PurePosixPath(path)) if isinstance(path, str) else "src/lib.rs"


@dataclass(frozen=True)
class Library:
    """Where the root crate's library code is, and where its other targets are: the manifest
    read and its targets gathered once per change, however many files are asked about (a large
    manifest parsed per changed file would cost minutes of CPU)."""

    folder: PurePosixPath
    """The library root's folder: its module tree (``src/``; the package for a root ``lib.rs``)."""
    others: frozenset[str]
    """Other targets' roots: cargo's own (``src/main.rs``, ``build.rs``) and each ``[[bin]]``,
    ``[[test]]``, ``[[bench]]`` and ``[[example]]`` path and ``build`` script named."""
    other_folders: frozenset[PurePosixPath]
    """Other targets' folders: cargo's (:data:`_NOT_CODE`), and each named root's
    (``testsuite/`` of ``testsuite/main.rs``: its modules are that target's) but the library's
    folder and those above it (``src/`` of ``src/main.rs``)."""


def library(toml: dict[str, object]) -> Library:
    folder = PurePosixPath(root_of(toml)).parent
    paths = [table(toml, "package").get("build")] + [
        target.get("path")
        for kind in ("bin", "test", "bench", "example")
        for target in _list(toml.get(kind))
        if isinstance(target, dict)
    ]
    named = {str(PurePosixPath(path)) for path in paths if isinstance(path, str)}
    folders = {PurePosixPath(f).parent for f in named} - {folder, *folder.parents}
    return Library(
        folder,
        frozenset({"src/main.rs", "build.rs", *named}),
        frozenset(folders | {PurePosixPath(f) for f in _NOT_CODE}),
    )


def crate_code(repo: Path, path: str, crate: Library) -> bool:
    """Whether ``path`` is the root crate's code: a ``.rs`` file in the ``crate``'s library
    module tree (its root's folder), not another target's, not under ``target/`` (cargo's
    output), and not in a folder with its own ``Cargo.toml`` (another package: a workspace
    member's or a vendored crate's)."""
    name, folder = PurePosixPath(path), crate.folder
    inner = name.parents[: len(name.parents) - len(folder.parents) - 1]
    return (
        name.suffix == ".rs"
        and folder in name.parents
        and path not in crate.others
        and not crate.other_folders.intersection(name.parents)
        and not any(is_file(repo, f"{p}/Cargo.toml") for p in inner)
    )


_NOT_CODE = frozenset({"tests", "benches", "examples", "target", "src/bin"})
"""cargo's folders of other targets (and its output), found without a manifest's word."""


def _list(found: object) -> list[object]:
    return found if isinstance(found, list) else []


def target_names(repo: Path) -> frozenset[str]:
    """The names of the root crate's targets the manifest names (``[[test]]``, ``[[bin]]``,
    ``[[bench]]``, ``[[example]]``) and its library's: a new ``tests/NAME.rs`` may take none."""
    toml = manifest(repo)
    names = {library_name(repo) or ""}
    for kind in ("test", "bin", "bench", "example"):
        found = toml.get(kind)
        names |= (
            {str(t.get("name", "")) for t in found if isinstance(t, dict)}
            if isinstance(found, list)
            else set()
        )
    return frozenset(names - {""})


def manifest(repo: Path) -> dict[str, object]:
    """The root ``Cargo.toml``, read size-capped ({} where it is missing, a link or no TOML,
    nested too deeply among them)."""
    try:
        return bounded_toml.load(read_text(repo, "Cargo.toml"))
    except (CheckoutFileError, bounded_toml.TomlRefused):
        return {}


def table(manifest: dict[str, object], name: str) -> dict[str, object]:
    found = manifest.get(name)
    return found if isinstance(found, dict) else {}


_NAME = re.compile(r"tests/([a-z][a-z0-9_]{0,63})\.rs")
_FN = re.compile(r"((?:#!?\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+(\w+)")
_NOISE = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*')
_CHECK = re.compile(r"\b(assert(?:_eq|_ne)?|panic)!\s*[(\[{]")


def integration_test_problem(repo: Path, path: str) -> str:
    """Why gen-tests may not write ``path`` as a new integration test of the library crate at
    the repository's root ("" when it may): it is ``tests/NAME.rs`` (never a unit test inside
    ``src/``: the patch would edit the code's own file), the root is a library that finds its
    tests (no ``autotests = false``), and NAME is no target's name.
    Whether the file exists is the gate's look."""
    name = _NAME.fullmatch(path)
    if name is None:
        return (
            "not an integration test: a Rust candidate is tests/NAME.rs at the crate's "
            "root (NAME in lowercase letters, digits and _); a unit test in src/ would "
            "edit the code's own file"
        )
    if library_name(repo) is None:
        return (
            "the repository's root is no library crate (src/lib.rs or [lib]) an "
            "integration test can use"
        )
    if table(manifest(repo), "package").get("autotests") is False:
        return "the crate sets autotests = false: a file under tests/ is no test target"
    if name.group(1) in target_names(repo):
        return f"{name.group(1)} is a target the crate already has: a new name cannot clash"
    return ""


def unasserted_test(text: str) -> str:
    """The first ``#[test]`` fn of ``text`` whose body asserts nothing and that expects no
    panic ("" when each does); a body runs to the next fn (``//`` comments dropped and each
    string made a numbered placeholder first: neither is code, and one string twice is one
    number, so ``assert_eq!(f("a"), f("a"))`` reads as the same sides and ``f("b")`` not)."""
    strings: dict[str, int] = {}
    code = _NOISE.sub(
        lambda found: (
            f'"{strings.setdefault(found.group(), len(strings))}"'
            if found.group().startswith('"')
            else ""
        ),
        text,
    )
    found = list(_FN.finditer(code))
    tests = [
        (match, end)
        for match, end in zip(found, [m.start() for m in found[1:]] + [len(code)], strict=True)
        if re.search(r"#\[test\]", match.group(1))
    ]
    if not tests:
        return "the file holds no #[test] fn, so it"
    return next(
        (
            match.group(2)
            for match, end in tests
            if "should_panic" not in match.group(1)
            and not any(_checks(code, check) for check in _CHECK.finditer(code, match.end(), end))
        ),
        "",
    )


def _checks(code: str, check: re.Match[str]) -> bool:
    """Whether the macro call ``check`` checks something: not ``assert_eq!(v, v)``,
    ``assert_ne!(v, v)``, ``assert!(v == v)`` nor ``assert!(v == v || v != v)``."""
    name = check.group(1)
    if name == "panic":
        return True
    if name == "assert":
        arguments = same_sides.arguments(code, check.end() - 1)
        return not (
            arguments
            and (same_sides.self_compare(arguments[0]) or same_sides.always_true(arguments[0]))
        )
    if name == "assert_ne" and "(" in "".join(same_sides.arguments(code, check.end() - 1)[:1]):
        return True  # two calls are two values: assert_ne!(id(), id()) checks they differ
    return not same_sides.same_pair(code, check.end() - 1)


def first_error(output: str) -> str:
    """rustc's first error in a build's log (what a model needs to mend its file)."""
    return next(
        (line.strip()[:300] for line in output.splitlines() if line.startswith("error")),
        "see the build's log",
    )
