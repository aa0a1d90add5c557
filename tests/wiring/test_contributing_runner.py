"""CONTRIBUTING's worked example of adding a test runner stays true: its folder
(``runners/dotnet/``), written from the text into a copy of the package with its row added
to ``TABLE``, is picked up everywhere a runner is: the table, a failed step's command, a
touched file's tests, "could not run" without the tool, a failed log read by its shape and
typed by its own signature row, the test step's retry of the failed tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from cicd_agent.modes.analyse_failure.logs.runner_reports import failing_tests
from tests.harness.payloads import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
SECTION = re.compile(r"## Worked example: adding a test runner\n(.*?)\n## ", re.DOTALL)
FILE = re.compile(r"\*\*src/cicd_agent/(runners/dotnet/[\w\\]+\.(?:py|toml))\*\*[^\n]*\n"
                  r"(?:[^\n]+\n)*?\n```(?:python|toml)\n(.*?)```", re.DOTALL)  # fmt: skip
ROW = re.compile(r"```python\n(    Row\(DOTNET.*?\),)\n```", re.DOTALL)
"""The runner's row of the table, as CONTRIBUTING gives it."""
SHAPE_LINE = re.compile(r"```python\n(    dotnet_log\.SHAPE,)\n```")
"""The runner's line of ``RUN_SHAPES``, as CONTRIBUTING gives it."""
SAMPLE = """\
Starting test execution, please wait...
A total of 1 test files matched the specified pattern.
  Failed Calc.Tests.AddTests.AddsTwoNumbers [4 ms]
  Error Message:
   Assert.Equal() Failure: Values differ
Expected: 5
Actual:   -1
  Stack Trace:
     at Calc.Tests.AddTests.AddsTwoNumbers() in /src/Calc.Tests/AddTests.cs:line 9

Failed!  - Failed:     1, Passed:     2, Skipped:     0, Total:     3, Duration: 7 ms
"""
CHECK = """
import sys
from pathlib import Path
from cicd_agent.modes.analyse_failure.logs.runner_reports import failing_tests
from cicd_agent.modes.analyse_failure.logs.signatures import Matcher
from cicd_agent.modes.analyse_failure.logs.test_messages import with_message
from cicd_agent.runners.lookups import for_file, running
from cicd_agent.runners.shapes import LOG_SHAPES
from cicd_agent.runners.table import TABLE
from cicd_agent.runners.dotnet import log as dotnet_log
from cicd_agent.runners.dotnet.runner import DotnetTest
from cicd_agent.modes.test_step.attempts import runner_of

row = TABLE[-1]
runner = row.runner
assert isinstance(runner, DotnetTest) and dotnet_log.SHAPE in LOG_SHAPES
assert isinstance(running("dotnet test --no-build"), DotnetTest)
said = for_file("src/Calc/Add.cs", Path.cwd(), {"PATH": "/nonexistent"})
assert said == "no tests were run: dotnet test could not run: install dotnet before this step", said

lines = sys.stdin.read().splitlines()
assert failing_tests(lines) == ("Calc.Tests.AddTests.AddsTwoNumbers",), failing_tests(lines)
numbered = list(enumerate(lines, start=1))
verdict = next(number for number, text in numbered if "Failed Calc" in text)
message = with_message(lines[verdict - 1].strip(), verdict, numbered)
assert message.endswith("- Assert.Equal() Failure: Values differ"), message
hit = Matcher().match(lines[verdict - 1], full=True)
assert hit is not None and hit.signature.name == "dotnet.failed", hit

assert runner_of(["dotnet", "test", "Calc.sln"]) is row
step = Path("step")
assert runner.step_command(["dotnet", "test"], step, failed=None) == [
    "dotnet", "test", "--logger", "junit;LogFilePath=step/report.xml"]
assert runner.step_command(["dotnet", "test"], step, failed=["A.B.c", "A.B.d"])[2:4] == [
    "--filter", "FullyQualifiedName=A.B.c|FullyQualifiedName=A.B.d"]
assert runner.step_command(["pytest"], step, failed=None) is None

tests = ["tests/Calc.Tests/AddTests.cs", "tests/Other.Tests/SubTests.cs"]
assert runner.tests_of("src/Calc/Add.cs", tests) == ("tests/Calc.Tests/AddTests.cs",)
assert row.tests is None and row.repeats is None
print("picked up")
"""


def test_the_worked_example_of_a_runner_is_picked_up(tmp_path: Path) -> None:
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = SECTION.search(text)
    assert section, "CONTRIBUTING lost its worked example of adding a test runner"
    files = {path.replace("\\", ""): text for path, text in FILE.findall(section.group(1))}
    assert sorted(files) == ["runners/dotnet/__init__.py", "runners/dotnet/log.py",
                             "runners/dotnet/log.toml", "runners/dotnet/runner.py"]
    copy = tmp_path / "src" / "cicd_agent"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "runners" / "dotnet").mkdir()
    for path, source in files.items():
        (copy / path).write_text(source, encoding="utf-8")
    row = ROW.search(section.group(1))
    assert row, "CONTRIBUTING lost the runner's row of the table"
    table = copy / "runners" / "table.py"
    source = table.read_text(encoding="utf-8")
    assert "\nTABLE: tuple" in source, "TABLE is no longer one tuple"
    head, tail = source.split("\nTABLE: tuple", 1)
    table.write_text(
        head.replace("from __future__ import annotations\n",
                     "from __future__ import annotations\n\n"
                     "from cicd_agent.runners.dotnet.runner import DotnetTest\n", 1)
        + "\nDOTNET = DotnetTest()\nTABLE: tuple"
        + tail.replace("\n)", f"\n{row.group(1)}\n)", 1),
        encoding="utf-8",
    )  # fmt: skip
    line = SHAPE_LINE.search(section.group(1))
    assert line, "CONTRIBUTING lost the runner's line of RUN_SHAPES"
    shapes = copy / "runners" / "shapes.py"
    source = shapes.read_text(encoding="utf-8")
    assert "\nRUN_SHAPES: tuple" in source, "RUN_SHAPES is no longer one tuple"
    head, tail = source.split("\nRUN_SHAPES: tuple", 1)
    shapes.write_text(
        head.replace("from __future__ import annotations\n",
                     "from __future__ import annotations\n\n"
                     "from cicd_agent.runners.dotnet import log as dotnet_log\n", 1)
        + "\nRUN_SHAPES: tuple" + tail.replace("\n)", f"\n{line.group(1)}\n)", 1),
        encoding="utf-8",
    )  # fmt: skip
    environ = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    done = subprocess.run([sys.executable, "-c", CHECK], env=environ, input=SAMPLE,
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert done.stdout.strip() == "picked up", done.stderr[-2000:]
    # The folder passes the project's linter as written, with the project's own settings.
    linted = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--config",
         str(REPO_ROOT / "pyproject.toml"), str(copy / "runners" / "dotnet")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert linted.returncode == 0, linted.stdout[-2000:]


def test_without_the_folder_the_sample_log_names_no_failing_test() -> None:
    """What the example's shape adds: the package as it is reads no failing test in it."""
    assert failing_tests(SAMPLE.splitlines()) == ()
