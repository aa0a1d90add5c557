"""``cicd-agent MODE --help`` stays cheap: no pydantic, SDK or numeric stack.

The CLI reads a mode's arguments (constants) to parse its flags and imports the mode's module
only once they parse, to run it (a mode's wiring imports its steps at the top and
reads top to bottom). Each check runs in a fresh interpreter: this process has long since
imported all of them.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from cicd_agent.plugins import installed_modes

HEAVY = ("pydantic", "openai", "github", "git", "numpy", "scipy", "sklearn", "markdown_it")


def heavy_after(code: str) -> str:
    """The heavy packages in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("mode", sorted(installed_modes()))
def test_mode_help_imports_no_heavy_package(mode: str) -> None:
    # `cicd-agent MODE --help` loads the mode and adds its arguments: the CLI's import path.
    code = (
        "import contextlib, io\n"
        "from cicd_agent.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main([{mode!r}, '--help'])\n"
        "    except SystemExit:\n"
        "        pass"
    )
    assert heavy_after(code) == "[]"


def test_the_fix_steps_model_loop_is_imported_only_when_asked() -> None:
    attempt = "cicd_agent.modes.analyse_failure.fix.attempt"
    assert "openai" not in heavy_after(f"import {attempt}")
    assert "openai" in heavy_after("import cicd_agent.modes.analyse_failure.fix.agent")


# `cicd-agent MODE --help` within 3x `python -c pass`. argparse and the help it prints
# are 2.4x on their own; the mode module (dataclasses, typing, pathlib) took it to 5-7x.
NOT_FOR_HELP = (
    "dataclasses", "typing", "pathlib", "json", "secrets", "inspect",
    "cicd_agent.job.options", "cicd_agent.actions.runner_io", "cicd_agent.job.resolve", *HEAVY,
)  # fmt: skip
ENTRY_HELP = """
import contextlib, io, sys
sys.argv = ["cicd-agent", *{argv!r}]
from cicd_agent.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main()
print(repr(out.getvalue()))
print(code)
print(sorted(m for m in {avoid!r} if m in sys.modules))
"""


def entry_help(argv: list[str]) -> tuple[str, int, str]:
    """(help text, exit code, modules of NOT_FOR_HELP imported) of the console script."""
    completed = subprocess.run(
        [sys.executable, "-c", ENTRY_HELP.format(argv=argv, avoid=NOT_FOR_HELP)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    text, code, imported = completed.stdout.strip().splitlines()[-3:]
    return ast.literal_eval(text), int(code), imported


@pytest.mark.parametrize("mode", [*sorted(installed_modes()), None])
def test_help_imports_argparse_and_the_modes_options_alone(mode: str | None) -> None:
    argv = [mode, "--help"] if mode else ["--help"]
    text, code, imported = entry_help(argv)
    assert code == 0 and imported == "[]"
    assert text.startswith(f"usage: cicd-agent {mode or ''}".rstrip())
    # Word for word what the full command line prints: one parser, not a copy of it.
    import contextlib
    import io

    from cicd_agent.cli import main

    full = io.StringIO()
    with contextlib.redirect_stdout(full):
        assert main(argv) == 0
    assert text == full.getvalue()


def test_a_bad_option_before_help_is_still_reported_as_one() -> None:
    text, code, _ = entry_help(["review", "--max-findings", "many", "--help"])
    assert code == 2 and "usage:" not in text


def test_the_markdown_parser_is_imported_only_when_text_is_neutralised() -> None:
    """markdown-it-py costs about 55 ms to import: only a mode posting model text that may
    hold code pays it (a text with no backtick, tilde fence, tab or indent holds none)."""
    assert "markdown_it" not in heavy_after("import cicd_agent.actions.markdown")
    plain = "from cicd_agent.actions.markdown import neutralise\nneutralise('x')"
    assert "markdown_it" not in heavy_after(plain)
    with_code = "from cicd_agent.actions.markdown import neutralise\nneutralise('`x`')"
    assert "markdown_it" in heavy_after(with_code)


# Importing a mode's wiring builds no pydantic model: each builds its validator and serializer on
# its first use (defer_build), so a run builds the models it validates or dumps and no other.
BUILT_AT_IMPORT: list[str] = []
BUILT = """
import sys, pydantic
from cicd_agent.plugins import installed_modes
installed_modes()[{mode!r}].load()  # as the run loads its mode
def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)
print(sorted({{f"{{m.__module__}}.{{m.__qualname__}}" for m in subclasses(pydantic.BaseModel)
    if m.__module__.startswith("cicd_agent") and m.__pydantic_complete__}}))
"""


@pytest.mark.parametrize("mode", sorted(installed_modes()))
def test_importing_a_modes_wiring_builds_no_model(mode: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", BUILT.format(mode=mode)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    built = ast.literal_eval(completed.stdout.strip().splitlines()[-1])
    assert set(built) <= set(BUILT_AT_IMPORT), built


def test_review_loads_the_modules_it_uses_alone() -> None:
    """Review's wiring loads no core module it does not use (the run resolver the command mode
    uses, the sandbox before a linter or suggestion runs), nor the plain API, which loads every
    promised name for another distribution's mode."""
    unused = (
        "cicd_agent.job.resolve", "cicd_agent.sandbox",
        "cicd_agent.github.trust", "cicd_agent.api",
    )  # fmt: skip
    probe = (
        "import sys, cicd_agent.modes.review.mode\n"
        f"print(sorted(m for m in {unused!r} if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"
