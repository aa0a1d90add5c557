"""What one failed log can say about flakiness, and which tests failed in it.

One log cannot prove a test flaky (that needs another run: see ``history``), but some shapes
make it likely, and are what flaky-test tools look for first: a runner that re-ran a test
(pytest-rerunfailures' ``RERUN``, the ``flaky`` plugin, jest's ``retryTimes``, Playwright's
retries, Cypress attempts, surefire's ``Flakes:``, nextest's ``TRY``/``FLAKY``, rspec-retry,
gotestsum's re-runs), a failing assertion about elapsed time (:func:`timing_miss`: a test that
missed a delay, back-off or latency bound, by how much when the log says), and a network time-out
inside a test. Each becomes one line of evidence quoting the log line that showed it.

A test that asserts how long something took fails whenever the runner is slower or busier than
the machine the bound was written on, so one such failure is a sign of flakiness, not of a bug;
the smaller the miss, the stronger the sign. The check reads one failed test's report at a time:
its name (the ``FAILED``/``not ok`` line, pytest's ``____ name ____`` header, Test::More's
``Failed test 'name'``) and the lines of its failure up to the next report. It counts only when
both are there: a word about time in the name or in the failing lines, and a bound that failed
(a comparison, ``approx``, ``within``/``at most``, or a checked condition that came out false).
A miss by a small margin is not required (a busy runner can add a lot), but when the log shows
both numbers the reason says by how much, so a reader can tell 0.4 % from 400 %.

What each test runner prints of a rerun, a test's time limit, a failed test's report and every
test's run time is its own, in its folder (:attr:`~cicd_agent.runners.shape.RunnerShape.flaky`);
this module adds what tools with no runner folder print (Playwright's and Cypress's retries,
Test::More's failed test).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from cicd_agent.analysis.history import canonical_test
from cicd_agent.modes.analyse_failure.logs.test_blocks import agreed, blocks
from cicd_agent.modes.analyse_failure.logs.test_messages import Source
from cicd_agent.runners.shapes import LOG_SHAPES

MAX_EVIDENCE = 5
MAX_QUOTE = 160


def _any(patterns: Iterable[re.Pattern[str] | None]) -> re.Pattern[str]:
    """One pattern that matches where any of ``patterns`` does (None: none given)."""
    return re.compile("|".join(f"(?:{found.pattern})" for found in patterns if found is not None))


_SIGNS = [shape.flaky for shape in LOG_SHAPES]
_RERUN = _any(
    (
        *(signs.reruns for signs in _SIGNS),
        re.compile(r"\(retry #\d+\)|^\s*Retry #\d+|^\s*\d+ flaky$"),  # Playwright
        re.compile(r"\(Attempt \d+ of \d+\)"),  # Cypress
    )
)
_TIMING = re.compile(
    r"(?i)\b(?:assert|expect|should)\b.*\b(?:elapsed|duration|took|latency|runtime|time_?taken"
    r"|timing|seconds|millis)\w*\b.*(?:<|>|less|greater|below|above|within)"
    r"|\b(?:elapsed|duration|took|latency)\w*\s*(?:[<>]=?|was|of)\s*\d"
    r"|\bassert(?:Less|Greater)(?:Equal)?\(\s*(?:elapsed|duration|took|latency|runtime)"
    r"|DeadlineExceeded|Flaky: Hypothesis|\bshould (?:have )?timed? ?out\b"
    r"|\bexpected .* to (?:be )?(?:less|greater) than\b.*\bm?s\b"
)
_NETWORK = re.compile(
    r"\b(?:ReadTimeout|ConnectTimeout|ConnectTimeoutError|ReadTimeoutError|socket\.timeout"
    r"|TimeoutError|ConnectionError|ConnectionResetError|ConnectionRefusedError"
    r"|RemoteDisconnected|ETIMEDOUT|ECONNRESET|ECONNREFUSED|EAI_AGAIN|ENOTFOUND"
    r"|SocketTimeoutException|ConnectException|UnknownHostException)\b"
    r"|Max retries exceeded with url|Temporary failure in name resolution|timed out"
    r"|Read timed out|connect(?:ion)? timed out|socket hang up|i/o timeout"
)
TEST_TIMEOUT = _any(signs.timed_out for signs in _SIGNS)
"""A runner's line saying one test ran past its own time limit (mocha's ``Timeout of 2000ms
exceeded``), printed once in each such test's report."""
_TEST_CONTEXT = _any(signs.report_line for signs in _SIGNS)


