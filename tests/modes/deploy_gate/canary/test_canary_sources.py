"""Metric sources: the seam and the generic JSON web source, against a real HTTP server that
answers as a hostile or broken store would (slowly, with gaps, NaN/Inf, a huge or nested body, a
series relabelled mid-rollout), and credentials kept out of every output."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary import sources
from cicd_agent.modes.deploy_gate.canary.collect import fetch_samples
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, load_canary_config
from cicd_agent.modes.deploy_gate.canary.decide import judge_samples
from cicd_agent.modes.deploy_gate.canary.sources import (
    SOURCES,
    SourceError,
    SourceSettings,
    connect,
)
from cicd_agent.modes.deploy_gate.canary.sources.prometheus import PrometheusClient
from cicd_agent.modes.deploy_gate.canary.sources.web import WebSource
from tests.helpers.cli import run_cli
from tests.helpers.metric_store import Answer, Store

TOKEN = "web-store-token-4f1c9a7e2b"
END, STEP, N = 1_800_000_000.0, 60.0, 30


def series(value: Callable[[int], float | str | None]) -> list[list[object]]:
    return [[END - (N - 1 - i) * STEP, value(i)] for i in range(N)]


def web_config(url: str, metric: dict[str, object], **options: object) -> CanaryConfig:
    return CanaryConfig.model_validate(web_document(url, metric, **options))


def web_document(url: str, metric: dict[str, object], **options: object) -> dict[str, object]:
    """The canary configuration a user writes for a web store."""
    return {
        "source": {
            "type": "web",
            "url": url + "/series?q={query}&from={start}&to={end}&step={step}",
            "secrets": {"token": "METRICS_TOKEN"},
            "options": {"points": "data.points", "attempts": 1, **options},
        },
        "lookback": N * STEP,
        "step": STEP,
        "metrics": [metric],
    }


LATENCY = {"name": "p99", "kind": "gauge", "query": "p99:checkout:{track}"}


def answer_points(by_track: dict[str, list[list[object]]]) -> Answer:
    def answer(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, b'{"error": "who are you"}'
        track = query.rsplit(":", 1)[-1]
        return 200, json.dumps({"data": {"points": by_track[track]}}).encode()

    return answer


def read(config: CanaryConfig) -> sources.Source:
    assert config.source is not None
    return connect(config.source, {"token": TOKEN})


def test_every_source_in_the_table_is_a_module_with_connect() -> None:
    folder = Path(sources.__file__).parent
    files = {p.stem for p in folder.glob("*.py")} - {"__init__", "base"}
    assert {store.connect.__module__.rsplit(".", 1)[1] for store in SOURCES.values()} == files
    assert SourceSettings.model_validate("web").type == "web"
    with pytest.raises(ValueError, match="unknown"):
        CanaryConfig.model_validate({"source": "graphitee"})


def test_a_web_store_is_read_and_judged_like_prometheus(store: Callable[[Answer], Store]) -> None:
    slower = store(
        answer_points(
            {
                "baseline": series(lambda i: 0.25 + 0.01 * (i % 3)),
                "canary": series(lambda i: 0.40 + 0.01 * (i % 3)),
            }
        )
    )
    config = web_config(slower.url, LATENCY)
    assert isinstance(read(config), WebSource)  # through the table
    samples = fetch_samples(read(config), config, end=END)
    assert len(samples.baseline["p99"]) == N and samples.canary["p99"][0] == pytest.approx(0.40)
    assert judge_samples(samples, config).verdict == "rollback"
    path, headers = slower.seen[0]
    assert "q=p99:checkout:baseline" in path and headers["authorization"] == f"Bearer {TOKEN}"


def test_the_kind_is_declared_for_any_source_but_prometheus() -> None:
    with pytest.raises(UsageError, match="must declare its kind"):
        load_canary_config(
            json.dumps(
                {
                    "source": {"type": "web", "url": "http://127.0.0.1:1/q?q={query}"},
                    "metrics": [{"name": "p99", "query": "p99:{track}"}],
                }
            )
        )


def test_a_secret_in_a_variable_not_named_as_one_is_refused() -> None:
    with pytest.raises(ValueError, match="named as a secret"):
        SourceSettings(type="web", url="http://x/?q={query}", secrets={"token": "METRICS_CRED"})


def test_gaps_nan_and_inf_are_dropped_and_counted_never_a_crash(
    store: Callable[[Answer], Store],
) -> None:
    """Missing steps on one side, null, "NaN", NaN and Infinity: the judge pairs what both sides
    hold and says how many values it dropped."""
    holes = series(lambda i: 0.25)
    del holes[3:8]
    holes[10][1], holes[11][1], holes[12][1] = None, "NaN", float("inf")
    broken = store(answer_points({"baseline": series(lambda i: 0.25), "canary": holes}))
    config = web_config(broken.url, LATENCY)
    samples = fetch_samples(read(config), config, end=END)
    assert len(samples.canary["p99"]) == N - 5
    verdict = judge_samples(samples, config)
    assert verdict.metrics[0].canary.dropped == 3
    assert verdict.verdict != "rollback"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 200_000 + b"]" * 200_000,  # nested past the parser's stack
        b'{"data": {"points": [[1, 2, 3]]}}',  # a malformed point
        b'{"data": {"points": {"a": 1}}}',  # not a list
        b'{"data": []}',  # the path is missing
        b"<html>not json</html>",
    ],
)
def test_a_malformed_or_nested_body_is_a_store_failure_the_judge_does_not_promote(
    store: Callable[[Answer], Store], body: bytes
) -> None:
    hostile = store(lambda query, headers: (200, body))
    config = web_config(hostile.url, LATENCY)
    samples = fetch_samples(read(config), config, end=END)
    assert samples.error is not None and TOKEN not in samples.error
    verdict = judge_samples(samples, config)
    assert (verdict.verdict, verdict.healthy) == ("continue", False)


def test_a_huge_body_is_cut_off_not_read_whole(
    store: Callable[[Answer], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources.base, "MAX_BODY", 4096)
    huge = store(
        lambda query, headers: (200, b'{"data": {"points": [' + b"[1, 2], " * 2000 + b"[1, 2]]}}")
    )
    config = web_config(huge.url, LATENCY)
    with pytest.raises(SourceError, match="more than 4096 bytes"):
        read(config).query_range("q", start=END - 60, end=END, step=STEP)


def test_a_store_that_answers_too_slowly_times_out_into_a_blind_judgement() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        config = web_config(f"http://127.0.0.1:{silent.getsockname()[1]}", LATENCY, timeout=0.2)
        samples = fetch_samples(read(config), config, end=END)
    assert samples.error is not None and "timed out" in samples.error
    assert judge_samples(samples, config).verdict == "continue"


def test_a_series_relabelled_mid_rollout_reads_as_one_track_not_two(
    store: Callable[[Answer], Store],
) -> None:
    """Prometheus' API: the canary's pod is relabelled halfway through the window, so its query
    returns two series each covering half the steps; each step keeps its one value."""
    values = series(lambda i: 0.25 + 0.001 * i)

    def answer(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        halves = [values[: N // 2], values[N // 2 :]] if "canary" in query else [values]
        result = [
            {"metric": {"pod": f"p{k}"}, "values": [[t, str(v)] for t, v in half]}
            for k, half in enumerate(halves)
        ]
        body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
        return 200, json.dumps(body).encode()

    relabelled = store(answer)
    config = CanaryConfig.model_validate(
        {"lookback": N * STEP, "step": STEP, "metrics": [{**LATENCY, "query": 'x{t="{track}"}'}]}
    )
    samples = fetch_samples(PrometheusClient(relabelled.url), config, end=END)
    assert samples.canary["p99"] == samples.baseline["p99"]
    assert len(samples.canary["p99"]) == N


def test_credentials_reach_no_output_even_when_the_store_echoes_them(
    store: Callable[[Answer], Store], tmp_path: Path
) -> None:
    """The whole phase through the CLI: a store that echoes the credential back in its errors,
    then in its data; the token appears in no output, summary or log."""
    echo = store(
        lambda query, headers: (503, json.dumps({"error": headers.get("authorization")}).encode())
    )
    config = json.dumps(web_document(echo.url, LATENCY))
    argv = ["deploy-gate", "--phase", "canary", "--provider", "none", "--canary-config", config,
            "--canary-end", str(END)]  # fmt: skip
    done = run_cli(argv, tmp_path, {"METRICS_TOKEN": TOKEN, "METRICS_TOKEN_ORIGIN": echo.url})
    assert done.code == 3 and done.outputs["verdict"] == "continue"
    everything = done.outputs_text + done.summary + done.stdout + done.stderr
    shown = [line for line in everything.splitlines() if not line.startswith("::add-mask::")]
    assert f"::add-mask::{TOKEN}" in everything  # the runner stars it out of the log
    assert not [line for line in shown if TOKEN in line]
    assert echo.seen and echo.seen[0][1]["authorization"] == f"Bearer {TOKEN}"


def test_a_prometheus_that_echoes_the_token_in_its_error_leaks_it_nowhere(
    store: Callable[[Answer], Store], tmp_path: Path
) -> None:
    """Prometheus' errors are quoted in the reasons: the credential they echo is redacted, since
    its variable is named as a secret (the configuration refuses any other name)."""

    def echo(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        said = {"status": "error", "errorType": "internal", "error": headers.get("authorization")}
        return 500, json.dumps(said).encode()

    server = store(echo)
    config = {
        "source": {"type": "prometheus", "url": server.url, "secrets": {"token": "PROM_TOKEN"}},
        "metrics": [{**LATENCY, "query": 'x{t="{track}"}'}],
    }
    argv = ["deploy-gate", "--phase", "canary", "--provider", "none", "--canary-config",
            json.dumps(config), "--canary-end", str(END)]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PROM_TOKEN": TOKEN, "PROM_TOKEN_ORIGIN": server.url})
    assert done.code == 3 and done.outputs["healthy"] == "false"
    everything = done.outputs_text + done.summary + done.stdout + done.stderr
    assert "failed the query (HTTP 500)" in everything
    assert not [
        line for line in everything.splitlines() if TOKEN in line and "add-mask" not in line
    ]


def test_the_documented_source_example_loads() -> None:
    from tests.harness.payloads import REPO_ROOT

    text = (REPO_ROOT / "docs" / "modes" / "deploy-gate-canary.md").read_text(encoding="utf-8")
    example = re.search(r"```yml\n(source:.*?)```", text, re.DOTALL)
    assert example, "docs/modes/deploy-gate-canary.md lost its metric-source example"
    config = load_canary_config(example.group(1))
    assert config.source is not None and config.source.type == "web"
    assert config.source.secrets == {"token": "METRICS_TOKEN"}


@pytest.mark.parametrize("moved", [-86_400.0, 86_400.0], ids=["yesterday", "tomorrow"])
def test_points_outside_the_asked_window_are_no_evidence(
    store: Callable[[Answer], Store], moved: float
) -> None:
    """Attack (a broken or hostile store): the canary's query answered with points from
    another time (yesterday's, before the release; or stamped in the future), and they were
    judged as the canary's: with no step shared, the sides were paired by position and a
    canary never seen in its window was promoted. Points outside the window a read asked for
    are dropped where every source's answer is read."""
    elsewhere = [[t + moved, v] for t, v in series(lambda i: 0.25 + 0.01 * (i % 3))]
    config = web_config(
        store(
            answer_points({"baseline": series(lambda i: 0.25 + 0.01 * (i % 3)), "canary": elsewhere})
        ).url,
        LATENCY,
    )
    samples = fetch_samples(read(config), config, end=END)
    assert samples.canary["p99"] == ()
    assert judge_samples(samples, config).verdict != "promote"
