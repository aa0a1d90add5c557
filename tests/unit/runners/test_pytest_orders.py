"""pytest's part of the flaky-test fixer: a donor test's statements moved to the top of another
test (never an assertion, nothing that ends the test early, no name the other test cannot
reach), the patched file parsing; the code a test calls by name; and ``--cicd-order`` running
exactly the chosen tests in the chosen order, in the sandbox."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from cicd_agent.runners.orders import SetUp
from cicd_agent.runners.pytest.orders import PytestOrders
from cicd_agent.runners.pytest.set_up import set_up_of, with_set_up
from cicd_agent.runners.table import TABLE
from tests.git_builder import GitRepoBuilder

DONOR = '''\
import os
from app import config
from .helpers import local_thing

LIMIT = 3


def test_cleaner(tmp_path):
    """Resets the mode."""
    config.reset()
    assert config.SETTINGS == {}
    os.environ.pop("MODE", None)
    config.limit(LIMIT)
    local_thing()
    (tmp_path / "x").write_text("")
    if config.ready():
        return
    pytest.skip("not here")
    sys.exit(0)
'''
VICTIM = '''\
from app.config import describe


def test_victim():
    """It reads the mode."""
    assert describe() == "running normally"
'''


def test_only_a_donors_statements_the_victim_can_run_are_moved_with_their_imports() -> None:
    moved = set_up_of({"tests/test_a.py": DONOR, "tests/test_b.py": VICTIM},
                      "tests/test_a.py::test_cleaner", "tests/test_b.py::test_victim")  # fmt: skip
    assert moved.statements == ("config.reset()", 'os.environ.pop("MODE", None)')
    assert moved.imports == ("from app import config", "import os")
    # not: the assertion, a name of the donor's own file (LIMIT), a relative import, a fixture
    # the victim does not take (tmp_path), a return, a skip, an exit


def test_the_patched_victim_runs_them_first_and_still_parses() -> None:
    moved = SetUp("tests/test_a.py::test_cleaner", ("config.reset()", "x = [\n    1,\n]"),
                  ("from app import config",))  # fmt: skip
    patched = with_set_up(VICTIM, "tests/test_b.py::test_victim", moved, {0, 1})
    ast.parse(patched)
    lines = patched.splitlines()
    at = lines.index('    """It reads the mode."""')
    assert lines[at + 1].startswith("    # set-up moved from tests/test_a.py::test_cleaner")
    assert lines[at + 2 : at + 7] == ["    from app import config", "    config.reset()",
                                      "    x = [", "        1,", "    ]"]  # fmt: skip
    only_first = with_set_up(VICTIM, "tests/test_b.py::test_victim", moved, {0})
    assert "x = [" not in only_first and "config.reset()" in only_first


def test_a_method_donor_in_another_class_gives_no_self_statement() -> None:
    text = ("class TestA:\n    def test_clean(self):\n        self.db.clear()\n        reset()\n\n"
            "class TestB:\n    def test_victim(self):\n        assert run()\n")  # fmt: skip
    moved = set_up_of({"tests/test_c.py": text}, "tests/test_c.py::TestA::test_clean",
                      "tests/test_c.py::TestB::test_victim")  # fmt: skip
    assert moved.statements == ("reset()",)


def test_an_attack_a_donor_id_with_a_newline_stays_in_its_comment() -> None:
    moved = SetUp("tests/test_a.py::test_x[a\nimport os; os.system('id')]", ("reset()",))
    patched = with_set_up(VICTIM, "tests/test_b.py::test_victim", moved, {0})
    assert "\nimport os" not in patched and "    import os" not in patched
    tree = ast.parse(patched)
    assert [type(node).__name__ for node in ast.walk(tree) if isinstance(node, ast.Import)] == []


def test_the_code_a_test_calls_by_name_is_found_outside_the_tests(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "config.py").write_text(
        "def describe():\n    x = 1\n    return x\n\n\ndef other():\n    return 2\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_b.py").write_text(VICTIM)
    found = PytestOrders().under_test(tmp_path, "tests/test_b.py::test_victim")
    assert found == {"app/config.py": frozenset({2, 3})}


def test_chosen_tests_run_in_the_chosen_order_each_once(tmp_path: Path) -> None:
    """The ids go in a file, never on the command line; a test not named does not run."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {"tests/test_o.py": (
        "SEEN = []\n\n\ndef test_a():\n    SEEN.append('a')\n\n\n"
        "def test_b():\n    assert SEEN == []\n\n\ndef test_c():\n    pass\n")})
    orders = next(row.in_order for row in TABLE if row.in_order is not None)
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    command = orders.command([sys.executable, "-m", "pytest", "-q"])
    assert command is not None and orders.command(["go", "test"]) is None
    with orders.sandbox(repo.path, environ) as sandbox:
        space = sandbox.workspace("t")
        argv = [*command, *orders.in_order(space, ["tests/test_o.py::test_b",
                                                    "tests/test_o.py::test_a"])]  # fmt: skip
        assert not any("::" in word for word in argv)
        said, why = orders.read(*sandbox.session(argv, space, timeout=120))
        assert said is not None, why
        assert list(said.tests.items()) == [("tests/test_o.py::test_b", "passed"),
                                            ("tests/test_o.py::test_a", "passed")]  # fmt: skip
        space = sandbox.workspace("t")
        argv = [*command, *orders.in_order(space, ["tests/test_o.py::test_a",
                                                    "tests/test_o.py::test_b"])]  # fmt: skip
        said, why = orders.read(*sandbox.session(argv, space, timeout=120))
        assert said is not None and said.tests["tests/test_o.py::test_b"] == "failed", why


def test_a_function_a_package_re_exports_is_followed_to_its_own_module(tmp_path: Path) -> None:
    """``import app as dc`` then ``dc.query()``, ``query`` defined in ``app/q.py`` and only
    imported by ``app/__init__.py`` (seen on IDoFT's datacommons: no mutant before)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("from app.q import query\n")
    (tmp_path / "app" / "q.py").write_text("def query(text):\n    return text.upper()\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_q.py").write_text(
        "import app as dc\n\n\ndef test_q():\n    assert dc.query('a') == 'A'\n")
    found = PytestOrders().under_test(tmp_path, "tests/test_q.py::test_q")
    assert found == {"app/q.py": frozenset({2})}
