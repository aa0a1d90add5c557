"""Files a pull request controls that load the changed module in a way the import reader
does not see as an import: the targeted set must still hold the test, or the scope be full."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.modes.deploy_gate import related
from tests.git_builder import GitRepoBuilder
from tests.modes.deploy_gate.test_related_tests import scope

SHOP = {
    "src/shop/__init__.py": "", "src/shop/orders.py": "def price_2(x):\n    return 2 * x\n",
    "src/shop/auth.py": "def login():\n    return True\n",
    "tests/test_auth.py": "from shop import auth\n\n\ndef test_a():\n    assert auth.login()\n",
    "tests/test_orders.py": "from shop.orders import price_2\n\n\ndef test_o():\n"
                            "    assert price_2(1) == 2\n",
}  # fmt: skip


@pytest.mark.parametrize("loader", [
    'pytest_plugins = ["shop.orders"]\n',
    'pytest_plugins = "shop.orders"\n',
    'import importlib\n\norders = importlib.import_module(".orders", "shop")\n',
    'exec("from shop import orders")\n',
    'import runpy\n\nrunpy.run_module("shop.orders")\n',
])  # fmt: skip
def test_attack_a_test_loading_the_change_without_an_import_statement_is_related(
    tmp_path: Path, loader: str
) -> None:
    """Each loader runs ``shop/orders.py`` for ``tests/test_price.py``; a targeted set
    without it skips the one test the change can break."""
    repo = GitRepoBuilder(tmp_path / "shop")
    base = repo.commit("shop", {**SHOP, "tests/test_price.py": loader + "\n\ndef test_p():\n"
                                "    assert True\n"})  # fmt: skip
    head = repo.commit("orders", {"src/shop/orders.py": "def price_2(x):\n    return x + x\n"})
    test_scope, paths, row = scope(tmp_path, repo, base, head)
    assert test_scope == "full" or "tests/test_price.py" in paths, row


@pytest.mark.parametrize("test_file", [
    # a newer Python's syntax than the one deploy-gate runs on (type parameters, 3.12)
    b"from shop.orders import price_2\n\n\ndef first[T](xs: list[T]) -> T:\n    return xs[0]\n"
    b"\n\ndef test_p():\n    assert price_2(first([1])) == 2\n",
    # an encoding line Python honours: the name is Latin-1, not UTF-8
    b"# -*- coding: latin-1 -*-\nfrom shop.orders import price_2\n\ncaf\xe9 = 1\n\n\n"
    b"def test_p():\n    assert price_2(caf\xe9) == 2\n",
])  # fmt: skip
def test_attack_a_test_python_runs_but_the_reader_cannot_parse_is_related(
    tmp_path: Path, test_file: bytes
) -> None:
    """The reader counted a file it could not parse as importing nothing; the project's
    Python runs it, and it imports the change."""
    repo = GitRepoBuilder(tmp_path / "shop")
    base = repo.commit("shop", {**SHOP, "tests/test_price.py": test_file})
    head = repo.commit("orders", {"src/shop/orders.py": "def price_2(x):\n    return x + x\n"})
    test_scope, paths, row = scope(tmp_path, repo, base, head)
    assert test_scope == "full" or "tests/test_price.py" in paths, row


def test_attack_a_test_file_stored_as_a_link_is_related_through_its_target(
    tmp_path: Path,
) -> None:
    """pytest runs a linked test file's target; its imports are the target's."""
    repo = GitRepoBuilder(tmp_path / "shop")
    repo.write({**SHOP, "checks/price_check.py": "from shop.orders import price_2\n\n\n"
                "def test_p():\n    assert price_2(1) == 2\n"})  # fmt: skip
    (repo.path / "tests" / "test_price.py").symlink_to("../checks/price_check.py")
    base = repo.commit("shop")
    head = repo.commit("orders", {"src/shop/orders.py": "def price_2(x):\n    return x + x\n"})
    test_scope, paths, row = scope(tmp_path, repo, base, head)
    assert test_scope == "full" or "tests/test_price.py" in paths, row


def test_attack_two_go_modules_of_one_name_do_not_route_imports_to_the_copy(
    tmp_path: Path,
) -> None:
    """A copy of the module (an example, a template) under a folder of its own, with its
    own ``go.mod`` of the same name: the root package's import of ``match`` is the root's."""
    repo = GitRepoBuilder(tmp_path / "glob")
    module = "module example.com/glob\n\ngo 1.19\n"
    compiler = ('package compiler\n\nimport "example.com/glob/match"\n\n'
                "var _ = match.Prefix{}\n")  # fmt: skip
    test = 'package {0}\n\nimport "testing"\n\nfunc Test{0}(t *testing.T) {{}}\n'
    files = {"go.mod": module, "compiler/compiler.go": compiler,
             "compiler/compiler_test.go": test.format("compiler"),
             "match/prefix.go": "package match\n\ntype Prefix struct{}\n",
             "match/prefix_test.go": test.format("match"),
             "other/other.go": "package other\n", "other/other_test.go": test.format("other")}
    copy = {f"template/{path}": text for path, text in files.items()}
    base = repo.commit("glob", {**files, **copy})
    head = repo.commit("Prefix", {"match/prefix.go": "package match\n\n"
                                  "type Prefix struct{ s string }\n"})  # fmt: skip
    test_scope, paths, row = scope(tmp_path, repo, base, head)
    assert test_scope == "full" or "compiler/compiler_test.go" in paths, row


def test_attack_an_import_spelled_as_a_file_name_keeps_that_files_imports(
    tmp_path: Path,
) -> None:
    """``import test_price.py`` (in a ``try``) named the node of the file ``test_price.py``:
    the name's files replaced the file's own imports, and the test importing the change
    dropped out of the targeted set."""
    repo = GitRepoBuilder(tmp_path / "shop")
    base = repo.commit("shop", {
        **SHOP, "test_price.py": "from shop.orders import price_2\n\n\ndef test_p():\n"
        "    assert price_2(1) == 2\n",
        "tests/test_other.py": "try:\n    import test_price.py\nexcept ImportError:\n    pass\n"
        "\n\ndef test_o():\n    assert True\n",
    })  # fmt: skip
    head = repo.commit("orders", {"src/shop/orders.py": "def price_2(x):\n    return x + x\n"})
    test_scope, paths, row = scope(tmp_path, repo, base, head)
    assert test_scope == "full" or "test_price.py" in paths, row


def test_attack_files_each_under_the_size_limit_but_many_are_not_all_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of files each just under the per-file limit (5,000 of 500 kB, 2.5 GB of
    text for a parser that takes up to 1.5 CPU-seconds a MiB) held the run for hours: past a
    total the related tests are not established (here a total of 1 MiB stands in)."""
    monkeypatch.setattr(related, "MAX_TOTAL", 1 << 20, raising=False)
    repo = GitRepoBuilder(tmp_path / "shop")
    big = {f"src/shop/big{n}.py": "x = 1\n" * 70_000 for n in range(3)}  # 420 kB each
    head = repo.commit("shop", {**SHOP, **big})
    git = GitRepo.open(repo.path)
    graph = related.read_graph(git, head, git.tracked_files(head), {".py"})
    assert graph.unknown == {".py": "more than 1 MiB of files to trace imports through"}


