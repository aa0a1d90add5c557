"""Signatures of the errors common CI tools and the runner print, and a fast matcher for them.

Each signature is one regex over a cleaned line, with the failure type it implies (or none: a
generic line ranks but does not classify), a weight (how strongly it points at the root cause;
100 marks runner-level facts that decide the type whatever else failed), the context lines an
excerpt should keep around it, and *needles*: literals, one of which every matching line
contains. A 1 GB log is scanned at C speed: one Aho-Corasick pass over raw bytes looks for a
few dozen ``SCAN_ANCHORS`` (fragments of the needles of errors that can sit far from a step's
end) and only the lines holding one are decoded; on such a line only the signatures whose
needle it holds are tried. Every line of a failed step's tail is tried against every signature,
also those without needles (flake8-style ``path:1:2: F401`` lines), since that is where such
lines end up.

Order matters: a line takes the first signature that matches it, so specific shapes come before
the general ones they would also match (a pip retry warning before a network error, a
``SyntaxError`` before any Python exception).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import ahocorasick_rs

from cicd_agent.analysis.logs.model import FailureType
from cicd_agent.analysis.logs.runner_format import MARKER_NEEDLES

T = FailureType
DECISIVE_WEIGHT = 100


@dataclass(frozen=True)
class Signature:
    """One error shape: what it means, how much it counts, how to find it quickly."""

    name: str
    failure_type: FailureType | None
    weight: int
    pattern: re.Pattern[str]
    needles: tuple[str, ...]
    before: int = 1
    after: int = 2
    examples: tuple[str, ...] = field(default=(), compare=False)

    @property
    def decisive(self) -> bool:
        return self.weight >= DECISIVE_WEIGHT


def _sig(
    name: str,
    failure_type: FailureType | None,
    weight: int,
    pattern: str,
    needles: Sequence[str],
    *examples: str,
    before: int = 1,
    after: int = 2,
) -> Signature:
    return Signature(
        name, failure_type, weight, re.compile(pattern), tuple(needles), before, after, examples
    )


_NET_NEEDLES = (
    "resolve host", "name resolution", "not known", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET",
    "ECONNREFUSED", "ETIMEDOUT", "reset by peer", "refused", "timed out", "unreachable",
    "No route to host", "CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "handshake",
    "SSL_ERROR", "Failed to connect", "Could not connect", "i/o timeout", "socket hang up",
    "RemoteDisconnected", "Service Unavailable", "Bad Gateway", "Gateway Time",
)  # fmt: skip

_GOLANGCI_LINTERS = (
    "errcheck|govet|staticcheck|unused|gosimple|ineffassign|revive|gofmt|goimports|misspell"
    "|gocritic|stylecheck|unparam"
)
"""The linters whose ``(name)`` ends a golangci-lint line: ``golangci.issue`` claims those lines
and ``go.build`` must leave them, so both read this one list."""

SIGNATURES: tuple[Signature, ...] = (
    # --- the runner itself -------------------------------------------------------------------
    _sig("runner.timeout", T.TIMEOUT, 100,
         r"has exceeded the maximum execution time|job .* was canceled because it exceeded"
         r"|has timed out after \d+ minutes?|The action has timed out",
         ("exceeded the maximum execution time", "because it exceeded", "timed out after",
          "action has timed out"),
         "##[error]The job running on runner GitHub Actions 2 has exceeded the maximum "
         "execution time of 5 minutes.", before=3, after=0),
    _sig("runner.shutdown", T.INFRASTRUCTURE, 100,
         r"runner has received a shutdown signal|lost communication with the server"
         r"|runner .* did not connect|Runner connection|Cannot connect to the Docker daemon",
         ("shutdown signal", "lost communication", "did not connect", "Runner connection",
          "Cannot connect to the Docker daemon"),
         "##[error]The runner has received a shutdown signal. This can happen when the runner "
         "service is stopped, or a manually started runner is canceled.", before=3, after=0),
    _sig("runner.disk_full", T.INFRASTRUCTURE, 100,
         r"No space left on device|\bENOSPC\b|not enough space on the disk",
         ("No space left", "ENOSPC", "not enough space on the disk"),
         "OSError: [Errno 28] No space left on device",
         "cp: error writing '/dev/full': No space left on device", before=3, after=0),
    _sig("oom.exit_137", T.OOM, 100,
         r"(?:exit (?:code|status)|exited with code|code:?) 137\b", ("code 137", "status 137", "code: 137"),
         "##[error]Process completed with exit code 137.", before=6, after=0),
    _sig("timeout.exit_124", T.TIMEOUT, 100,
         r"##\[error\]Process completed with exit code 124\.", ("##[",),
         "##[error]Process completed with exit code 124.", before=6, after=0),
    _sig("oom.killed", T.OOM, 100,
         r"(?:^|: line \d+: +\d+ )Killed(?:\s|$)|Killed signal terminated program"
         r"|\bOOMKilled\b|\boom-kill",
         ("Killed", "oom-kill"),
         "/home/runner/work/_temp/6f1b.sh: line 3:  2291 Killed                  python load.py",
         "Killed", before=3, after=0),
    # An allocator that gave up, in each runtime's words: numpy's ``_ArrayMemoryError`` and
    # Ruby's ``NoMemoryError`` end in MemoryError, PHP names its memory_limit, V8 its buffers.
    _sig("oom.memory", T.OOM, 100,
         r"MemoryError\b|[Oo]ut of memory|OutOfMemory(?:Error|Exception)"
         r"|JavaScript heap out of memory|std::bad_alloc|[Cc]annot allocate memory"
         r"|can't allocate memory|failed to allocate memory|memory allocation of \d+ bytes failed"
         r"|Allowed memory size of \d+ bytes exhausted|Array buffer allocation failed"
         r"|Unable to allocate [\d.]+ ?[KMGTPE]?i?B for an array|out of heap space",
         ("MemoryError", "out of memory", "Out of memory", "OutOfMemory", "bad_alloc",
          "allocate memory", "memory allocation of", "Allowed memory size",
          "Array buffer allocation failed", "Unable to allocate", "out of heap space"),
         "MemoryError", "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap "
         "out of memory", "numpy._core._exceptions._ArrayMemoryError: Unable to allocate 512. "
         "TiB for an array with shape (1048576, 1048576, 64) and data type float64",
         "PHP Fatal error:  Allowed memory size of 16777216 bytes exhausted (tried to allocate "
         "2097152 bytes) in /home/runner/work/app/app/build.php on line 4",
         "report.rb: failed to allocate memory (NoMemoryError)",
         "RangeError: Array buffer allocation failed", before=4, after=0),
    _sig("runner.canceled", T.INFRASTRUCTURE, 60, r"##\[error\]The operation was canceled\.",
         ("##[",), "##[error]The operation was canceled.", before=3, after=0),
    # --- test runners' verdict lines: whatever message they quote, they are a test's -------
    _sig("pytest.failed", T.TEST_FAILURE, 90,
         r"^FAILED (?P<path>[^\s:]+)::\S+", ("FAILED",),
         "FAILED tests/test_calc.py::test_add - assert 5 == 6", before=0, after=0),
    _sig("pytest.progress", T.TEST_FAILURE, 85, r"^(?P<path>\S+\.py)::\S+ FAILED", ("FAILED",),
         "tests/test_calc.py::test_add FAILED                                      [ 50%]",
         before=0, after=0),
    _sig("pytest.error", T.TEST_FAILURE, 90, r"^ERROR (?P<path>[^\s:]+\.py)\b", ("ERROR",),
         "ERROR tests/test_calc.py", before=0, after=0),
    _sig("unittest.fail", T.TEST_FAILURE, 90, r"^(?:FAIL|ERROR): \w+ \([\w.]+\)",
         ("FAIL:", "ERROR:"),
         "FAIL: test_upper (test_strings.TestStrings.test_upper)", before=1, after=10),
    _sig("jest.failure", T.TEST_FAILURE, 90, r"^\s*● .+ › .+|^\s*● Test suite failed to run"
         r"|^ {2}● (?!Validation |Deprecation |Console|Multiple configurations)\S.*$",
         ("●",), "  ● Calculator › adds numbers", "  ● adds numbers", before=0, after=12),
    _sig("jest.file", T.TEST_FAILURE, 85,
         r"^\s*FAIL\s+(?P<path>\S+\.(?:js|jsx|ts|tsx|mjs|cjs|mts|cts))\b", ("FAIL",),
         "FAIL src/calc.test.js", " FAIL  src/calc.test.ts > calc > adds", before=0, after=2),
    _sig("node.tap", T.TEST_FAILURE, 90, r"^\s*not ok \d+ - ", ("not ok",),
         "not ok 2 - adds numbers", before=0, after=12),
    _sig("node.spec", T.TEST_FAILURE, 90,
         r"^\s*(?:✖|✕|×|✗) (?!failing tests).+ \(?\d+(?:\.\d+)?m?s\)?$", ("✖", "✕", "×", "✗"),
         "✖ adds numbers (1.23ms)", before=0, after=10),
    _sig("go.test", T.TEST_FAILURE, 90, r"^\s*--- FAIL: \S+", ("--- FAIL",),
         "--- FAIL: TestAdd (0.00s)", before=0, after=4),
    _sig("cargo.test", T.TEST_FAILURE, 90, r"^test \S+ \.\.\. FAILED$", ("FAILED",),
         "test tests::adds ... FAILED", before=0, after=0),
    # --- timeouts inside tools -----------------------------------------------------------------
    _sig("timeout.test", T.TIMEOUT, 92,
         r"Failed: Timeout \(?>[\d.]+s|\+{5,} Timeout \+{5,}|Exceeded timeout of \d+ ?ms"
         r"|panic: test timed out after|Test timed out in \d+ ?ms|Timeout of \d+ ?ms exceeded"
         r"|test timed out after \d+ ?ms|\bTimeoutExpired: .* timed out after",
         ("Timeout", "timed out", "timeout of"),
         "E   Failed: Timeout >2.0s",
         "    thrown: \"Exceeded timeout of 5000 ms for a test.", before=2, after=2),
    # --- network -------------------------------------------------------------------------------
    _sig("network.retry", T.INFRASTRUCTURE, 40,
         r"Retrying \(Retry\(total=\d+.*\) after connection broken|WARNING: Retrying"
         r"|npm (?:WARN|warn) .*(?:ECONNRESET|ETIMEDOUT|ENOTFOUND)",
         ("Retrying", "npm WARN", "npm warn"),
         "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None))"
         " after connection broken by 'NewConnectionError(\"Failed to establish a new connection:"
         " [Errno 111] Connection refused\")': /simple/requests/", before=0, after=0),
    _sig("network.skipped", T.INFRASTRUCTURE, 40, r"^Could not fetch URL \S+: .* - skipping$",
         ("skipping",), "Could not fetch URL https://pypi.org/simple/pip/: There was a problem "
         "confirming the ssl certificate: HTTPSConnectionPool(host='pypi.org', port=443) - skipping",
         before=0, after=0),
    _sig("network.error", T.INFRASTRUCTURE, 91,
         r"Could not resolve host|Temporary failure in name resolution|Name or service not known"
         r"|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|\b(?:ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN)\b"
         r"|Connection (?:reset by peer|refused|timed out)|Network is unreachable"
         r"|No route to host|CERTIFICATE_VERIFY_FAILED|certificate verify failed"
         r"|TLS handshake timeout|SSL_ERROR_\w+|Failed to connect to \S+ port \d+"
         r"|Could not connect to server|dial tcp .*(?:i/o timeout|connection refused)"
         r"|socket hang up|RemoteDisconnected|50[234] (?:Service Unavailable|Bad Gateway"
         r"|Gateway Time-?out)|: no such host|Operation timed out"
         r"|Failed to establish a new connection|Max retries exceeded with url"
         r"|problem confirming the ssl certificate|Temporary failure resolving"
         r"|Could not resolve '[\w.-]+'",
         (*_NET_NEEDLES, "no such host", "Operation timed out", "Failed to establish",
          "Max retries exceeded", "ssl certificate", "Temporary failure resolving",
          "Could not resolve '"),
         "curl: (6) Could not resolve host: registry.example.invalid",
         "fatal: unable to access 'https://github.com/o/r/': Failed to connect to github.com "
         "port 443 after 130 ms: Couldn't connect to server",
         "npm error code ECONNRESET", before=1, after=1),
    # --- configuration -----------------------------------------------------------------------
    _sig("config.workflow", T.CONFIG_ERROR, 95,
         r"Invalid workflow file|The workflow is not valid|Unable to resolve action"
         r"|Can't find 'action\.ya?ml'|Input required and not supplied:"
         r"|The version '[^']+' with architecture '[^']+' was not found"
         r"|Unrecognized named-value:|Unable to locate executable file:"
         r"|[Ll]ock file is not found in|ESLint couldn't find (?:a|the) config"
         r"|Oops! Something went wrong! :\(",
         ("Invalid workflow", "workflow is not valid", "Unable to resolve action", "Can't find",
          "Input required", "was not found", "Unrecognized named-value", "Unable to locate",
          "ock file is not found", "ESLint couldn't find", "Oops! Something went wrong"),
         "##[error]The version '3.99' with architecture 'x64' was not found for Ubuntu 22.04.",
         "##[error]Input required and not supplied: token", before=1, after=2),
    _sig("shell.command_not_found", T.CONFIG_ERROR, 92,
         r"(?:^|: )(?:line \d+: )?[\w./+@-]+: command not found\b"
         r"|^(?:/bin/|/usr/bin/)?(?:sh|dash|bash): \d+: [^:]+: not found$",
         ("command not found", "not found"),
         "/home/runner/work/_temp/0c6d.sh: line 2: pytset: command not found",
         "sh: 1: yarnn: not found", before=1, after=1),
    _sig("make.command_missing", T.CONFIG_ERROR, 90,
         r"^make(?:\[\d+\])?: \S+: (?:No such file or directory|Command not found)$",
         ("No such file", "Command not found"), "make: pyhton: No such file or directory",
         before=1, after=1),
    _sig("config.yaml", T.CONFIG_ERROR, 92,
         r"yaml\.\w+\.\w*Error|YAMLException|YAMLError|YAMLParseError"
         r"|mapping values are not allowed|could not find expected ':'|did not find expected"
         r"|found character that cannot start any token|while (?:parsing|scanning) a"
         r" (?:block|flow|simple|quoted)|found undefined alias|expected <block end>, but found"
         r"|yaml: line \d+:|Failed to parse YAML|Invalid YAML",
         ("yaml", "YAML", "mapping values", "could not find expected", "did not find expected",
          "found character", "while parsing", "while scanning", "undefined alias",
          "expected <block end>"),
         "ruamel.yaml.scanner.ScannerError: mapping values are not allowed here",
         "yaml.parser.ParserError: while parsing a block mapping", before=2, after=4),
    _sig("config.toml", T.CONFIG_ERROR, 90,
         r"TOML parse error|TOMLDecodeError|TomlDecodeError|Invalid TOML"
         r"|Failed to parse \S*(?:pyproject|Cargo|\w+)\.toml",
         ("TOML", "Toml", "toml"),
         "  Cause: TOML parse error at line 2, column 15", before=2, after=4),
    _sig("config.cli_usage", T.CONFIG_ERROR, 90,
         r"error: unrecognized arguments:|error: unexpected argument '[^']+' found"
         r"|error: no such option:|Error: No such option:|[Uu]nknown (?:option|flag|argument)s?:"
         r"|unknown (?:shorthand )?flag:|error: argument [^:]+: invalid choice:"
         r"|error: (?:the following arguments are required|unrecognized subcommand)"
         r"|^ERROR: file or directory not found:",
         ("error:", "Error:", "nknown option", "nknown flag", "nknown argument",
          "nknown shorthand flag"),
         "pytest: error: unrecognized arguments: --no-such-flag",
         "error: unexpected argument '--frobnicate' found", before=2, after=1),
    _sig("config.missing_file", T.CONFIG_ERROR, 85,
         r"^(?:/bin/|/usr/bin/)?(?:ba|da|z)?sh: (?:line \d+: )?\S+: No such file or directory$"
         r"|can't open file '[^']+': \[Errno 2\] No such file or directory"
         r"|ENOENT: no such file or directory, open '[^']*(?:package\.json|\.ya?ml|\.toml)'"
         r"|ERROR: Could not open requirements file|Could not read package\.json"
         r"|Dockerfile.*: no such file or directory",
         ("No such file", "no such file", "Could not open requirements", "Could not read"),
         "python: can't open file '/home/runner/work/app/app/run.py': [Errno 2] No such file or "
         "directory", before=1, after=1),
    _sig("config.json", T.CONFIG_ERROR, 88,
         r"JSONDecodeError|SyntaxError: .*\bJSON\b|Unexpected token .* in JSON"
         r"|is not valid JSON|Error parsing JSON",
         ("JSON",), "json.decoder.JSONDecodeError: Expecting ',' delimiter: line 3 column 5",
         "SyntaxError: Unexpected token } in JSON at position 42", before=3, after=2),
    _sig("config.permission", T.CONFIG_ERROR, 80, r": Permission denied$",
         ("Permission denied",), "/home/runner/work/_temp/1a2b.sh: line 1: ./deploy.sh: "
         "Permission denied", before=1, after=1),
    _sig("config.tool", T.CONFIG_ERROR, 85,
         r"^ruff failed$|^mypy: (?:error: |can't read file)|Invalid configuration"
         r"|[Cc]onfiguration error|ConfigurationError|Error: Cannot parse config"
         r"|failed to read dockerfile"
         r"|dockerfile parse error|unknown instruction:|=+ no tests ran"
         r"|npm (?:ERR!|error) Missing script:",
         ("ruff failed", "mypy:", "onfiguration", "Cannot parse config", "dockerfile",
          "unknown instruction", "no tests ran", "Missing script"),
         "ruff failed", "mypy: error: Cannot find config file 'setup.cfgx'", before=1, after=4),
    # A lock file out of step with its manifest is the dependency set's fault, whatever usage
    # code npm files it under (EUSAGE): the fix is to regenerate the lock, as for pnpm's
    # frozen lockfile, yarn's immutable install, cargo --locked and poetry.lock below.
    # Weighed above the EUSAGE line the same output prints, so the lock line names the type.
    _sig("js.lock_out_of_sync", T.DEPENDENCY_ERROR, 93,
         r"can only install packages when your package\.json and package-lock\.json"
         r"(?: or npm-shrinkwrap\.json)? are in sync"
         r"|^npm (?:ERR!|error) (?:Missing: \S+ from lock file|Invalid: lock file's \S+ does not"
         r" satisfy)",
         ("are in sync", "from lock file", "lock file's"),
         "npm error `npm ci` can only install packages when your package.json and "
         "package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file "
         "with `npm install` before continuing.",
         "npm error Missing: left-pad@1.3.0 from lock file", before=1, after=4),
    _sig("config.project", T.CONFIG_ERROR, 92,
         r"● Validation Error:|Preset \S+ not found\."
         r"|error TS(?:5\d{3}|6046|6053|18003)\b"
         r"|^(?:ERROR: )?\S*(?:pytest|tox|setup|mypy)\.(?:ini|cfg):\d+: (?:unexpected line|error:)"
         r"|^\S*(?:pyproject\.toml|\.mypy\.ini):\d+: error:"
         r"|npm (?:ERR!|error) code EUSAGE|can only install with an existing package-lock"
         r"|No rule to make target '[^']+'\.\s+Stop\."
         r"|Non-(?:readable|parseable) POM|Malformed POM|Unknown lifecycle phase"
         r"|there is no POM in this directory|failed to parse manifest at"
         r"|does not contain (?:this|these) features?|none of the selected packages contains",
         ("Validation Error", "Preset", "error TS", "unexpected line", "error:", "EUSAGE",
          "can only install", "No rule to make target", "POM", "lifecycle phase",
          "failed to parse manifest", "does not contain th", "none of the selected packages"),
         "● Validation Error:", "tsconfig.json(1,22): error TS5025: Unknown compiler option "
         "'strictt'. Did you mean 'strict'?",
         "ERROR: /home/runner/work/app/app/pytest.ini:3: unexpected line: 'oops'",
         "make: *** No rule to make target 'tset'.  Stop.", before=1, after=4),
    _sig("lint.format", T.LINT_ERROR, 88,
         r"^Diff in \S+(?: at line \d+:|:\d+:)$", ("Diff in",),
         "Diff in /home/runner/work/app/app/src/main.rs:1:", before=0, after=6),
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
         r"thread '[^']+' panicked at (?P<path>[^\s:]+):(?P<line>\d+)", ("panicked at",),
         "thread 'tests::adds' panicked at src/lib.rs:12:9:", before=0, after=4),
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
    _sig("location.arrow", None, 30, r"^\s*--> (?P<path>[^\s:]+):(?P<line>\d+):\d+", ("--> ",),
         " --> src/main.rs:3:5", before=1, after=3),
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


@dataclass(frozen=True)
class SignatureHit:
    """A line some signature matched, with the source location it names, if any."""

    signature: Signature
    path: str | None
    source_line: int | None
    groups: dict[str, str]


def _hit(signature: Signature, match: re.Match[str]) -> SignatureHit:
    # Variants of one shape name their groups path, path2… since a regex cannot repeat a name.
    groups = {name: value for name, value in match.groupdict().items() if value is not None}
    path = next((value for name, value in groups.items() if name.startswith("path")), None)
    line = next((value for name, value in groups.items() if name.startswith("line")), None)
    return SignatureHit(signature, path, int(line) if line else None, groups)


# What the streaming pass looks for in raw bytes. The automaton stays fast (SIMD) only with
# a few dozen short literals, so these are fragments of the needles of the errors that can sit
# far from a step's end; a signature none of whose needles holds one of them is matched in
# step tails only. Fragments avoid spans a colour code could split ("rror", not ": error:").
# No bare "##[": the runner's sections, warnings and debug lines mean nothing to the reader
# (``MarkerKind.OTHER``), every signature of a runner line needs "##[error]", and a job
# repeats them by the hundred thousand (a third of the candidate lines of a real job's log).
SCAN_ANCHORS = (
    "rror", "RROR", "FAIL", "ailed", "ailure", "xception", "not found", "not ok",
    "No such file", "No space left", "Could not", "Couldn't", "Cannot", "cannot", "timed out",
    "Timeout", "ECONN", "ENOTFOUND", "ETIMEDOUT", "refused", "reset by peer", "resolve",
    "Killed", "emory", " 137", "JSON", "YAML", "yaml", "TOML", ".go:", "E  ", 'File "',
    "--> ", "***", "●", "✕", "✖", "✗", "npm ERR", "npm error", "panicked",
    "undefined reference", "fatal:", "exceeded", *MARKER_NEEDLES,
)  # fmt: skip


class Matcher:
    """Finds candidate lines in raw bytes, then the first signature that matches a line."""

    def __init__(
        self, signatures: Sequence[Signature] = SIGNATURES, anchors: Sequence[str] = SCAN_ANCHORS
    ) -> None:
        self.signatures = tuple(signatures)
        needles = sorted({n for sig in self.signatures for n in sig.needles})
        # Leftmost-first lets the automaton use its SIMD prefilter (GB/s); which needles a
        # candidate line holds is re-read with the overlapping text automaton below.
        self.bytes_automaton = ahocorasick_rs.BytesAhoCorasick(
            [anchor.encode() for anchor in dict.fromkeys(anchors)],
            matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST,
        )
        self._text_automaton = ahocorasick_rs.AhoCorasick(needles)
        unique = list(dict.fromkeys(anchors))
        self.endgroup_anchor = unique.index("##[endgroup]") if "##[endgroup]" in unique else -1
        by_needle: dict[str, list[int]] = {n: [] for n in needles}
        for index, sig in enumerate(self.signatures):
            for needle in sig.needles:
                by_needle[needle].append(index)
        self._by_needle = [tuple(by_needle[n]) for n in needles]
        self._needleless = tuple(i for i, sig in enumerate(self.signatures) if not sig.needles)

    def candidate_offsets(self, data: bytes | memoryview) -> list[int]:
        """Start offsets of scan anchors in raw ``data``: the lines worth a closer look."""
        return [start for _, start, _ in self.candidates(data)]

    def candidates(self, data: bytes | memoryview) -> list[tuple[int, int, int]]:
        """``(anchor index, start, end)`` of the scan anchors in raw ``data`` (leftmost first,
        not overlapping); :attr:`endgroup_anchor` is the index of ``##[endgroup]``."""
        return self.bytes_automaton.find_matches_as_indexes(data)

    def match(self, text: str, *, full: bool = False) -> SignatureHit | None:
        """The first signature (in table order) matching the cleaned line ``text``.

        ``full`` also tries the signatures without needles, which only the tail pass affords.
        """
        found = self._text_automaton.find_matches_as_indexes(text, overlapping=True)
        indexes: set[int] = set(self._needleless) if full else set()
        for needle_index, _, _ in found:
            indexes.update(self._by_needle[needle_index])
        for index in sorted(indexes):
            signature = self.signatures[index]
            match = signature.pattern.search(text)
            if match is not None:
                return _hit(signature, match)
        return None
