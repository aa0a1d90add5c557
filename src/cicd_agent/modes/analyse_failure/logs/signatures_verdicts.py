"""Signatures, first part: the runner, test runners' verdicts, timeouts, network, configuration.

Part of ``signatures.SIGNATURES`` (this part comes first): a line takes the first signature
that matches it, so specific shapes come before the general ones they would also match (a pip
retry warning before a network error).
"""

from __future__ import annotations

from cicd_agent.analysis.logs.model import FailureType
from cicd_agent.modes.analyse_failure.logs.signature import Signature
from cicd_agent.modes.analyse_failure.logs.signature import sig as _sig

T = FailureType

_NET_NEEDLES = (
    "resolve host", "name resolution", "not known", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET",
    "ECONNREFUSED", "ETIMEDOUT", "reset by peer", "refused", "timed out", "unreachable",
    "No route to host", "CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "handshake",
    "SSL_ERROR", "Failed to connect", "Could not connect", "i/o timeout", "socket hang up",
    "RemoteDisconnected", "Service Unavailable", "Bad Gateway", "Gateway Time",
)  # fmt: skip

VERDICT_SIGNATURES: tuple[Signature, ...] = (
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
    # ✘ opens a failed test in AVA's report and PHPUnit's testdox; the numbered headings open
    # one failed test's report in mocha's (two-space indent) and PHPUnit's (``Class::method``).
    # AVA before 4 marks it ✖, as eslint marks its count of problems and xo its rule lines
    # (``✖  18:2  …``, two spaces): those are not tests.
    _sig("test.cross", T.TEST_FAILURE, 90,
         r"^\s*(?:✘|✖) (?:\[fail\]: )?(?!\d+ problems? \(|failing tests)\S", ("✘", "✖"),
         "  ✘ [fail]: adds numbers", " ✘ Div", "  ✖ possessives and contractions ",
         before=0, after=12),
    _sig("mocha.failure", T.TEST_FAILURE, 85, r"^ {2}\d+\) \S", (") ",),
         "  1) Calculator", before=0, after=10),
    _sig("phpunit.failure", T.TEST_FAILURE, 90, r"^\d+\) [\w\\]+::\w+", ("::",),
         "1) CalcTest::testAdd", before=1, after=6),
    _sig("go.test", T.TEST_FAILURE, 90, r"^\s*--- FAIL: \S+", ("--- FAIL",),
         "--- FAIL: TestAdd (0.00s)", before=0, after=4),
    _sig("cargo.test", T.TEST_FAILURE, 90, r"^test \S+ (?:- should panic )?\.\.\. FAILED$",
         ("FAILED",), "test tests::adds ... FAILED",
         "test tests::overflow - should panic ... FAILED", before=0, after=0),
    # --- timeouts inside tools -----------------------------------------------------------------
    _sig("timeout.test", T.TIMEOUT, 92,
         r"Failed: Timeout \(?>[\d.]+s|\+{5,} Timeout \+{5,}|Exceeded timeout of \d+ ?ms"
         r"|panic: test timed out after|Test timed out in \d+ ?ms|Timeout of \d+ ?ms exceeded"
         r"|test timed out after \d+ ?ms|\bTimeoutExpired: .* timed out after",
         ("Timeout", "timed out", "timeout of"),
         "E   Failed: Timeout >2.0s",
         "    thrown: \"Exceeded timeout of 5000 ms for a test.", before=2, after=2),
    # A Go panic ends the test binary: every test after it is unreported, so it outranks them.
    _sig("go.panic", T.TEST_FAILURE, 95, r"^panic: (?!test timed out)\S", ("panic: ",),
         "panic: runtime error: invalid memory address or nil pointer dereference [recovered]",
         before=1, after=12),
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
)  # fmt: skip
