"""Signatures, second part: dependencies, compilers, type checkers, linters, test details and the
generic shapes that rank a line without classifying it.

Part of ``signatures.SIGNATURES``, after ``signatures_verdicts``: order matters, as a line
takes the first signature that matches it (a ``SyntaxError`` before any Python exception, the
generic shapes last).
"""

from __future__ import annotations

from cicd_agent.analysis.logs.model import FailureType
from cicd_agent.modes.analyse_failure.logs.signature import Signature
from cicd_agent.modes.analyse_failure.logs.signature import sig as _sig

T = FailureType

_GOLANGCI_LINTERS = (
    "errcheck|govet|staticcheck|unused|gosimple|ineffassign|revive|gofmt|goimports|misspell"
    "|gocritic|stylecheck|unparam"
)
"""The linters whose ``(name)`` ends a golangci-lint line: ``golangci.issue`` claims those lines
and ``go.build`` must leave them, so both read this one list."""

TOOL_SIGNATURES: tuple[Signature, ...] = (
    # --- dependencies --------------------------------------------------------------------------
    _sig("pip.resolution", T.DEPENDENCY_ERROR, 90,
         r"ERROR: (?:Could not find a version that satisfies the requirement"
         r"|No matching distribution found for|Cannot install .* conflicting dependencies"
         r"|ResolutionImpossible|Failed building wheel for|Failed to build |Invalid requirement"
         r"|THESE PACKAGES DO NOT MATCH THE HASHES)"
         r"|Failed to build installable wheels|error: subprocess-exited-with-error"
         r"|× No solution found when resolving|No solution found when resolving dependencies"
         r"|error: Failed to (?:prepare|download|build) distributions?",
         ("ERROR:", "Failed to build", "subprocess-exited", "No solution found", "error:"),
         "ERROR: Could not find a version that satisfies the requirement nonexistent-pkg==99 "
         "(from versions: none)",
         "ERROR: Cannot install demo-app==1.0 and demo-lib==1.0 because these package versions "
         "have conflicting dependencies.", before=1, after=4),
    _sig("poetry.resolution", T.DEPENDENCY_ERROR, 90,
         r"SolverProblemError|version solving failed|pyproject\.toml changed significantly"
         r"|poetry\.lock is not consistent|which doesn't match any versions",
         ("SolverProblemError", "version solving failed", "changed significantly",
          "not consistent", "doesn't match any versions"),
         "Because demo depends on requests (^99.0) which doesn't match any versions, version "
         "solving failed.", before=1, after=3),
    _sig("js.resolution", T.DEPENDENCY_ERROR, 90,
         r"npm (?:ERR!|error) (?:code (?:ERESOLVE|E404|ETARGET|EINTEGRITY|ENOVERSIONS"
         r"|ELOCKVERIFY)|notarget|404 |ERESOLVE)"
         r"|error Couldn't find package|error An unexpected error occurred: .*(?:404|Not found)"
         r"|YN00(?:01|02|35|28|60)|lockfile would have been modified|lockfile needs to be updated"
         r"|ERR_PNPM_\w+",
         ("npm ERR!", "npm error", "Couldn't find package", "unexpected error occurred", "YN00",
          "lockfile", "ERR_PNPM_"),
         "npm error code ERESOLVE", "npm ERR! 404 Not Found - GET "
         "https://registry.npmjs.org/left-padd - Not found",
         "ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\"",
         before=0, after=6),
    _sig("js.module_local", T.BUILD_ERROR, 90,
         r"Cannot find module '[./][^']*'|Module not found: Error: Can't resolve '[./]"
         r"|Failed to resolve import \"[./]",
         ("Cannot find module", "Can't resolve", "Failed to resolve import"),
         "Error: Cannot find module './utils'", before=1, after=3),
    _sig("js.module_missing", T.DEPENDENCY_ERROR, 90,
         r"Cannot find (?:module|package) '[^']+'|Module not found: Error: Can't resolve"
         r"|Failed to resolve import",
         ("Cannot find module", "Cannot find package", "Can't resolve", "Failed to resolve import"),
         "Error: Cannot find module 'lodash'", before=1, after=3),
    _sig("cargo.resolution", T.DEPENDENCY_ERROR, 90,
         r"error: (?:no matching package (?:named|found)|failed to select a version for"
         r"|failed to get `|failed to load source for dependency|failed to download"
         r"|the lock file .* needs to be updated but --locked was passed)",
         ("error:",),
         "error: no matching package named `serde_jsonx` found", before=0, after=4),
    _sig("go.modules", T.DEPENDENCY_ERROR, 90,
         r"missing go\.sum entry|no required module provides package|unknown revision"
         r"|cannot find module providing package|updates to go\.mod needed"
         r"|module .* found, but does not contain package|go: .*: reading .*: 404 Not Found",
         ("go.sum", "no required module", "unknown revision", "cannot find module",
          "go.mod", "does not contain package", "go: "),
         "main.go:4:2: no required module provides package github.com/x/y; to add it:",
         before=0, after=2),
    _sig("java.resolution", T.DEPENDENCY_ERROR, 90,
         r"Could not resolve dependencies for project|Could not find artifact"
         r"|Non-resolvable (?:parent|import) POM|Cannot access \S+ in offline mode"
         r"|or one of its dependencies could not be resolved|Failed to read artifact descriptor"
         r"|Could not resolve all (?:files|dependencies|artifacts) for configuration"
         r"|Could not find [\w.-]+:[\w.-]+:[\w.-]+",
         ("Could not resolve", "Could not find", "Non-resolvable", "offline mode",
          "could not be resolved", "Failed to read artifact"),
         "[ERROR] Failed to execute goal on project demo: Could not resolve dependencies for "
         "project com.example:demo:jar:1.0", before=0, after=3),
    _sig("cmake.missing", T.DEPENDENCY_ERROR, 90, r"Could NOT find \w+", ("Could NOT find",),
         "  Could NOT find ZLIB (missing: ZLIB_LIBRARY ZLIB_INCLUDE_DIR)", before=1, after=2),
    _sig("deps.other", T.DEPENDENCY_ERROR, 88,
         r"Could not find gem|Bundler could not find compatible versions"
         r"|Your requirements could not be resolved|pull access denied"
         r"|manifest (?:for \S+ )?(?:not found|unknown)|failed to resolve source metadata",
         ("Could not find gem", "Bundler", "could not be resolved", "pull access denied",
          "manifest", "resolve source metadata"),
         "Error response from daemon: manifest for python:3.99 not found: manifest unknown",
         before=0, after=2),
    _sig("python.module_not_found", T.DEPENDENCY_ERROR, 92,
         r"ModuleNotFoundError: No module named '(?P<module>[\w.]+)'",
         ("ModuleNotFoundError",),
         "E   ModuleNotFoundError: No module named 'fancylib'", before=4, after=0),
    _sig("python.import", None, 91, r"ImportError: cannot import name '\w+' from '[\w.]+'",
         ("ImportError",), "E   ImportError: cannot import name 'multiply' from 'calc'",
         before=4, after=0),
    # --- compilers and type checkers -----------------------------------------------------------
    _sig("python.syntax", T.BUILD_ERROR, 95,
         r"^(?:E\s+)?(?:SyntaxError|IndentationError|TabError): |^\*\*\* Error compiling",
         ("SyntaxError", "IndentationError", "TabError", "Error compiling"),
         "SyntaxError: invalid syntax", "E     SyntaxError: '(' was never closed",
         before=5, after=0),
    _sig("mypy.error", T.TYPE_ERROR, 90,
         r"^(?P<path>[^\s:]+\.pyi?):(?P<line>\d+)(?::\d+)?: error: ", ("error:",),
         'src/app.py:3: error: Incompatible return value type (got "int", expected "str")  '
         "[return-value]", before=0, after=1),
    _sig("pyright.error", T.TYPE_ERROR, 90,
         r"^\s*(?P<path>\S+\.pyi?):(?P<line>\d+):\d+ - error: ", ("error:",),
         '  /home/runner/work/a/a/app.py:3:12 - error: "x" is not defined (reportUndefinedVariable)',
         before=0, after=1),
    _sig("tsc.error", T.TYPE_ERROR, 90,
         r"^(?P<path>[^\s(]+\.(?:ts|tsx|mts|cts|js|jsx|vue))\((?P<line>\d+),\d+\): error TS\d+:",
         ("error TS",),
         "src/index.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.",
         before=0, after=1),
    _sig("tsc.error_pretty", T.TYPE_ERROR, 90,
         r"^(?P<path>[^\s:]+\.(?:ts|tsx|mts|cts|js|jsx|vue)):(?P<line>\d+):\d+ - error TS\d+:",
         ("error TS",),
         "src/index.ts:3:7 - error TS2322: Type 'number' is not assignable to type 'string'.",
         before=0, after=4),
    _sig("tsc.global", T.TYPE_ERROR, 88, r"^error TS\d+: |\bType error: ",
         ("error TS", "Type error:"),
         "error TS2318: Cannot find global type 'Array'.", before=0, after=2),
    _sig("type.summary", T.TYPE_ERROR, 60,
         r"^Found \d+ errors? in \d+ files? \(checked|^Found \d+ errors? in (?:the same file|\d+ "
         r"files?)|^\d+ errors?, \d+ warnings?, \d+ (?:informations|notes)",
         ("errors in", "error in", "errors,", "error,"),
         "Found 2 errors in 1 file (checked 3 source files)", before=0, after=0),
    _sig("javac.error", T.BUILD_ERROR, 90,
         r"^\[ERROR\] (?P<path>/?\S+\.(?:java|kt|scala|groovy)):\[(?P<line>\d+),\d+\] "
         r"|^(?P<path2>\S+\.(?:java|kt|scala|groovy)):(?P<line2>\d+): error: ",
         ("error:", "ERROR"),
         "src/main/java/App.java:5: error: cannot find symbol", before=0, after=3),
    _sig("gcc.error", T.BUILD_ERROR, 90,
         r"^(?P<path>[^\s:]+\.(?:c|cc|cpp|cxx|c\+\+|h|hh|hpp|hxx|m|mm|cu|f|f90|f95|s|S)):"
         r"(?P<line>\d+)(?::\d+)?: (?:fatal )?error: ",
         ("error:",),
         "main.c:4:12: error: 'count' undeclared (first use in this function)",
         before=1, after=3),
    _sig("dotnet.error", T.BUILD_ERROR, 90,
         r"^(?P<path>\S+\.(?:cs|fs|vb))\((?P<line>\d+),\d+\): error [A-Z]+\d+:", ("): error ",),
         "Program.cs(3,5): error CS1002: ; expected [/src/app.csproj]", before=0, after=1),
    _sig("kotlin.error", T.BUILD_ERROR, 90,
         r"^e: (?:file://)?(?P<path>\S+\.kts?):(?P<line>\d+):\d+ ", ("e: file:", ".kt:", ".kts:"),
         "e: file:///app/src/main/kotlin/App.kt:3:5 Unresolved reference: foo",
         before=0, after=1),
    _sig("rustc.error_code", T.BUILD_ERROR, 90, r"^error\[E\d{4}\]: ", ("error[",),
         "error[E0308]: mismatched types", before=0, after=8),
    _sig("cmake.error", T.BUILD_ERROR, 90,
         r"CMake Error at (?P<path>\S+?):(?P<line>\d+)|CMake Error:", ("CMake Error",),
         "CMake Error at CMakeLists.txt:4 (add_executable):", before=0, after=4),
    _sig("link.error", T.BUILD_ERROR, 90,
         r"undefined reference to [`']|ld: symbol\(s\) not found|ld returned \d+ exit status"
         r"|ld: cannot find -l|undefined symbol: |error LNK\d{4}",
         ("undefined reference", "ld: symbol", "ld: cannot find", "ld returned",
          "undefined symbol", "error LNK"),
         "main.c:(.text+0x1e): undefined reference to `helper'", before=1, after=2),
    _sig("js.bundler", T.BUILD_ERROR, 88,
         r"^ERROR in |Failed to compile\.|error during build:|\[vite\]: Rollup failed"
         r"|Build failed with \d+ errors?|✘ \[ERROR\]",
         ("ERROR in", "Failed to compile", "error during build", "Rollup failed",
          "Build failed", "[ERROR]"),
         "ERROR in ./src/index.js 3:0-32", before=0, after=4),
    _sig("docker.build", T.BUILD_ERROR, 70,
         r"ERROR: failed to (?:solve|build)|failed to solve:|did not complete successfully:"
         r" exit code",
         ("failed to solve", "failed to build", "did not complete successfully"),
         'ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: '
         "exit code: 2", before=2, after=0),
    _sig("go.build", T.BUILD_ERROR, 90,
         r"^(?P<path>\.{0,2}/?[\w./@-]*\w\.go):(?P<line>\d+):\d+: "
         rf"(?!.*\((?:{_GOLANGCI_LINTERS})\)$)",
         (".go:",),
         "./main.go:7:2: undefined: fmtx", before=1, after=1),
    # --- linters -------------------------------------------------------------------------------
    _sig("golangci.issue", T.LINT_ERROR, 90,
         rf"^(?P<path>\S+\.go):(?P<line>\d+):\d+: .+ \((?:{_GOLANGCI_LINTERS})\)$",
         (".go:",),
         "main.go:9:12: Error return value of `f.Close` is not checked (errcheck)",
         before=0, after=2),
    _sig("lint.black", T.LINT_ERROR, 90,
         r"^would reformat (?P<path>\S+)|^Would reformat: (?P<path2>\S+)"
         r"|^ERROR: (?P<path3>\S+) Imports are incorrectly sorted"
         r"|\d+ files? would be reformatted|Code style issues (?:found|were found)"
         r"|^unformatted: File would be reformatted",
         ("reformat", "Imports are incorrectly sorted", "Code style issues"),
         "would reformat src/app.py", "Would reformat: src/app.py", before=0, after=1),
    _sig("lint.eslint", T.LINT_ERROR, 90,
         r"^\s+(?P<line>\d+):\d+\s+error\s+.+?\s{2,}[\w@/.-]+$"
         r"|^\s+(?P<line2>\d+):\d+\s+error\s+.+\s{2}\([\w-]+\)$",
         ("  error  ",),
         "   3:7  error  'unused' is assigned a value but never used  no-unused-vars",
         before=1, after=0),
    _sig("lint.xo", T.LINT_ERROR, 90,
         r"^\s+✖\s+(?P<line>\d+):\d+\s+.+?\s{2,}[\w@/.-]+$", ("✖",),
         "  ✖  2:6   y is never reassigned. Use const instead.  prefer-const", before=1, after=0),
    _sig("lint.grouped", T.LINT_ERROR, 90,
         r"^\s+(?P<line>\d+):\d+ [A-Z]{1,4}\d{2,4} (?:\[\*\] )?\S", (),
         "  2:12 F821 Undefined name `helper`", before=1, after=0),
    _sig("lint.problems", T.LINT_ERROR, 60,
         r"✖ \d+ problems? \(\d+ errors?|^\[\*\] \d+ fixable with|Your code has been rated at",
         ("problems (", "problem (", "fixable with", "rated at"),
         "✖ 1 problem (1 error, 0 warnings)", before=0, after=0),
    _sig("lint.flake8", T.LINT_ERROR, 90,
         r"^(?P<path>[^\s:]+\.(?:py|pyi|ipynb)):(?P<line>\d+):\d+: [A-Z]{1,4}\d{2,4}:? ",
         (),
         "src/app.py:1:8: F401 [*] `os` imported but unused",
         "src/app.py:1:0: C0114: Missing module docstring (missing-module-docstring)",
         before=0, after=0),
    _sig("lint.ruff_rule", T.LINT_ERROR, 90,
         r"^[A-Z]{1,4}\d{2,4} (?:\[\*\] )?\S.*$", (),
         "F401 [*] `os` imported but unused", before=0, after=4),
    _sig("lint.shellcheck", T.LINT_ERROR, 88, r"^In (?P<path>\S+) line (?P<line>\d+):$|SC\d{4}\b",
         (), "In build.sh line 3:", before=0, after=4),
    _sig("lint.other", T.LINT_ERROR, 88,
         r"^\S+:\d+ (?:DL|SC)\d{4} (?:error|warning|info|style):|^\S+\.md:\d+(?::\d+)? MD\d{3}"
         r"|^\S+:\d+:\d+: [CWEF]: [A-Z]\w+/\w+", (),
         "Dockerfile:3 DL3008 warning: Pin versions in apt get install.",
         "README.md:3 MD022/blanks-around-headings Headings should be surrounded by blank lines",
         before=0, after=0),
    _sig("lint.summary", T.LINT_ERROR, 60, r"^Found \d+ errors?\.$", ("error.", "errors."),
         "Found 3 errors.", before=0, after=1),
    # --- tests ---------------------------------------------------------------------------------
    _sig("go.test_line", T.TEST_FAILURE, 80, r"^\s+(?P<path>[\w/.-]+_test\.go):(?P<line>\d+): ",
         ("_test.go:",), "    calc_test.go:9: Add(2, 3) = 5; want 6", before=0, after=1),
    _sig("rust.panic", T.TEST_FAILURE, 85,
         r"thread '[^']+'(?: \(\d+\))? panicked at (?P<path>[^\s:]+):(?P<line>\d+)",
         ("panicked at",), "thread 'tests::adds' panicked at src/lib.rs:12:9:",
         "thread 'test_eq' (31515) panicked at tests/test_version.rs:159:16:", before=0, after=4),
    _sig("java.test", T.TEST_FAILURE, 90,
         r"^\[ERROR\]\s+\w[\w.$]*[.#]\w+:\d+ |^\S+ > .+ FAILED$|Tests run: .*<<< FAILURE!",
         ("[ERROR]", "FAILED", "FAILURE"),
         "[ERROR]   AppTest.testAdd:12 expected:<5> but was:<6>", before=0, after=2),
    _sig("test.other", T.TEST_FAILURE, 85,
         r"^rspec \./\S+:\d+ |^\s*Failed \S+ \[", ("rspec ./", "Failed "),
         "rspec ./spec/calc_spec.rb:4 # Calc adds", before=0, after=2),
    _sig("pytest.E", T.TEST_FAILURE, 80, r"^E {2,}\S", ("E  ",),
         "E       assert 5 == 6", before=4, after=3),
    _sig("test.summary", T.TEST_FAILURE, 60,
         r"^=+ .*\b\d+ (?:failed|errors?)\b.* in [\d.]+s\b|Interrupted: \d+ errors? during"
         r"|^FAILED \((?:failures|errors)=|^Tests:\s+.*\d+ failed|Test Files\s+\d+ failed"
         r"|^\s*Tests\s+\d+ failed|^# fail [1-9]|^✖ failing tests|test result: FAILED"
         r"|^FAIL\s+\S+\s+[\d.]+s$|There (?:are|were) (?:test failures|failing tests)"
         r"|^\s*\d+ failing$|\d+ examples?, [1-9]\d* failures?|FAILURES!",
         ("failed", " error in ", " errors in ", "error during", "FAIL", "# fail ", "failing",
          "failure"),
         "========================= 1 failed, 300 passed in 1.23s =========================",
         "FAILED (failures=1)", before=0, after=0),
    # --- generic -------------------------------------------------------------------------------
    # A JavaScript error as test runners quote it, indented under the failed test's heading.
    _sig("js.error_message", None, 86,
         r"^\s+(?:[A-Z]\w*)?Error(?: \[[A-Z_]+\])?: \S",
         ("Error: ", "Error [",),
         "      AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:",
         before=2, after=6),
    _sig("python.exception", None, 75,
         r"^(?:E\s+)?(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Failure|Interrupt)"
         r"(?:: .*)?$|^(?:E\s+)?AssertionError\b",
         ("Error", "Exception", "Exit", "Failure", "Interrupt"),
         "ZeroDivisionError: division by zero", before=5, after=0),
    _sig("rustc.error", T.BUILD_ERROR, 70,
         r"^error: (?!could not compile|aborting due to|test failed|Recipe)", ("error:",),
         "error: expected one of `!` or `::`, found `x`", before=0, after=6),
    _sig("build.failed", None, 55,
         r"^make(?:\[\d+\])?: \*\*\* |error: could not compile|error: aborting due to"
         r"|BUILD FAILURE|FAILURE: Build failed|Execution failed for task|Build FAILED"
         r"|Compilation failed|COMPILATION ERROR|Failed to execute goal|error: test failed",
         ("***", "error:", "BUILD FAILURE", "FAILURE", "Execution failed", "Build FAILED",
          "Compilation failed", "COMPILATION ERROR", "Failed to execute goal"),
         "make: *** [Makefile:4: app] Error 1", before=0, after=1),
    _sig("python.frame", None, 5, r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)',
         ('File "',), '  File "/home/runner/work/app/app/src/calc.py", line 3, in div',
         before=0, after=1),
    _sig("js.frame", None, 5, r"^\s+at (?:.+ \()?(?:file://)?(?P<path>/[^():]+):(?P<line>\d+):\d+",
         ("    at ",), "    at Object.<anonymous> (/home/runner/work/a/a/src/calc.js:4:9)",
         before=0, after=0),
    # A goroutine's frame under a panic, and a Rust backtrace's frame in the project.
    _sig("go.frame", None, 5, r"^\s+(?P<path>/\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$",
         (".go:",), "\t/home/runner/work/cli/cli/args.go:110 +0x1d", before=0, after=0),
    _sig("rust.frame", None, 5, r"^\s+at (?P<path>\./\S+\.rs):(?P<line>\d+):\d+$", (".rs:",),
         "             at ./src/parse.rs:178:29", before=0, after=0),
    _sig("location.arrow", None, 30, r"^\s*--> (?P<path>[^\s:]+):(?P<line>\d+):\d+", ("--> ",),
         " --> src/main.rs:3:5", before=1, after=3),
    # A file header over its issues (xo, eslint's stylish) and AVA's ``› file://test.js:9:4``.
    _sig("location.header", None, 30,
         r"^\s*(?P<path>[\w./@-]+\.(?:js|jsx|ts|tsx|mjs|cjs|vue)):(?P<line>\d+):\d+$"
         r"|^\s*› (?:file://)?(?P<path2>[\w./@-]+):(?P<line2>\d+):\d+$", (),
         "  index.js:18:2", "  › file://test.js:96:4", before=0, after=2),
    _sig("location.python", None, 30,
         r"^(?P<path>[^\s:]+\.py):(?P<line>\d+): (?:in \S+|[A-Z]\w*)$", (".py:",),
         "tests/test_calc.py:5: AssertionError", before=0, after=0),
    _sig("runner.annotation", None, 70, r"^##\[error\](?!Process completed with exit code)",
         ("##[",), "##[error]Something went wrong", before=2, after=0),
    _sig("runner.exit_code", None, 10, r"^##\[error\]Process completed with exit code \d+",
         ("##[",), "##[error]Process completed with exit code 1.", before=3, after=0),
    _sig("generic.error", None, 40,
         r"^(?:\S+: )?(?:Error|ERROR|error|FATAL|Fatal|fatal)(?:\[\w+\])?: \S"
         r"|^\s*(?:Exception in thread|Caused by: )|npm (?:ERR!|error) ",
         ("Error:", "ERROR:", "error:", "Error[", "error[", "FATAL:", "Fatal:", "fatal:",
          "Exception in thread", "Caused by", "npm ERR!", "npm error"),
         "Error: connect to backend failed", "fatal: not a git repository", before=1, after=2),
)  # fmt: skip
