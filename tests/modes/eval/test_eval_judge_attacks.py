"""What a head's promptfoo config may try, beyond routing the key: move its own judge (weaken
the asserts of the cases its prompt breaks, or rename or drop those cases), crash the run with
ordinary YAML values that are not JSON, fill the host's memory with prompts made of one large
file, or reach the key through promptfoo's ``env`` templating and its other places to name a
provider. The gate's figures are the evidence a reader merges on: a head may change its suite,
but a change it made to its own judge is never a pass."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterable
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.bounded_yaml import load_text as load_yaml
from cicd_agent.modes.eval.cases import Suite
from cicd_agent.modes.eval.checks import judge, read_checks
from cicd_agent.modes.eval.config import Reader
from cicd_agent.modes.eval.source import Commit
from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest
from tests.helpers.cli import CliRun, run_cli
from tests.modes.eval.conftest import Repo

CONFIG = "evals/promptfooconfig.yaml"


def suite_text(prefix: str, cases: Iterable[int], *, value: str = "right", kind: str = "icontains",
               renamed: frozenset[int] = frozenset()) -> str:  # fmt: skip
    tests = "".join(
        f"  - description: case {i}{' (reworded)' if i in renamed else ''}\n"
        f"    vars: {{n: {i}}}\n"
        f"    assert:\n      - type: {kind}\n        value: {value}\n"
        for i in cases
    )
    return (f"prompts: ['{prefix}Question {{{{n}}}}']\n"
            f"providers: [{{id: 'openai:chat:local-model'}}]\ntests:\n{tests}")  # fmt: skip


def broken_by_v2(request: RecordedRequest) -> float:
    """The base's prompt is answered right; the head's ``v2`` prompt breaks every third case."""
    text = request.text()
    number = int(text.rsplit(" ", 1)[-1])
    return 0.0 if text.startswith("v2 ") and number % 3 == 0 else 1.0


def run(
    repo: Repo, base: str, head: str, server: ModelServer, tmp_path: Path, *extra: str
) -> CliRun:
    return run_cli(
        ["eval", "--repo", str(repo.root), "--base", base, "--head", head, "--provider",
         "openai", "--base-url", server.base_url, "--config", CONFIG, "--json", *extra],
        tmp_path, {"OPENAI_API_KEY": TEST_API_KEY},
    )  # fmt: skip


def verdict(done: CliRun) -> str:
    line = next(line for line in done.stdout.splitlines() if line.startswith("{"))
    return str(json.loads(line)["verdict"])


def test_attack_the_head_cannot_weaken_the_asserts_of_the_cases_it_breaks(
    repo: Repo, model_server: ModelServer, tmp_path: Path
) -> None:
    """The head's prompt breaks a third of 150 cases; the same head also rewrites every
    assert to one no answer fails (``not-icontains`` of a word never said). The asserts are
    the team's judge: judged by the head's own, the head passed."""
    base = repo.commit({CONFIG: suite_text("", range(150))})
    control = repo.commit({CONFIG: suite_text("v2 ", range(150))})
    head = repo.commit({CONFIG: suite_text("v2 ", range(150), value="zzz-never-said",
                                           kind="not-icontains")})  # fmt: skip
    model_server.answer_noisily(broken_by_v2, right="right", wrong="wrong")
    kept = run(repo, base, control, model_server, tmp_path, "--repeats", "1")
    assert verdict(kept) == "regressed", kept.stderr  # the break, with the team's asserts
    weakened = run(repo, base, head, model_server, tmp_path, "--repeats", "1")
    assert weakened.code in (0, 1), weakened.stderr
    assert verdict(weakened) != "passed"


def test_attack_the_head_cannot_rename_or_drop_the_cases_it_breaks(
    repo: Repo, model_server: ModelServer, tmp_path: Path
) -> None:
    """The head's prompt breaks every third of 150 cases and rewords those cases'
    descriptions (so they pair with nothing); a second head drops them. Cases of one side only
    were listed and not counted: the 100 untouched ones passed the gate."""
    broken = frozenset(range(0, 150, 3))
    base = repo.commit({CONFIG: suite_text("", range(150))})
    renamed = repo.commit({CONFIG: suite_text("v2 ", range(150), renamed=broken)})
    dropped = repo.commit({CONFIG: suite_text("v2 ", [i for i in range(150) if i not in broken])})
    model_server.answer_noisily(broken_by_v2, right="right", wrong="wrong")
    for head in (renamed, dropped):
        done = run(repo, base, head, model_server, tmp_path, "--repeats", "1")
        assert done.code in (0, 1), done.stderr
        assert verdict(done) != "passed", head


def read(repo: Repo, config: str, files: dict[str, str] | None = None) -> Suite:
    sha = repo.commit({"promptfooconfig.yaml": config, **(files or {})})
    return Reader(Commit(repo.checkout(), sha), "promptfooconfig.yaml", None).suite()


@pytest.mark.parametrize(
    "config",
    ["prompts: ['Q {{d}}']\nproviders: [openai:chat:m]\ntests: [{vars: {d: 2024-01-01}}]\n",
     "prompts: ['Q {{d}}']\nproviders: [openai:chat:m]\ntests: [{vars: {d: !!binary aGk=}}]\n",
     "prompts: ['Q {{d}}']\nproviders: [openai:chat:m]\ntests: [{vars: {d: !!set {a, b}}}]\n",
     "prompts: ['Q {{d}}']\nproviders: [openai:chat:m]\ntests: [{vars: {d: {1: a, b: c}}}]\n",
     "prompts: [Q]\nproviders: [{id: 'openai:chat:m', config: {stop: [2024-01-01]}}]\n"
     "tests: [{description: s}]\n"],
)  # fmt: skip
def test_attack_yaml_values_that_are_not_json_never_crash_the_reader(
    repo: Repo, config: str
) -> None:
    """A date (``2024-01-01`` unquoted), ``!!binary``, ``!!set`` or a mapping with a number and
    a word as keys: ordinary YAML. Before: the reader's case key or a request's JSON raised
    TypeError, and the run ended as a bug of cicd-agent (exit 3)."""
    try:
        suite = read(repo, config)
    except UsageError as refused:
        assert "\n" not in str(refused)
        return
    assert suite.cases
    for case in suite.cases:
        assert case.error or case.messages
        json.loads(case.request())


@pytest.mark.parametrize("threshold", [".nan", ".inf", "-.inf", "1e400"])
def test_attack_a_levenshtein_threshold_that_is_no_number_never_crashes_the_judge(
    threshold: str,
) -> None:
    """``threshold: .nan`` passed the check against the largest edit limit (NaN compares false)
    and then ``int(nan)`` raised while the answers were judged, after every request was paid."""
    asserts = load_yaml(f"[{{type: levenshtein, value: abc, threshold: {threshold}}}]\n")
    assert isinstance(asserts, list)
    checks, error = read_checks(asserts, {})
    if error:
        assert "\n" not in error
        return
    for check in checks:
        assert judge(check, "abd") in (True, False)


def test_attack_one_large_file_in_every_prompt_stays_within_a_bound(repo: Repo) -> None:
    """One file of a megabyte (one blob, however many names) put into the prompt of 400 cases
    made 400 MB of prompts in memory, 5 GB at the reader's 5,000 cases, each also sent to the
    model on the job's key. The reader keeps its prompts bounded, or refuses in one line."""
    numbers = ", ".join(str(i) for i in range(400))
    config = ("prompts: ['{{big}} {{n}}']\nproviders: [openai:chat:m]\n"
              f"tests: [{{vars: {{big: file://big.txt, n: [{numbers}]}}}}]\n")  # fmt: skip
    sha = repo.commit({"promptfooconfig.yaml": config, "big.txt": "a" * (1024 * 1024 - 64)})
    tracemalloc.start()
    try:
        try:
            suite = Reader(Commit(repo.checkout(), sha), "promptfooconfig.yaml", None).suite()
        except UsageError as refused:
            assert "\n" not in str(refused)
            suite = None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 128 * 1024 * 1024, f"{peak / 2**20:.0f} MB"
    if suite is not None:
        sent = sum(len(text) for case in suite.cases for _, text in case.messages)
        assert sent < 128 * 1024 * 1024


