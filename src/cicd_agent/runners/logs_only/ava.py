"""AVA: ``✘ [fail]: title message`` names a failed test; its report follows below."""

import re

from cicd_agent.runners.shape import FlakySigns, RunnerShape, beside

SHAPE = RunnerShape(
    "ava",
    opens=re.compile(r"^\s*✘ (?:\[fail\]: )?\S"),
    ends=re.compile(r"^\s*─$|^\s*\d+ tests? failed$"),
    verdict=re.compile(r"^\s*✘ (?:\[fail\]: )?(?P<name>\S(?:.*\S)?)\s*$"),
    headings=("test.cross",),
    signatures=beside(__name__),
    flaky=FlakySigns(failed_test=(re.compile(r"^\s*✘ (?:\[fail\]: )?(?P<name>\S(?:.*\S)?)\s*$"),)),
)
