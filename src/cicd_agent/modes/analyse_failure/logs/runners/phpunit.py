"""PHPUnit: ``1) Ns\\FooTest::testX with data set #2 (…)`` after ``There were N failures:``
(each data set is a test of its own); its message is the line below (``Failed asserting …``,
``Error: …``)."""

import re

from cicd_agent.modes.analyse_failure.logs.runners.shape import RunnerShape

SHAPE = RunnerShape(
    "phpunit",
    opens=re.compile(r"^\d+\) [\w\\]+::\w+"),
    verdict=re.compile(
        r"^\d+\) (?P<name>[\w\\]+::\w+(?: with data set (?:#\d+|\"[^\"]*\"))?)"
    ),
    after=re.compile(r"^There (?:was|were) \d+ (?:failure|error|warning|risky test)s?:$"),
    message=re.compile(
        r"^(?P<msg>(?:[\w\\]*(?:Error|Exception|Warning)\b:?|Failed asserting\b).*\S)\s*$"
    ),
)
