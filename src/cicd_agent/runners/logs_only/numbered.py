"""mocha's numbered reports (``  1) suite``) after ``N failing``. The numbered reports of RSpec
(``Failures:``) and PHPUnit (``There was 1 failure:``) are spans of this shape too, with their
verdicts in ``rspec`` and ``phpunit``; ``Finished in``, ``Failed examples:``, ``FAILURES!``
close them. A verdict names the test by its title, not the report's number: mocha prints its
suites and title one per line, indented, the last ending in ``:``. mocha's
``AssertionError`` (``node:assert``'s, chai's) opens what the assertion compared."""

import re

from cicd_agent.runners.shape import EXPECTATION, FlakySigns, RunnerShape, beside

SHAPE = RunnerShape(
    "numbered",
    opens=re.compile(r"^\s*\d+\) \S|^\s+\d+ failing$"),
    ends=re.compile(r"^(?:Finished in |Failed examples:|FAILURES!|ERRORS!|Tests: \d+)"),
    verdict=re.compile(r"^ {2}\d+\) (?P<name>\S.*?):?$"),
    title=re.compile(r"^ {5,}(?P<name>\S.*?)(?P<last>:)?$"),
    after=re.compile(r"^\s+\d+ failing$"),
    asserts=EXPECTATION,
    headings=("mocha.failure",),
    signatures=beside(__name__),
    flaky=FlakySigns(  # mocha
        timed_out=re.compile(r"Timeout of \d+ ?ms exceeded"),
        failed_test=(re.compile(r"^ {2}\d+\) (?P<name>\S.*?):?$"),),
        name_goes_on=re.compile(r"^ {5,}(?P<name>\S.*?)(?P<last>:)?$"),
    ),
)
