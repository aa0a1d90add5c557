"""deploy-gate's targeted test set holds every test that can reach the change: a team running
only ``test_paths`` must not skip a test the change can break. Real repositories through the
CLI, laid out as the projects where a narrower set shipped a broken change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cicd_agent.analysis.changes import ChangedFile
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.modes.deploy_gate import policy as policies
from cicd_agent.modes.deploy_gate import related
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli

WEEKDAY_NOON = "2026-11-18T12:00:00+00:00"
MODULE = "module github.com/gobwas/glob\n\ngo 1.19\n"


def scope(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str) -> tuple[str, list[str], str]:
    argv = ["deploy-gate", "--provider", "none", "--repo", str(repo.path), "--base", base,
            "--head", head, "--deploy-time", WEEKDAY_NOON]  # fmt: skip
    done = run_cli(argv, tmp_path, {"RUNNER_TEMP": ""})
    assert done.code == 0, done.stderr
    row = next(line for line in done.summary.splitlines() if line.startswith("| tests to run"))
    return done.outputs["test_scope"], json.loads(done.outputs["test_paths"]), row


@pytest.fixture
def glob_module(tmp_path: Path) -> GitRepoBuilder:
    """gobwas/glob's shape: the root package ``glob`` imports ``compiler``, which imports
    ``match``; ``syntax/lexer`` imports none of them."""
    repo = GitRepoBuilder(tmp_path / "glob")
    repo.commit("glob", {
        "go.mod": MODULE,
        "glob.go": 'package glob\n\nimport (\n\t"strings"\n\n\t// the compiler\n'
                   '\t"github.com/gobwas/glob/compiler"\n)\n\nvar _ = compiler.Compile\n'
                   'var _ = strings.Split\n',
        "glob_test.go": 'package glob\n\nimport "testing"\n\nfunc TestGlob(t *testing.T) {}\n',
        "compiler/compiler.go": 'package compiler\n\nimport m "github.com/gobwas/glob/match"\n\n'
                                "func Compile() m.Prefix { return m.Prefix{} }\n",
        "compiler/compiler_test.go": 'package compiler\n\nimport "testing"\n\n'
                                     "func TestCompile(t *testing.T) {}\n",
        "match/prefix.go": "package match\n\ntype Prefix struct{}\n",
        "match/prefix_test.go": 'package match\n\nimport "testing"\n\n'
                                "func TestPrefix(t *testing.T) {}\n",
        "syntax/lexer/lexer.go": "package lexer\n\nfunc Lex() {}\n",
        "syntax/lexer/lexer_test.go": 'package lexer\n\nimport "testing"\n\n'
                                      "func TestLex(t *testing.T) {}\n",
    })  # fmt: skip
    return repo


def test_a_go_change_runs_the_tests_of_every_package_importing_it(
    tmp_path: Path, glob_module: GitRepoBuilder
) -> None:
    """A change to ``match/prefix.go`` ran only ``match``'s tests; the failures were in the root
    package's, which imports ``match`` through ``compiler``."""
    base = glob_module.head()
    head = glob_module.commit("Prefix: bug", {"match/prefix.go": "package match\n\n"
                                              "type Prefix struct{ s string }\n"})  # fmt: skip
    test_scope, paths, row = scope(tmp_path, glob_module, base, head)
    assert test_scope == "targeted", row
    assert paths == ["compiler/compiler_test.go", "glob_test.go", "match/prefix_test.go"]


def test_a_go_package_no_other_imports_still_runs_its_own_tests_alone(
    tmp_path: Path, glob_module: GitRepoBuilder
) -> None:
    base = glob_module.head()
    head = glob_module.commit("Lexer", {"syntax/lexer/lexer.go": "package lexer\n\n"
                                        "func Lex() int { return 1 }\n"})  # fmt: skip
    assert scope(tmp_path, glob_module, base, head)[:2] == (
        "targeted", ["syntax/lexer/lexer_test.go"]
    )  # fmt: skip


