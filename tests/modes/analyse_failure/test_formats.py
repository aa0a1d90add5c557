"""Tools the corpus cannot run on this machine (no Go, Gradle, Docker daemon, Poetry, Yarn):
their output as those tools print it, wrapped in a runner step, must still be classified
and keep its error line in the excerpt. The corpus covers the tools that can run here.
"""

from __future__ import annotations

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from tests.corpus.runner_log import Job, Step, render
from tests.modes.analyse_failure.job_logs import job_log

GO_BUILD = """\
go: downloading github.com/stretchr/testify v1.9.0
# example.com/shop/cart
cart/total.go:14:9: undefined: discountRate
cart/total.go:21:2: declared and not used: tmp
"""
GO_TEST = """\
=== RUN   TestTotal
--- PASS: TestTotal (0.00s)
=== RUN   TestDiscount
    total_test.go:27: Discount(100) = 90; want 85
--- FAIL: TestDiscount (0.00s)
FAIL
FAIL\texample.com/shop/cart\t0.004s
FAIL
"""
GO_MOD = """\
go: downloading example.com/internal/auth v1.4.2
go: example.com/internal/auth@v1.4.2: reading https://proxy.golang.org/example.com/internal/auth/@v/v1.4.2.mod: 404 Not Found
\tserver response: not found: example.com/internal/auth@v1.4.2: invalid version: unknown revision v1.4.2
"""  # noqa: E501
GRADLE = """\
> Task :compileJava FAILED
/home/runner/work/app/app/src/main/java/shop/Cart.java:12: error: cannot find symbol
        return total * discountRate;
                       ^
  symbol:   variable discountRate
  location: class Cart
1 error

FAILURE: Build failed with an exception.

* What went wrong:
Execution failed for task ':compileJava'.
> Compilation failed; see the compiler error output for details.

BUILD FAILED in 3s
"""
GRADLE_TEST = """\
> Task :test FAILED

CartTest > appliesDiscount() FAILED
    org.opentest4j.AssertionFailedError: expected: <85> but was: <90>
        at app//shop.CartTest.appliesDiscount(CartTest.java:18)

3 tests completed, 1 failed

FAILURE: Build failed with an exception.

* What went wrong:
Execution failed for task ':test'.
> There were failing tests. See the report at: file:///home/runner/work/app/app/build/reports/tests/test/index.html
"""
DOCKER = """\
#0 building with "default" instance using docker driver
#5 [2/4] WORKDIR /app
#5 DONE 0.0s
#6 [3/4] COPY requirements.txt .
#6 DONE 0.0s
#7 [4/4] RUN pip install --no-cache-dir -r requirements.txt
#7 1.482 ERROR: Could not find a version that satisfies the requirement flask==9.9.9 (from versions: 0.1, 3.0.3)
#7 1.483 ERROR: No matching distribution found for flask==9.9.9
#7 ERROR: process "/bin/sh -c pip install --no-cache-dir -r requirements.txt" did not complete successfully: exit code: 1
------
 > [4/4] RUN pip install --no-cache-dir -r requirements.txt:
1.482 ERROR: Could not find a version that satisfies the requirement flask==9.9.9 (from versions: 0.1, 3.0.3)
------
Dockerfile:4
--------------------
   2 |     WORKDIR /app
   3 |     COPY requirements.txt .
   4 | >>> RUN pip install --no-cache-dir -r requirements.txt
--------------------
ERROR: failed to solve: process "/bin/sh -c pip install --no-cache-dir -r requirements.txt" did not complete successfully: exit code: 1
"""  # noqa: E501
DOCKER_MAKE = """\
#8 [4/4] RUN make build
#8 0.311 make: *** [Makefile:3: build] Error 2
#8 ERROR: process "/bin/sh -c make build" did not complete successfully: exit code: 2
ERROR: failed to solve: process "/bin/sh -c make build" did not complete successfully: exit code: 2
"""
POETRY = """\
Installing dependencies from lock file
Updating dependencies
Resolving dependencies...

Because shop depends on requests (^99.0) which doesn't match any versions, version solving failed.
"""
YARN = """\
yarn install v1.22.22
[1/4] Resolving packages...
error Couldn't find package "left-padx@^1.3.0" required by "shop@1.0.0" on the "npm" registry.
info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.
"""
NPM_404 = """\
npm error code E404
npm error 404 Not Found - GET https://registry.npmjs.org/left-padx - Not found
npm error 404
npm error 404  'left-padx@^1.3.0' is not in this registry.
npm error A complete log of this run can be found in: /home/runner/.npm/_logs/x-debug-0.log
"""
MOCHA = """\
  cart
    ✔ totals items
    1) applies discount


  1 passing (8ms)
  1 failing

  1) cart
       applies discount:
     AssertionError [ERR_ASSERTION]: 90 == 85
      at Context.<anonymous> (test/cart.test.js:12:12)
"""
CLIPPY = """\
    Checking shop v0.1.0 (/home/runner/work/app/app)
error: this comparison involving the minimum or maximum element for this type contains a case that is always true or always false
 --> src/cart.rs:8:8
  |
8 |     if total >= 0 {
  |        ^^^^^^^^^^
  |
  = help: because `0` is the minimum value for this type, this comparison is always true
  = note: `#[deny(clippy::absurd_extreme_comparisons)]` on by default

error: could not compile `shop` (lib) due to 1 previous error
"""  # noqa: E501
STEP_TIMEOUT = """\
Waiting for the database to accept connections...
Waiting for the database to accept connections...
"""