def _quote(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def offline_evidence(
    lines: Iterable[str],
    *,
    test_failure: bool,
    failed_tests: int = 0,
    source: Source | None = None,
) -> tuple[str, ...]:
    """Why the failure in ``lines`` (a failed step's text) is likely flaky, if it is.

    Timing and network shapes count only in a test's failure (``test_failure``, and on a line
    of a test's report): a network error while installing is infrastructure, not a flaky test.
    A test past its time limit counts only where every one of the ``failed_tests`` the runner
    reported did so: beside a test that failed its assertion, a slow one does not make the
    run's failure a matter of luck.
    """
    lines = list(lines)
    timed_out = sum(1 for text in lines if TEST_TIMEOUT.search(text))
    found: dict[str, str] = {}
    retried = step_retry_verdict(lines)
    if retried:
        names = ", ".join(repr(_quote(test, 120)) for test in retried[:MAX_EVIDENCE])
        found["step retry"] = (
            f"cicd-agent's test step saw {names} fail on the first run and "
            "pass on a retry (its closing summary in this log)"
        )
    if test_failure:
        miss = timing_miss(lines, source)
        if miss is not None:
            found["timing"] = miss.reason()
    for text in lines:
        if "rerun" not in found and _RERUN.search(text):
            found["rerun"] = f"the test runner re-ran a test ({_quote(text)!r})"
        if not test_failure:
            continue
        if "time limit" not in found and timed_out >= failed_tests and TEST_TIMEOUT.search(text):
            found["time limit"] = f"a test ran past its time limit ({_quote(text)!r})"
        if not _TEST_CONTEXT.search(text):
            continue
        if "timing" not in found and _TIMING.search(text):
            found["timing"] = f"the failing assertion depends on timing ({_quote(text)!r})"
        elif "network" not in found and _NETWORK.search(text):
            found["network"] = (
                f"a network call timed out or failed inside a test ({_quote(text)!r})"
            )
        if len(found) == 4:
            break
    return tuple(found.values())[:MAX_EVIDENCE]


def own_evidence(
    lines: Sequence[str],
    tests: Sequence[str],
    *,
    test_failure: bool,
    source: Source | None = None,
) -> dict[str, tuple[str, ...]]:
    """Each of the failed ``tests`` → why it is likely flaky, from its own report alone (the
    lines under its header, :func:`offline_evidence` on them) and the test step's summary naming
    it as passed on a retry: never another failed test's timing bound or draw, so a test that
    fails by order beside one that fails by chance is not called flaky for it. A report whose
    header could be more than one of ``tests`` (the same short name) is no one's evidence, nor
    what only some of one test's reports say (:func:`~.test_blocks.agreed`)."""
    found: dict[str, list[str]] = {}
    keys = {test: canonical_test(test) for test in tests}
    said: list[tuple[tuple[int, str], tuple[str, ...]]] = []
    for kind, name, block in blocks(lines):
        short = canonical_test(name)
        owners = [t for t, key in keys.items() if key == short or key.endswith(f".{short}")]
        if len(owners) == 1:
            evidence = offline_evidence(
                block, test_failure=test_failure, failed_tests=1, source=source
            )
            said.append(((kind, owners[0]), evidence))
    for (_, owner), evidence in agreed(said).items():
        found.setdefault(owner, []).extend(evidence)
    retried = {canonical_test(test) for test in step_retry_verdict(lines)}
    for test, key in keys.items():
        if key in retried:
            found.setdefault(test, []).append(
                f"cicd-agent's test step saw {_quote(test, 120)!r} fail on the first run and pass "
                "on a retry (its closing summary in this log)"
            )
    return {test: tuple(dict.fromkeys(said))[:MAX_EVIDENCE] for test, said in found.items()}


_STEP_PROGRESS = re.compile(r"^test-step \[\s*\d+\.\ds\] (?P<what>.*)$")
_STEP_RETRY = re.compile(r"^\s*retry \d+ of \d+: running the [\d,]+ failed test\(s\) again$")
_STEP_FLAKY = re.compile(
    r"^- flaky: `?(?P<test>[^`]+?)`?: failed on the first run, passed on retry \d+"
)


def step_retry_verdict(lines: Sequence[str]) -> tuple[str, ...]:
    """The tests cicd-agent's test step said failed, then passed on a retry, in its summary.

    Its words and its progress prefix (``test-step [  4.1s]``) are plain text a test can print
    too, so only the step's last word counts: the summary after its last progress line, that
    line its ``publish:`` one, with a retry of its own above it. The step prints its own
    ``analyse:`` and ``publish:`` lines and its summary only after the test command ended, and
    it runs code GitHub does not vouch for in a sandbox whose processes all end with that
    command: a summary such a test printed is always followed by the step's real progress
    lines, so it is never the last word. (Vouched-for code runs on the host, where a process
    its tests leave running could print later; its writers could push the change anyway.)
    The evidence is read as likely, never as proof.
    """
    progress = [(i, found) for i, text in enumerate(lines) if (found := _STEP_PROGRESS.match(text))]
    if not progress or not progress[-1][1]["what"].startswith("publish: "):
        return ()
    last = progress[-1][0]
    if not any(_STEP_RETRY.match(found["what"]) for _, found in progress[:-1]):
        return ()
    closing = lines[last + 1 :]
    if "cicd-agent test-step" not in (text.strip() for text in closing):
        return ()
    return tuple(dict.fromkeys(m["test"] for text in closing if (m := _STEP_FLAKY.match(text))))


SMALL_MARGIN = 0.5
"""A miss up to half the bound is called small in the reason."""

_TIME_WORDS = re.compile(
    r"(?i)(?<![a-z])(?:time|timed|timer|timing|elapsed|duration|latency|latencies|delay(?:ed|s)?"
    r"|back-?off|backoff|timeout|deadline|wait(?:ed|s|ing)?|sleep|throttl\w*|rate.?limit\w*"
    r"|debounc\w*|p9[059]|ms|millis(?:econds)?|seconds?|secs?|monotonic|perf_counter"
    r"|stopwatch)(?![a-z])"
)
_NUM = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"
_OPERAND = rf"(?:\(\s*{_NUM}\s*-\s*{_NUM}\s*\)|{_NUM})"
_COMPARISONS = (
    # pytest: ``E   assert 0.1405 <= 0.14``, ``assert (2.05 - 1.87) >= 0.2``,
    # ``0.105 == 0.1 ± 0.003``
    re.compile(rf"\bassert (?P<a>{_OPERAND}) (?P<op><=|<|>=|>) (?P<b>{_OPERAND})\s*$"),
    re.compile(rf"\bassert (?P<a>{_OPERAND}) == (?P<b>{_NUM}) ± {_NUM}\s*$"),
    # unittest: ``AssertionError: 0.021 not less than 0.001``. The look-behind starts a number
    # only where one starts: tried from every digit of a long run, the search was quadratic.
    re.compile(
        rf"(?<![\d.])(?P<a>{_NUM}) not (?P<op>less|greater) than (?:or equal to )?"
        rf"(?P<b>{_NUM})"
    ),
    # A test's own duration check: ``Duration of 1203 ms is not close to expected duration
    # 1000 ms`` (the measure and the bound in words, no operator).
    re.compile(
        rf"(?<![\d.])(?P<a>{_NUM}) ?ms is not close to (?:the )?expected (?:duration )?"
        rf"(?P<b>{_NUM}) ?ms"
    ),
    # vitest/chai: ``expected 165 to be less than 100``
    re.compile(
        rf"expected (?P<a>{_NUM}) to be (?:(?P<op>less|greater|below|above) (?:than )?"
        rf"(?:or equal to )?)(?P<b>{_NUM})"
    ),
)
_CMP_OK = re.compile(rf"^#\s+'(?P<n>{_NUM})'\s*$|^#\s+(?P<op><=|<|>=|>)\s*$")
"""Test::More's ``cmp_ok`` diagnostics: got, the operator and the bound on three lines."""
_BOUND_WORDS = re.compile(
    r"(?i)(?:(?<=\S) [<>]=? |\bapprox\b|±|\bwithin\b|\bat (?:most|least)\b|\bunder\b"
    r"|\bbelow\b|\babove\b|\bexceed\w*|\bless than\b|\bgreater than\b|\bbudget\b"
    r"|toBeLessThan|toBeGreaterThan"
    r"|\bassertLess|\bassertGreater|\bactual: false\b)"
)
_CLOCK_NOISE = _any(signs.clock for signs in _SIGNS)
"""What runners print about every test's run time (TAP's ``duration_ms``, jest's ``(3 ms)``,
pytest's closing line): it says nothing of what the test checked."""


_RANDOM_DRAW = re.compile(
    r"\brandom\.(?:random|randint|randrange|uniform|choices?|sample|shuffle|gauss|getrandbits)\b"
    r"|\brand\.(?:Float32|Float64|Int|Intn|Int31n|Int63|Int63n|Perm|Shuffle|New|NewSource)\b"
    r"|\bMath\.random\b|\brand::(?:random|thread_rng)\b|\bthread_rng\(\)"
    r"|\b(?:subsec_nanos|UnixNano|Nanosecond|nanoTime|hrtime|Date\.now)\(\)[^;]{0,20}%"
)
"""A value drawn at random in a failed test's report (its source line as pytest prints it), or
in its own source: its check passes or fails by chance, whatever words about time sit beside
it. A clock's fine digits taken modulo a number are a draw too (``subsec_nanos() % 4``), and so
is a value read from the clock that the failed check draws from (:func:`_clock_drawn`)."""
_CLOCK_VALUE = re.compile(
    r"\b(?P<name>[A-Za-z_]\w*)\s*(?::\s*[\w<>]+\s*)?:?=[^=;]*?\b"
    r"(?P<call>subsec_(?:nanos|micros|millis)|Nanosecond|UnixNano|nanoTime|hrtime|Date\.now)\("
)
"""A value read from the clock into a name (``let nanos = …subsec_nanos();``, ``n :=
time.Now().UnixNano()``): a draw where the failed check takes it modulo a number, or, for a
fraction of the current second, uses it at all; a clock read to time something is none."""
_FRACTION = ("subsec_nanos", "subsec_micros", "subsec_millis", "Nanosecond")
_PLACE = re.compile(
    r"(?<![\w./-])(?P<file>[\w./-]{1,300}\.(?:go|js|cjs|mjs|ts|cts|mts|jsx|tsx|rs|java|kt|rb|cs)):"
    r"(?P<line>\d{1,7})\b"
)
"""A place in a test's source its report names (``cache_test.go:29:``, ``(test/cache.js:21:12)``,
``panicked at tests/cache.rs:34:5:``): runners that print no source line print this. It starts
where no path character stands before it, so a long line is searched once, not from each of its
characters (100 reports of 20 lines of 8 KiB: 55 CPU-s before, under a second now)."""
_TEST_START = re.compile(
    r"^\s*(?:func\s+Test|(?:pub\s+)?(?:async\s+)?fn\s|#\[test\]|(?:it|test)\s*\(|@Test\b"
    r"|(?:public\s+)?void\s+test)"
)
READ_BACK = 40
"""Lines of a test's source read up from the place its report names, at most, to its start."""
MAX_PLACES = 3
"""Places of one test's report whose source is read, at most."""


@dataclass(frozen=True)
class TimingMiss:
    """A failed test that checked a bound on time, and the numbers when the log shows them."""

    test: str
    line: str
    got: float | None = None
    bound: float | None = None

    chance: bool = False
    """The check is of a value drawn at random, not of a time."""
    in_source: bool = False
    """The draw was read from the test's source in the checkout, not from the log."""

    def reason(self) -> str:
        """Why the test looks flaky, with the margin: how far past the bound the measure was,
        as a fraction of the bound, when the log shows both."""
        if self.chance:
            where = " in its own source" if self.in_source else ""
            return (
                f"test {self.test!r} checks a value drawn at random{where} and failed: chance "
                f"decides it ({self.line!r})"
            )
        got, bound = self.got, self.bound
        margin = abs(got - bound) / abs(bound) if got is not None and bound else None
        if margin is None:
            how = "checks a bound on time and failed"
        elif margin <= SMALL_MARGIN:
            how = (
                f"misses a bound on time by a small margin ({self.got:g} against "
                f"{self.bound:g}, {margin:.1%})"
            )
        else:
            how = f"misses a bound on time ({self.got:g} against {self.bound:g})"
        return f"test {self.test!r} {how}: timing varies on a shared runner ({self.line!r})"


def _operand(text: str) -> float:
    parts = re.findall(_NUM, text.replace(" - ", " ~ "))
    return float(parts[0]) - float(parts[1]) if len(parts) == 2 else float(parts[0])


def _numbers(block: Sequence[str]) -> tuple[float, float, str] | None:
    """The measure, the bound and the line saying so, if the report shows a numeric comparison."""
    cmp_ok: list[str] = []
    for text in block:
        body = text.strip()
        for pattern in _COMPARISONS:
            match = pattern.search(body)
            if match is not None:
                return _operand(match["a"]), _operand(match["b"]), body
        found = _CMP_OK.match(body)
        if found is not None:
            cmp_ok.append(found["n"] or found["op"])
            if len(cmp_ok) == 3 and cmp_ok[1] in ("<", "<=", ">", ">="):
                return float(cmp_ok[0]), float(cmp_ok[2]), " ".join(cmp_ok)
        elif cmp_ok:
            cmp_ok = []
    return None


def _bound_on_time(name: str, block: Sequence[str]) -> bool:
    """Whether one line of the report (or the test's name with one) states a bound on time: a
    time word and a bound word together. Apart they are a test that uses a clock and a
    comparison somewhere, which a plain break shows too (``timer = Timer()`` in its source,
    ``if size < 2:`` three lines down)."""
    named = bool(_TIME_WORDS.search(name))
    return any(_BOUND_WORDS.search(text) and (named or _TIME_WORDS.search(text)) for text in block)


_Draws = dict[tuple[str, int], str | None]
"""Each place a failed test's report named (file, line) → the draw read up from it, if any."""


def _drawn_in_source(
    block: Sequence[str], source: Source, seen: _Draws | None = None
) -> str | None:
    """The line of the failed test's own source that draws a value at random, read from the
    checkout up from a place its report names to the test's start (go test, mocha and cargo
    print no source line); None where none does or the checkout holds no such file. ``seen``:
    the places the log's other failed tests named, read once for all of them (a thousand
    failures at one line of a file of long lines read up through the same lines)."""
    seen = {} if seen is None else seen
    places = islice((match for text in block for match in _PLACE.finditer(text)), MAX_PLACES)
    for place in places:
        where = (place["file"], int(place["line"]))
        if where not in seen:
            seen[where] = _drawn_above(*where, source)
        if seen[where] is not None:
            return seen[where]
    return None


def _drawn_above(file: str, number: int, source: Source) -> str | None:
    """The draw read up from line ``number`` of ``file`` to its test's start, if any."""
    checked = source(file, number) or ""
    for at in range(number, max(number - READ_BACK, 0), -1):
        line = source(file, at)
        if line is None:
            break
        if _RANDOM_DRAW.search(line) or _clock_drawn(line, checked):
            return f"{file}:{at}: {line.strip()}"
        if _TEST_START.search(line):
            break
    return None


def _clock_drawn(line: str, checked: str) -> bool:
    """Whether ``line`` reads the clock into a name the failed check ``checked`` draws from
    (:data:`_CLOCK_VALUE`)."""
    read = _CLOCK_VALUE.search(line)
    if read is None or not re.search(rf"\b{re.escape(read['name'])}\b", checked):
        return False
    modulo = re.search(rf"\b{re.escape(read['name'])}\s*%", checked) is not None
    return modulo or read["call"] in _FRACTION


def timing_miss(lines: Sequence[str], source: Source | None = None) -> TimingMiss | None:
    """The first failed test in ``lines`` that missed a bound on time, if any did, or checked a
    value drawn at random (said so: a comment about timing beside ``random.random() < 0.6``
    makes it no bound on time), in its report or, by ``source`` (the checkout's lines), in
    its own source. A test's miss counts where each of its reports shows it
    (:func:`~.test_blocks.agreed`)."""
    seen: _Draws = {}
    said = [
        ((kind, name), _missed(name, report, source, seen)) for kind, name, report in blocks(lines)
    ]
    kept = agreed(said)
    return next((kept[key][0] for key, _ in said if kept[key]), None)


def _missed(
    name: str, report: Sequence[str], source: Source | None, seen: _Draws
) -> tuple[TimingMiss, ...]:
    """The bound on time one failed test's ``report`` shows it missed, or its draw, if any."""
    # the runner's own time limit is not a bound the test checks (its rule is apart)
    kept = [t for t in report if not _CLOCK_NOISE.search(t) and not TEST_TIMEOUT.search(t)]
    block = kept or list(report[:1])
    drawn = next((text.strip() for text in block if _RANDOM_DRAW.search(text)), None)
    if drawn is not None:
        return (TimingMiss(name.strip(), _quote(drawn, 120), chance=True),)
    read = _drawn_in_source(block, source, seen) if source is not None else None
    if read is not None:
        return (TimingMiss(name.strip(), _quote(read, 120), chance=True, in_source=True),)
    if not _TIME_WORDS.search(name + "\n" + "\n".join(block)):
        return ()
    numbers = _numbers(block)
    if numbers is None and not _bound_on_time(name, block):
        return ()
    got, bound, line = numbers if numbers else (None, None, block[0].strip())
    return (TimingMiss(name.strip(), _quote(line, 120), got, bound),)
