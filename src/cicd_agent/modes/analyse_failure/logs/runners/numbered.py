"""mocha, RSpec and PHPUnit: numbered reports (``  1) suite``, ``  1) Thing does x``,
``1) FooTest::testX``) after ``N failing``, ``Failures:``, ``There was 1 failure:``;
``Finished in``, ``Failed examples:``, ``FAILURES!`` close them."""

import re

from cicd_agent.modes.analyse_failure.logs.runners.shape import RunnerShape

SHAPE = RunnerShape(
    "numbered",
    opens=re.compile(r"^\s*\d+\) \S|^\s+\d+ failing$"),
    ends=re.compile(r"^(?:Finished in |Failed examples:|FAILURES!|ERRORS!|Tests: \d+)"),
    verdict=re.compile(r"^ {2}(?P<name>\d+\) \S.*?):?$|^\d+\) (?P<name2>[\w\\]+::\w+)"),
    after=re.compile(r"^\s+\d+ failing$|^There (?:was|were) \d+ (?:failure|error)s?:$"),
)