def test_a_go_import_the_reader_cannot_resolve_runs_the_full_suite(
    tmp_path: Path, glob_module: GitRepoBuilder
) -> None:
    base = glob_module.head()
    head = glob_module.commit("Lexer", {"syntax/lexer/lexer.go": "package lexer\n\n"
                                        'import _ "github.com/gobwas/glob/gone"\n'})  # fmt: skip
    test_scope, paths, row = scope(tmp_path, glob_module, base, head)
    assert (test_scope, paths) == ("full", [])
    assert "`syntax/lexer/lexer.go` imports `github.com/gobwas/glob/gone`, not found" in row


@pytest.fixture
def webcolors(tmp_path: Path) -> GitRepoBuilder:
    """webcolors' shape: the package re-exports ``name_to_rgb`` and its tests ``import
    webcolors``; ``palette`` uses it, ``test_units`` does not."""
    repo = GitRepoBuilder(tmp_path / "webcolors")
    repo.commit("webcolors", {
        "src/webcolors/__init__.py": "from .conversion import name_to_rgb\n",
        "src/webcolors/conversion.py": "def name_to_rgb(name):\n    return (0, 0, 0)\n",
        "src/webcolors/html5.py": "from . import conversion\n",
        "src/palette/__init__.py": "",
        "src/palette/mix.py": "from webcolors import name_to_rgb\n\ndef blend(a, b):\n"
                              "    return name_to_rgb(a)\n",
        "tests/test_conversion.py": "import webcolors\n",
        "tests/test_conformance.py": "import unittest\n\nimport webcolors\n",
        "tests/test_html5.py": "import webcolors\n",
        "tests/test_palette.py": "from palette.mix import blend\n",
        "tests/test_plugins.py": "import importlib\n\nNAME = 'x'\nimportlib.import_module(NAME)\n",
        "tests/test_units.py": "import math\n",
    })  # fmt: skip
    return repo


def test_a_python_change_runs_every_test_importing_its_package(
    tmp_path: Path, webcolors: GitRepoBuilder
) -> None:
    """A change to ``name_to_rgb`` ran only ``test_conversion.py``, the test named after its
    module; ``test_conformance.py`` and ``test_html5.py`` import ``webcolors`` and failed.
    ``test_palette.py`` reaches it through ``palette.mix``; a test importing a computed name
    can reach anything."""
    base = webcolors.head()
    head = webcolors.commit("name_to_rgb: bug", {
        "src/webcolors/conversion.py": "def name_to_rgb(name):\n    return (0, 0, 1)\n",
    })  # fmt: skip
    test_scope, paths, row = scope(tmp_path, webcolors, base, head)
    assert test_scope == "targeted", row
    assert paths == [f"tests/test_{name}.py" for name in
                     ("conformance", "conversion", "html5", "palette", "plugins")]  # fmt: skip


def test_a_python_module_few_tests_import_runs_those_alone(
    tmp_path: Path, webcolors: GitRepoBuilder
) -> None:
    base = webcolors.head()
    head = webcolors.commit("blend", {"src/palette/mix.py": "def blend(a, b):\n    return a\n"})
    assert scope(tmp_path, webcolors, base, head)[:2] == (
        "targeted", ["tests/test_palette.py", "tests/test_plugins.py"]
    )  # fmt: skip


def test_when_every_test_is_related_the_scope_says_full() -> None:
    tracked = ["src/calc.py", "tests/test_calc.py"]
    graph = related.Graph({"tests/test_calc.py": frozenset({"src/calc.py"})})
    routing = policies.route([ChangedFile("src/calc.py", 1, 0)], tracked, graph)
    assert (routing.test_scope, routing.test_paths) == (policies.TestScope.FULL, [])
    assert routing.test_reason == "every test file can reach the change"


