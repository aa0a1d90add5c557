"""``--fix-flaky`` measures a ``unittest.TestCase`` method's rate over as many reruns alone as a
plain test function's. A new user's trial (cachetools, whose tests are all TestCase methods)
got "failed 0 of 1 rerun(s) alone" for a test that fails about 40 % of its runs, where the same
test written as a function got "9 of 20": the repeat made each rerun a fresh pytest function
item, and a TestCase method's item is another kind, which was run once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.modes.test_step.test_flaky_fixes import _step

RANDOM_CASE = """\
import os
import unittest


class SharedCacheTest(unittest.TestCase):
    def test_sometimes(self):
        self.assertNotEqual(os.urandom(1)[0] % 4, 0)

    def test_fine(self):
        self.assertTrue(True)
"""


def test_a_testcase_method_is_rerun_alone_as_often_as_a_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, document, _ = _step(tmp_path, monkeypatch, {"tests/test_r.py": RANDOM_CASE},
                           flaky_before="tests.test_r.SharedCacheTest.test_sometimes")  # fmt: skip
    (fixed,) = document["flaky_fixes"]
    assert fixed["test"] == "tests/test_r.py::SharedCacheTest::test_sometimes"
    assert fixed["kind"] == "not-order-dependent", fixed
    assert fixed["runs_before"]["runs"] == 20, fixed
    assert "of 20 rerun(s) alone" in fixed["evidence"], fixed["evidence"]
