"""Files a pull request controls that load the changed module in a way the import reader
does not see as an import: the targeted set must still hold the test, or the scope be full."""

from __future__ import annotations

from pathlib import Path

import pytest

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
