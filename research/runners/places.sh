#!/bin/sh
# Where a test runner's knowledge lives outside src/cicd_agent/runners/, counted at a git
# revision: sh research/runners/places.sh REV (from the repository's root).
rev=${1:-HEAD}
show() { git show "$rev:src/cicd_agent/$1" 2>/dev/null; }
echo "== $rev"
printf "logs/signatures.toml: rows of one test runner's report: "
show logs/signatures.toml | grep -cE '^name = "(pytest|unittest|jest|vitest|node|test\.cross|mocha|phpunit|go\.test|go\.panic|go\.test_line|cargo\.test|rust\.panic|java\.test|junit)'
printf "logs/flaky.py: regex lines tagged with a runner or plugin with a runner folder: "
show logs/flaky.py | grep -cE '#\s*(pytest|unittest|jest|vitest|go test|TAP|AVA|cargo|Maven|gotestsum|rspec|flaky\b)|pytest-rerunfailures|^\s+r"\^\(\?:\\s\+self'
printf "data/known_tools.toml: test runners' rows: "
show data/known_tools.toml | grep -cE '^name = "(pytest|jest|vitest|go test|cargo test|mvn)"'
printf "modes/gen_tests: lines naming a runner's class, name, module or file shape: "
for f in $(git ls-tree --name-only "$rev" src/cicd_agent/modes/gen_tests/ | grep '\.py$'); do git show "$rev:$f"; done | grep -cE 'CargoTest|GoTest|\bJest\b|Vitest|MavenJUnit|JsRunner|isinstance\(runner, [A-Z]|\.name [!=]= "(pytest|jest|vitest|go test|cargo test)"|"cargo test"|endswith\("\.(go|rs|js|ts)"\)|js_layout|js_script|integration_test_problem|unasserted_test|first_error|NOT_SHUFFLED|RANDOMIZE|go_unasserted|js_unasserted|package_tests|same_package|"#\[test\]"|_SETTINGS = \("package\.json'
printf "sandbox/mounts.py: lines on rustup: "
show sandbox/mounts.py | grep -ciE 'rustup'
