"""PHPUnit: what tests print comes between its header (``PHPUnit 10.5.0 by Sebastian Bergmann
and contributors.``) and its ``Time: …, Memory: …`` line, mixed with the progress dots. Below
it, ``1) Ns\\FooTest::testX with data set #2 (…)`` after ``There were N failures:`` names a
failing test (each data set is a test of its own); its message is the line below (``Failed
asserting …``, ``Error: …``)."""

import re

from cicd_agent.runners.shape import RunnerShape, beside

SHAPE = RunnerShape(
    "phpunit",
    opens=re.compile(r"^(?:PHPUnit \d+\.\d+\S* by Sebastian Bergmann|\d+\) [\w\\]+::\w+)"),
    ends=re.compile(r"^Time: \d"),
    verdict=re.compile(r"^\d+\) (?P<name>[\w\\]+::\w+(?: with data set (?:#\d+|\"[^\"]*\"))?)"),
    after=re.compile(r"^There (?:was|were) \d+ (?:failure|error|warning|risky test)s?:$"),
    message=re.compile(
        r"^(?P<msg>(?:[\w\\]*(?:Error|Exception|Warning)\b:?|Failed asserting\b).*\S)\s*$"
    ),
    headings=("phpunit.failure",),
    signatures=beside(__name__),
)