@pytest.mark.parametrize(
    ("command", "output", "code", "expected", "line"),
    [
        ("go build ./...", GO_BUILD, 1, FailureType.BUILD_ERROR, "undefined: discountRate"),
        ("go test ./...", GO_TEST, 1, FailureType.TEST_FAILURE, "--- FAIL: TestDiscount (0.00s)"),
        ("go mod download", GO_MOD, 1, FailureType.DEPENDENCY_ERROR, "404 Not Found"),
        ("./gradlew build", GRADLE, 1, FailureType.BUILD_ERROR, "Cart.java:12: error: cannot find symbol"),
        ("./gradlew test", GRADLE_TEST, 1, FailureType.TEST_FAILURE, "CartTest > appliesDiscount() FAILED"),
        ("docker build .", DOCKER, 1, FailureType.DEPENDENCY_ERROR, "No matching distribution found"),
        ("docker build .", DOCKER_MAKE, 1, FailureType.BUILD_ERROR, "did not complete successfully"),
        ("poetry install", POETRY, 1, FailureType.DEPENDENCY_ERROR, "version solving failed"),
        ("yarn install", YARN, 1, FailureType.DEPENDENCY_ERROR, "Couldn't find package"),
        ("npm install", NPM_404, 1, FailureType.DEPENDENCY_ERROR, "npm error code E404"),
        ("npx mocha", MOCHA, 1, FailureType.TEST_FAILURE, "AssertionError [ERR_ASSERTION]: 90 == 85"),
        ("cargo clippy -- -D warnings", CLIPPY, 101, FailureType.LINT_ERROR, "error: this comparison"),
    ],
)  # fmt: skip
def test_tools_that_cannot_run_here(
    command: str, output: str, code: int, expected: FailureType, line: str
) -> None:
    step = Step("Run", run=command, output=output.encode(), exit_code=code)
    analysis = analyse_scans(scan_jobs([job_log("ci", render(Job("ci", [step]))[0])]))
    assert analysis.failure_type is expected, analysis.root_cause
    assert line in analysis.excerpt


def test_a_step_timeout_is_a_timeout() -> None:
    message = "The action 'Wait for database' has timed out after 5 minutes."
    step = Step("Wait", run="./wait-for-db.sh", output=STEP_TIMEOUT.encode(),
                runner_errors=(message,))  # fmt: skip
    analysis = analyse_scans(scan_jobs([job_log("ci", render(Job("ci", [step]))[0])]))
    assert analysis.failure_type is FailureType.TIMEOUT
    assert analysis.root_cause == f"##[error]{message}"
