"""RSpec: ``  1) Thing does x`` after ``Failures:``; its message is the first line under the
``Failure/Error:`` source line (``expected: false``, or ``NameError:`` with the next line)."""

import re

from cicd_agent.modes.analyse_failure.logs.runners.shape import RunnerShape

SHAPE = RunnerShape(
    "rspec",
    opens=re.compile(r"^\s*\d+\) \S"),
    verdict=re.compile(r"^\s*\d+\) (?P<name>\S.*?)\s*$"),
    after=re.compile(r"^Failures:$"),
    message=re.compile(r"^\s+(?!Failure/Error:|# )(?P<msg>\S(?:.*\S)?)\s*$"),
)