@pytest.mark.parametrize("helper", ["tests/conftest.py", "tests/helpers.py"])
def test_attack_a_changed_test_helper_runs_the_tests_that_load_it(
    tmp_path: Path, helper: str
) -> None:
    """A changed ``conftest.py`` or helper module of the tests holds no test: a targeted
    set of just that file ran nothing, where every test loading it can fail."""
    repo = GitRepoBuilder(tmp_path / "shop")
    use = "from helpers import TWO\n" if helper.endswith("helpers.py") else ""
    base = repo.commit("shop", {
        **SHOP, "tests/helpers.py": "TWO = 2\n", "tests/conftest.py": "TWO = 2\n",
        "tests/test_price.py": use + "from shop.orders import price_2\n\n\ndef test_p():\n"
        "    assert price_2(1) == 2\n",
    })  # fmt: skip
    head = repo.commit("helper", {helper: "TWO = 3\n"})
    test_scope, paths, row = scope(tmp_path, repo, base, head)
    assert test_scope == "full" or "tests/test_price.py" in paths, row


def test_attack_a_test_packages_init_loading_the_change_makes_its_tests_related(
    tmp_path: Path,
) -> None:
    """pytest imports ``tests/test_auth.py`` as ``tests.test_auth`` when ``tests`` holds an
    ``__init__.py``, which runs first: what it imports reaches every test of the package."""
    repo = GitRepoBuilder(tmp_path / "shop")
    base = repo.commit("shop", {**SHOP, "tests/__init__.py": "from shop import orders\n"})
    head = repo.commit("orders", {"src/shop/orders.py": "def price_2(x):\n    return x + x\n"})
    test_scope, paths, row = scope(tmp_path, repo, base, head)
    assert test_scope == "full" or "tests/test_auth.py" in paths, row


@pytest.mark.parametrize("spec", ['. "example.com/glob/match"', '_ "example.com/glob/match"',
                                  'm "example.com/glob/match"'])  # fmt: skip
def test_attack_a_go_external_test_package_importing_the_change_is_related(
    tmp_path: Path, spec: str
) -> None:
    """A ``_test`` package in another folder importing the changed one by a dot, a blank or
    an alias name still reaches it."""
    repo = GitRepoBuilder(tmp_path / "glob")
    test = 'package {0}\n\nimport "testing"\n\nfunc Test{0}(t *testing.T) {{}}\n'
    base = repo.commit("glob", {
        "go.mod": "module example.com/glob\n\ngo 1.19\n",
        "match/prefix.go": "package match\n\ntype Prefix struct{}\n",
        "match/prefix_test.go": test.format("match"),
        "other/other.go": "package other\n", "other/other_test.go": test.format("other"),
        "check/check_test.go": f'package check_test\n\nimport (\n\t"testing"\n\t{spec}\n)\n\n'
                               "func TestCheck(t *testing.T) {}\n",
    })  # fmt: skip
    head = repo.commit("Prefix", {"match/prefix.go": "package match\n\n"
                                  "type Prefix struct{ s string }\n"})  # fmt: skip
    test_scope, paths, row = scope(tmp_path, repo, base, head)
    assert test_scope == "full" or "check/check_test.go" in paths, row