def test_attack_env_templating_and_every_other_provider_place_never_reach_the_key(
    repo: Repo, model_server: ModelServer, tmp_path: Path
) -> None:
    """promptfoo fills ``{{ env.NAME }}`` anywhere in a config, and takes a provider from
    ``defaultTest.options``, a test's ``options`` or ``provider`` and an assert's ``provider``.
    None of it may put the key in a request or send anything to the config's endpoint."""
    elsewhere = ModelServer().start()
    try:
        theirs = (
            f"{{id: 'openai:chat:local-model', config: {{apiBaseUrl: '{elsewhere.base_url}'}}}}"
        )
        head_config = (
            "prompts: ['Say {{env.OPENAI_API_KEY}} {{ env.GITHUB_TOKEN }} {{n}}']\n"
            f"providers: [{theirs}]\n"
            f"defaultTest: {{options: {{provider: {theirs}}}}}\n"
            "tests:\n"
            f"  - description: graded\n    vars: {{n: '{{{{env.OPENAI_API_KEY}}}}'}}\n"
            f"    provider: {theirs}\n    options: {{provider: {theirs}}}\n"
            "    assert:\n"
            f"      - {{type: llm-rubric, value: 'says {{{{env.OPENAI_API_KEY}}}}', provider: {theirs}}}\n"
            "      - {type: icontains, value: '{{env.OPENAI_API_KEY}}'}\n"
        )
        base = repo.commit({CONFIG: suite_text("", range(3))})
        head = repo.commit({CONFIG: head_config})
        model_server.answer_noisily(lambda _: 1.0, right="right")
        done = run(repo, base, head, model_server, tmp_path, "--repeats", "1")
        assert done.code in (0, 1, 2), done.stderr
        assert elsewhere.chat_requests == []
        assert {r.authorization for r in model_server.chat_requests} <= {f"Bearer {TEST_API_KEY}"}
        assert TEST_API_KEY not in model_server.all_prompt_text()
        assert TEST_API_KEY not in done.stdout + done.summary
    finally:
        elsewhere.stop()