def test_a_language_whose_imports_are_not_traced_runs_the_full_suite() -> None:
    tracked = ["src/calc.js", "src/calc.test.js", "src/other.test.js"]
    routing = policies.route([ChangedFile("src/calc.js", 1, 0)], tracked, related.Graph())
    assert routing.test_scope is policies.TestScope.FULL
    assert routing.test_reason == "the tests of `src/calc.js` are not traced (.js)"


def test_too_many_files_to_trace_runs_the_full_suite(
    tmp_path: Path, webcolors: GitRepoBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(related, "MAX_FILES", 3)
    repo = GitRepo.open(webcolors.path)
    head = webcolors.head()
    graph = related.read_graph(repo, head, repo.tracked_files(head), {".py"})
    assert graph.unknown == {".py": "more than 3 files to trace imports through"}
    routing = policies.route([ChangedFile("src/palette/mix.py", 1, 0)],
                             repo.tracked_files(head), graph)  # fmt: skip
    assert (routing.test_scope, routing.test_reason) == (
        policies.TestScope.FULL, "more than 3 files to trace imports through"
    )  # fmt: skip


def test_a_python_relative_import_above_the_top_package_runs_the_full_suite(
    tmp_path: Path, webcolors: GitRepoBuilder
) -> None:
    base = webcolors.head()
    head = webcolors.commit("up", {"src/palette/mix.py": "from .... import x\n"})
    test_scope, _, row = scope(tmp_path, webcolors, base, head)
    assert test_scope == "full"
    assert "`src/palette/mix.py` imports from above the repository" in row


def test_a_removed_module_runs_the_full_suite(tmp_path: Path, webcolors: GitRepoBuilder) -> None:
    """Its name matched ``test_html5.py`` alone; every test importing ``webcolors`` may import
    it, and the head holds no file their imports name."""
    base = webcolors.head()
    head = webcolors.commit("Drop html5", remove=("src/webcolors/html5.py",))
    test_scope, _, row = scope(tmp_path, webcolors, base, head)
    assert test_scope == "full"
    assert "`src/webcolors/html5.py` is gone: its importers are not traced" in row


def test_a_go_file_with_an_unclosed_comment_is_read_once_and_not_traced() -> None:
    """The import reader stops at the first place no import declaration holds."""
    text = "package x\n\nimport (\n" + "/*" * 200_000
    assert related._go_imports(text) is None
    assert related._go_imports('package x\nimport f "fmt"; import . "a/b";\nfunc f() {}\n') == [
        "fmt", "a/b"
    ]  # fmt: skip


def test_a_module_imported_from_its_package_by_name_reaches_only_itself(tmp_path: Path) -> None:
    """``from shop import auth`` loads ``shop/__init__.py`` and ``shop/auth.py``, not every
    module of ``shop``: counting it as the whole package made every test related, so a change
    to ``shop/orders.py`` ran the full suite. A star import still counts the whole package."""
    repo = GitRepoBuilder(tmp_path / "shop")
    base = repo.commit("shop", {
        "src/shop/__init__.py": "", "src/shop/orders.py": "def price_2(x):\n    return 2 * x\n",
        "src/shop/auth.py": "def login():\n    return True\n",
        "tests/test_orders.py": "from shop.orders import price_2\n\n\ndef test_p():\n"
                                "    assert price_2(1) == 2\n",
        "tests/test_auth.py": "from shop import auth\n\n\ndef test_a():\n    assert auth.login()\n",
    })  # fmt: skip
    head = repo.commit("orders", {"src/shop/orders.py": "def price_2(x):\n    return x + x\n"})
    assert scope(tmp_path, repo, base, head)[:2] == ("targeted", ["tests/test_orders.py"])
    star = repo.commit("star", {"tests/test_auth.py": "from shop import *\n\n\ndef test_a():\n"
                                "    assert True\n"})  # fmt: skip
    again = repo.commit("orders again", {"src/shop/orders.py": "def price_2(x):\n    return 2*x\n"})
    assert scope(tmp_path, repo, star, again)[0] == "full"
