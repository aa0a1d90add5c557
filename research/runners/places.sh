#!/bin/sh
# Where a test runner's knowledge lives outside src/cicd_agent/runners/: one count per place.
cd "$(dirname "$0")/../.." || exit 1
S=src/cicd_agent
echo "signatures.toml runner signatures (pytest/unittest/jest/vitest/node/test.cross/mocha/phpunit/go/cargo/rust/java/junit/test.other):"
grep -cE '^name = "(pytest|unittest|jest|vitest|node|test\.cross|test\.other|mocha|phpunit|go\.test|go\.panic|go\.test_line|cargo\.test|rust\.panic|java\.test|junit)' $S/logs/signatures.toml
echo "flaky.py per-runner comment tags (# pytest, # jest, # go test ...):"
grep -cE '#\s*(pytest|unittest|jest|vitest|go test|TAP|AVA|cargo|Maven|gotestsum|rspec|flaky|Playwright|Cypress|Test::More)' $S/logs/flaky.py
echo "known_tools.toml test-runner entries:"
grep -cE '^name = "(pytest|jest|vitest|go test|cargo test|mvn)"' $S/data/known_tools.toml
echo "gen_tests runner special cases (names, classes, suffixes, js_layout/js_script, cargo's own stages):"
grep -nE 'CargoTest|JsRunner|isinstance\(runner|\.name [!=]= "|"cargo test"|endswith\("\.go"\)|js_layout\.|js_script\.|integration_test_problem|unasserted_test|first_error|NOT_SHUFFLED|RANDOMIZE|installed\(|go_unasserted|js_unasserted|package_tests|same_package|"#\[test\]"' $S/modes/gen_tests/*.py | wc -l
echo "sandbox/mounts.py rustup lines:"
grep -ciE 'rustup' $S/sandbox/mounts.py