def test_attack_answers_planted_in_a_cache_dir_in_the_checkout_are_never_read(
    repo: Repo, model_server: ModelServer, tmp_path: Path
) -> None:
    """The cache's file names are hashes of the endpoint, the request and the sample, all of
    which a pull request knows. With ``cache-dir`` in the checkout, the head commits an answer
    that passes for each of its requests: its broken prompt was never asked and it passed."""
    base = repo.commit({CONFIG: suite_text("", range(150))})
    head = repo.commit({CONFIG: suite_text("v2 ", range(150))})
    model_server.answer_noisily(broken_by_v2, right="right", wrong="wrong")
    outside = tmp_path / "cache"
    first = run(repo, base, head, model_server, tmp_path, "--repeats", "1", "--cache-dir",
                str(outside))  # fmt: skip
    assert verdict(first) == "regressed", first.stderr
    planted = repo.root / ".eval-cache"
    planted.mkdir()
    for kept in outside.iterdir():
        (planted / kept.name).write_text(json.dumps({"answer": "right"}))
    asked = len(model_server.chat_requests)
    done = run(repo, base, head, model_server, tmp_path, "--repeats", "1", "--cache-dir",
               str(planted))  # fmt: skip
    if done.code == 2:
        assert "is in the checkout" in done.stderr
        return
    assert verdict(done) == "regressed", done.stderr
    assert len(model_server.chat_requests) > asked
