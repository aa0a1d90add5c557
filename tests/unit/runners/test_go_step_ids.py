"""A plain ``go test`` log names a failed test without its package (``--- FAIL: TestX``); the
package's closing line names the package, and together they are the test step's id."""

from __future__ import annotations

from cicd_agent.runners.go.log import SHAPE as GO_SHAPE
from cicd_agent.runners.shapes import LOG_SHAPES


def test_a_go_log_names_each_failed_test_by_its_package_s_closing_line() -> None:
    """go prints each package's output whole, closed by ``FAIL``/``ok`` and its path; a bare
    ``FAIL`` closes the run and names none; a test no package line closes gets no id."""
    shape = GO_SHAPE  # cargo's shape names its tests' targets too
    assert shape in LOG_SHAPES
    assert shape.step_ids is not None and shape.step_parents is not None
    lines = [
        "--- FAIL: TestA (0.00s)", "    a_test.go:3: no", "FAIL", "FAIL\texample.com/m\t0.01s",
        "--- FAIL: TestA (0.00s)", "    --- FAIL: TestB/case (0.00s)", "FAIL",
        "FAIL\texample.com/m/sub [build failed]", "ok  \texample.com/m/fine\t(cached)",
        "--- FAIL: TestLost (0.00s)", "FAIL",
    ]  # fmt: skip
    assert shape.step_ids(lines) == {
        "TestA": ("example.com/m.TestA", "example.com/m/sub.TestA"),
        "TestB/case": ("example.com/m/sub.TestB/case",),
    }
    assert shape.step_parents("example.com/m/sub.TestB/case/deep") == (
        "example.com/m/sub.TestB", "example.com/m/sub.TestB/case")  # fmt: skip
