"""RSpec: its progress (dots, and what the examples print among them) has no header, so it
runs from the step's first line to the ``Pending:``, ``Failures:`` or ``Finished in`` line that
follows it. ``  1) Thing does x`` after ``Failures:`` names a failing example; its message is
the first line under the ``Failure/Error:`` source line (``expected: false``, or ``NameError:``
with the next line). An expectation's ``Failure/Error: expect(…)`` opens what it compared
(mocha's numbered reports read as these too: ``node:assert``'s message)."""

import re

from cicd_agent.runners.shape import EXPECTATION, FlakySigns, RunnerShape

SHAPE = RunnerShape(
    "rspec",
    opens=re.compile(r"^\s*\d+\) \S"),
    output_first=re.compile(
        r"^(?:Pending: \(|Failures:$|Finished in \d[\d.]* (?:seconds?|minutes?)\b)"
    ),
    verdict=re.compile(r"^\s*\d+\) (?P<name>\S.*?)\s*$"),
    after=re.compile(r"^Failures:$"),
    message=re.compile(r"^\s+(?!Failure/Error:|# )(?P<msg>\S(?:.*\S)?)\s*$"),
    asserts=EXPECTATION,
    headings=("test.other",),
    flaky=FlakySigns(reruns=re.compile(r"RSpec::Retry: \d+\w* Try")),  # rspec-retry
)
