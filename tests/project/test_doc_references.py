"""Every ``cicd_agent.`` path the prose names resolves: a module moved or a name renamed
fails here, not in a newcomer's search.

Read: each module in ``src/`` whole, for a dotted ``cicd_agent.x.y`` path, a Sphinx role
(``:mod:``, ``:func:``, ...) and a relative module reference in double backticks (``.x``,
``..x``, read as Python's relative imports read them, or as a name of the module itself);
and ``docs/*.md``, ``CONTRIBUTING.md`` and ``README.md``, for dotted ``cicd_agent.`` paths.
Whole files, not only docstrings: an import naming a missing module fails on its own, and one
regular expression per file keeps the test cheap. A path resolves when a prefix of it is a
module under ``src/`` and the next name is bound in that module's source (deeper names, an
attribute of a class, must appear in the same file). Only files are read: nothing is imported.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
DOTTED = re.compile(r"(?<![\w./-])(cicd_agent(?:\.[A-Za-z_]\w*)+)")
ROLE = re.compile(r":(?:mod|func|class|data|meth|attr|exc|obj):`~?([.\w]+)`")
RELATIVE = re.compile(r"``(\.{1,3}[A-Za-z_]\w*(?:\.\w+)*)``")
FILE_NAMES = {
    ".git", ".gitattributes", ".gitmodules", ".mailmap", ".venv", ".cargo", ".inf",
    ".rs", ".ts", ".spec", ".test", ".test.ts", ".concurrent", ".resolves", ".camelize",
    ".GitAttributes", ".bin", ".pyc", ".pth", ".svelte", ".vue", ".flake8", ".isort.cfg",
    ".dockerignore",
}
WORKED_EXAMPLES = ("cicd_agent.runners.dotnet",)
"""Modules CONTRIBUTING's worked examples create in a temporary copy (a test builds them)."""
"""Literals that start with a dot and name a file, a suffix or a JavaScript member, not a module."""


@cache
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def _module_file(dotted: str) -> Path | None:
    base = SRC.joinpath(*dotted.split("."))
    for found in (base.with_suffix(".py"), base / "__init__.py"):
        if found.is_file():
            return found
    return None


def _defines(source: Path, name: str) -> bool:
    """``name`` is bound at the top of the module, a class attribute, or a submodule."""
    if (source.parent / f"{name}.py").is_file() and source.name == "__init__.py":
        return True
    if (source.parent / name).is_dir() and source.name == "__init__.py":
        return True
    bound = re.compile(rf"(?m)(^|\s|def |class |import |as |, ){re.escape(name)}\b")
    return bound.search(_text(source)) is not None


def resolves(dotted: str) -> bool:
    parts = dotted.rstrip(".").split(".")
    for cut in range(len(parts), 0, -1):
        module = _module_file(".".join(parts[:cut]))
        if module is None:
            continue
        rest = parts[cut:]
        if not rest:
            return True
        # The first name after the module must be defined in it; deeper names (an attribute
        # of a class) must at least appear in the same file.
        text = _text(module)
        return _defines(module, rest[0]) and all(name in text for name in rest[1:])
    return False


def _module_of(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _anchors(module: str, is_package: bool, relative: str) -> list[str]:
    """Where a relative name may point, as Python's relative imports read it (``.x`` is a
    sibling of the module, ``..x`` one package up), or a name in the module itself."""
    dots = len(relative) - len(relative.lstrip("."))
    package = module.split(".") if is_package else module.split(".")[:-1]
    if dots > 1:
        package = package[: -(dots - 1)]
    name = relative.lstrip(".")
    return [".".join([*package, name]), f"{module}.{name}"]


def broken_references() -> list[str]:
    broken = []
    for path in sorted(SRC.rglob("*.py")):
        module = _module_of(path)
        package = path.name == "__init__.py"
        text = _text(path)
        names = set(DOTTED.findall(text))
        names |= {name for name in ROLE.findall(text) if name.startswith(("cicd_agent.", "."))}
        names |= set(RELATIVE.findall(text)) - FILE_NAMES
        for name in sorted(names):
            targets = _anchors(module, package, name) if name.startswith(".") else [name]
            if not any(resolves(target) for target in targets):
                broken.append(f"{path.relative_to(ROOT)}: {name}")
    pages = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "CONTRIBUTING.md", ROOT / "README.md"]
    for page in pages:
        for name in sorted(set(DOTTED.findall(page.read_text(encoding="utf-8")))):
            if not resolves(name) and not name.startswith(WORKED_EXAMPLES):
                broken.append(f"{page.relative_to(ROOT)}: {name}")
    return broken


def test_every_named_path_resolves() -> None:
    assert broken_references() == []


def test_a_moved_module_is_found() -> None:
    """The check itself catches what it is for: a name that does not exist, a module that moved."""
    assert not resolves("cicd_agent.modes.MODES")
    assert not resolves("cicd_agent.verify.runners")
    assert not resolves("cicd_agent.modes.review.prompt.DescriptionAnswer")
    assert resolves("cicd_agent.plugins.installed_modes")
    assert resolves("cicd_agent.modes.review")


MODULE_ROLE = re.compile(r":mod:`~?([.\w]+)`")


def missing_modules(path: Path, text: str) -> list[str]:
    """The ``:mod:`` references in ``text`` (of ``path`` under ``src/``) that name no module
    file. :func:`resolves` takes a name bound in the package's text, and a package's index in
    prose holds its names as words ("a step's script" kept ``:mod:`.script``` passing)."""
    module, package = _module_of(path), path.name == "__init__.py"
    return [
        f"{path.relative_to(ROOT)}: {name}"
        for name in sorted(set(MODULE_ROLE.findall(text)))
        if name.startswith(("cicd_agent.", "."))
        and not any(_module_file(target) for target in (
            _anchors(module, package, name) if name.startswith(".") else [name]
        ))
    ]  # fmt: skip


def test_every_module_reference_names_a_module_file() -> None:
    assert [found for path in sorted(SRC.rglob("*.py"))
            for found in missing_modules(path, _text(path))] == []  # fmt: skip


def test_a_module_named_in_an_index_but_never_written_is_found() -> None:
    index = SRC / "cicd_agent" / "verify" / "__init__.py"
    text = "the judged copies (:mod:`.judged`), a step's script (:mod:`.script`)"
    assert missing_modules(index, text) == ["src/cicd_agent/verify/__init__.py: .script"]
