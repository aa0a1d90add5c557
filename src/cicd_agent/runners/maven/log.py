"""JVM runners: Maven Surefire and Failsafe (``Running x.FooTest`` opens a class's output,
``[ERROR] testX(x.FooTest)  Time elapsed … <<< FAILURE!`` a test's stack trace), Gradle
(``FooTest > testX() FAILED``, and ``STANDARD_OUT`` or ``STANDARD_ERROR`` heading what a test
printed) and the JUnit console launcher (``JUnit Jupiter:FooTest:testX()`` reports). The
runner's ``Results:``, ``Tests run:`` totals and ``BUILD`` lines close them."""

import re

from cicd_agent.runners.shape import FlakySigns, RunnerShape, beside

SHAPE = RunnerShape(
    "junit",
    opens=re.compile(
        r"^(?:\[\w+\] )?(?:Running [\w.$]+$|\S.*<<< (?:FAILURE|ERROR)!$)"
        r"|^\S+ > .+ (?:FAILED|STANDARD_OUT|STANDARD_ERROR)$"
        r"|^\s*JUnit (?:Jupiter|Vintage|Platform Suite):\S"
    ),
    ends=re.compile(
        r"^(?:\[\w+\] )?(?:Results:$|Tests run: \d+, Failures: \d+, Errors: \d+, Skipped: \d+$"
        r"|BUILD (?:SUCCESS|FAILURE|FAILED))|^\s*\[\s*\d+ (?:containers|tests) "
        r"|^\d+ tests completed, \d+ failed"
    ),
    verdict=re.compile(
        r"^\[ERROR\]\s+(?P<name>\w[\w.$]*[.#]\w+)(?::\d+)? "
        r"|^ +JUnit (?:Jupiter|Vintage):(?P<cls>[\w.$]+):(?P<method>[\w$]+)\(.*\)$"
        r"|^(?P<name_gradle>\S+ > .+?) FAILED$"
    ),
    message=re.compile(
        r"^\s*(?:=> )?(?P<msg>[\w.$]*(?:Error|Exception|Failure|Failed)\b:?.*\S)\s*$"
    ),
    headings=("java.test",),
    signatures=beside(__name__),
    flaky=FlakySigns(
        reruns=re.compile(r"\bFlakes: [1-9]|^\[\w+\]\s+Run \d+: PASS\b"),  # surefire
        report_line=re.compile(r"^(?:\[ERROR\]|\s+at )"),
    ),
)
