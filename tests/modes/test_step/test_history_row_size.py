"""A history row's size, as docs/modes/test-step.md states it: the test step writing a push's
row for 30 and for 300 tests (names of 75 characters, as a suite nested in packages and classes
has), its bytes per run and per test read back from the page, so page and row cannot drift
apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.history_rows import page_claim
from tests.modes.test_step.test_test_step_cli import KEY, _step

CLASS = "class TestBasketTotals:\n" + "".join(
    f"    def test_case_number_{n:03}(self):\n        assert {n % 7}\n\n" for n in range(300)
)


def _row_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tests: int) -> int:
    """The bytes of the row the step adds for a push of ``tests`` tests."""
    source = CLASS.split("    def ")
    suite = "    def ".join(source[: tests + 1])
    code, said, store = _step(
        tmp_path, "push", monkeypatch, settings="",
        tests={"tests/unit/shop/test_checkout_basket.py": suite},
    )  # fmt: skip
    assert code in (0, 1), said  # 1: every seventh test fails, as a red run records them
    *_, row = store.read_bytes().splitlines(keepends=True)
    assert KEY.encode() in row and row.count(b"test_case_number_") >= tests
    return len(row)


def test_a_rows_size_is_what_the_page_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    per_run, per_test = page_claim()
    small = _row_bytes(tmp_path / "30", monkeypatch, 30)
    large = _row_bytes(tmp_path / "300", monkeypatch, 300)
    measured_test = (large - small) / 270
    measured_run = small - 30 * measured_test
    print(f"30 tests: {small} B, 300 tests: {large} B, {measured_test:.1f} B a test, "
          f"{measured_run:.0f} B a run")  # fmt: skip
    assert abs(measured_test - per_test) <= 0.1 * per_test, measured_test
    assert abs(measured_run - per_run) <= 0.25 * per_run, measured_run
