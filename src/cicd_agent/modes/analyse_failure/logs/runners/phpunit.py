"""PHPUnit: what tests print comes between its header (``PHPUnit 10.5.0 by Sebastian Bergmann
and contributors.``) and its ``Time: …, Memory: …`` line, mixed with the progress dots; the
numbered failure reports after it are :mod:`.numbered`'s."""

import re

from cicd_agent.modes.analyse_failure.logs.runners.shape import RunnerShape

SHAPE = RunnerShape(
    "phpunit",
    opens=re.compile(r"^PHPUnit \d+\.\d+\S* by Sebastian Bergmann"),
    ends=re.compile(r"^Time: \d"),
)
