"""Datadog, Graphite, InfluxDB, New Relic and CloudWatch sources, each against a real HTTP server on
loopback answering in the store's published shape, and each given the hostile answers a store
(or whoever answers in its place) can give: another shape, NaN, a number too large for a float,
a redirect, a rejected query. Each refusal is one line and never a promote.

Where each shape comes from (the stores' public API references):
- Datadog: "Query timeseries points", v1 ``GET /api/v1/query`` (``from``/``to`` in seconds;
  ``series[].pointlist`` of ``[milliseconds, value]``; ``status``/``error``; a rejected query
  is HTTP 400 with ``{"errors": [...]}``; keys in ``DD-API-KEY``/``DD-APPLICATION-KEY``).
- Graphite: the render API's ``format=json`` (a list of ``{"target", "tags", "datapoints"}``,
  each point ``[value, seconds]``, a missing value ``null``).
- InfluxDB: the 1.x HTTP API ``/query`` with ``epoch=s`` (``results[].statement_id``,
  ``series[]`` of ``name``/``tags``/``columns``/``values``, a failed statement's ``error``),
  which 2.x serves as its v1-compatible endpoint with ``Authorization: Token``.
- New Relic: NerdGraph's NRQL tutorial (``actor.account(id).nrql(query).results``, each
  TIMESERIES bucket with ``beginTimeSeconds``/``endTimeSeconds`` and the function's value,
  ``percentile`` answering a map of percentile to value; errors in ``errors[]`` with HTTP 200)
  and NRQL's time-range page (``SINCE``/``UNTIL`` in Unix milliseconds).
- CloudWatch: the ``GetMetricData`` API reference (``MetricDataResults[]`` of ``Id``, ``Label``,
  ``Timestamps``, ``Values``, ``StatusCode``) over the AWS JSON 1.0 protocol the SDKs use for it
  (``X-Amz-Target: GraniteServiceVersion20100801.GetMetricData``, timestamps as epoch seconds,
  errors as ``{"__type", "message"}``); the signature against the Signature Version 4 test suite
  AWS publishes (``get-vanilla``, ``get-vanilla-query-order-key-case``) and the IAM
  ``ListUsers`` example of AWS's signing guide.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.collect import fetch_samples
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig
from cicd_agent.modes.deploy_gate.canary.decide import judge_samples
from cicd_agent.modes.deploy_gate.canary.sources import (
    Source,
    SourceError,
    SourceQueryError,
    cloudwatch,
    connect,
    datadog,
    graphite,
    influxdb,
    newrelic,
)
from tests.helpers.cli import run_cli
from tests.helpers.metric_store import Answer, Store

END, STEP, N = 1_800_000_000.0, 60.0, 30
KEY = "store-key-5d2e8a1f9c"
Values = Callable[[str], list[object]]
"""The values a store holds for a track (one per step, oldest first)."""


def stamps() -> list[float]:
    return [END - (N - 1 - i) * STEP for i in range(N)]


def datadog_answer(values: Values, query: str) -> object:
    pointlist = [[t * 1000, v] for t, v in zip(stamps(), values(query), strict=True)]
    series = {"metric": "checkout.p99", "scope": "track:x", "pointlist": pointlist, "interval": 60,
              "aggr": "avg", "expression": query, "length": N, "tag_set": [], "unit": None}  # fmt: skip
    return {"status": "ok", "res_type": "time_series", "series": [series], "query": query,
            "from_date": (END - N * STEP) * 1000, "to_date": END * 1000, "group_by": [],
            "message": "", "resp_version": 1}  # fmt: skip


def graphite_answer(values: Values, query: str) -> object:
    points = [[v, int(t)] for t, v in zip(stamps(), values(query), strict=True)]
    return [{"target": query, "tags": {"name": query}, "datapoints": points}]


def influxdb_answer(values: Values, query: str) -> object:
    rows = [[int(t), v] for t, v in zip(stamps(), values(query), strict=True)]
    series = {"name": "http", "tags": {"track": "x"}, "columns": ["time", "mean"], "values": rows}
    return {"results": [{"statement_id": 0, "series": [series]}]}


def newrelic_answer(values: Values, query: str) -> object:
    buckets = [
        {
            "beginTimeSeconds": int(t),
            "endTimeSeconds": int(t + STEP),
            "percentile.duration": {"99": v},
        }
        for t, v in zip(stamps(), values(query), strict=True)
    ]
    return {"data": {"actor": {"account": {"nrql": {"results": buckets}}}}}


def cloudwatch_answer(values: Values, query: str) -> object:
    asked = json.loads(query)
    expression = asked["MetricDataQueries"][0]["Expression"]
    result = {"Id": "q", "Label": "p99", "Timestamps": stamps(), "Values": values(expression),
              "StatusCode": "Complete"}  # fmt: skip
    return {"MetricDataResults": [result], "Messages": []}


@dataclass(frozen=True)
class Kind:
    """One store: its configuration, the metric's query, how it answers, the header it sends."""

    source: Callable[[str], dict[str, object]]
    query: str
    shape: Callable[[Values, str], object]
    header: tuple[str, str]
    rejected: tuple[int, object]


STORES = {
    "datadog": Kind(
        lambda url: {"type": "datadog", "url": url,
                     "secrets": {"api_key": "DD_API_KEY", "application_key": "DD_APP_KEY_SECRET"}},
        "avg:checkout.p99{track:{track}}", datadog_answer, ("dd-api-key", KEY),
        (400, {"errors": ["Error parsing query: unable to parse avg:: Rule 'scope_expr' didn't match"]}),
    ),
    "graphite": Kind(
        lambda url: {"type": "graphite", "url": url, "secrets": {"token": "GRAPHITE_TOKEN"}},
        "checkout.{track}.p99", graphite_answer, ("authorization", f"Bearer {KEY}"),
        (400, {"error": "invalid target"}),
    ),
    "influxdb": Kind(
        lambda url: {"type": "influxdb", "url": url, "secrets": {"token": "INFLUX_TOKEN"},
                     "options": {"database": "app"}},
        "SELECT mean(p99) FROM http WHERE track = '{track}' AND time > {start} AND time <= {end} "
        "GROUP BY time({step})",
        influxdb_answer, ("authorization", f"Token {KEY}"),
        (200, {"results": [{"statement_id": 0, "error": "error parsing query: found EOF"}]}),
    ),
    "newrelic": Kind(
        lambda url: {"type": "newrelic", "url": url + "/graphql",
                     "secrets": {"api_key": "NEW_RELIC_API_KEY"}, "options": {"account": 1}},
        "SELECT percentile(duration, 99) FROM Transaction WHERE appName = 'checkout-{track}'",
        newrelic_answer, ("api-key", KEY),
        (200, {"errors": [{"message": "NRQL Syntax Error: Error at line 1"}], "data": None}),
    ),
    "cloudwatch": Kind(
        lambda url: {"type": "cloudwatch", "url": url + "/", "options": {"region": "eu-west-1"},
                     "secrets": {"access_key_id": "AWS_ACCESS_KEY_ID",
                                 "secret_access_key": "AWS_SECRET_ACCESS_KEY",
                                 "session_token": "AWS_SESSION_TOKEN"}},
        "SELECT AVG(p99) FROM SCHEMA(\"App\", Track) WHERE Track = '{track}'",
        cloudwatch_answer, ("x-amz-security-token", KEY),
        (400, {"__type": "com.amazonaws.cloudwatch#InvalidParameterValueException",
               "message": "The expression is not valid"}),
    ),
}  # fmt: skip


def config(kind: Kind, url: str) -> CanaryConfig:
    return CanaryConfig.model_validate(
        {
            "source": {**kind.source(url), "options": {"attempts": 1,
                       **kind.source(url).get("options", {})}},  # type: ignore[dict-item]
            "lookback": N * STEP,
            "step": STEP,
            "metrics": [{"name": "p99", "kind": "gauge", "query": kind.query}],
        }
    )  # fmt: skip


def reader(kind: Kind, url: str) -> tuple[CanaryConfig, Source]:
    made = config(kind, url)
    assert made.source is not None
    secrets = {role: KEY for role in made.source.secrets}
    return made, connect(made.source, secrets)


def answering(kind: Kind, values: Values) -> Answer:
    def answer(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        name, wanted = kind.header
        if headers.get(name) != wanted:
            return 403, b'{"errors": ["Forbidden"]}'
        return 200, json.dumps(kind.shape(values, query)).encode()

    return answer


def slower_canary(query: str) -> list[object]:
    level = 0.40 if "canary" in query else 0.25
    return [level + 0.01 * (i % 3) for i in range(N)]


@pytest.mark.parametrize("name", STORES)
def test_each_store_is_read_in_its_published_shape_and_judged(
    name: str, store: Callable[[Answer], Store]
) -> None:
    kind = STORES[name]
    server = store(answering(kind, slower_canary))
    made, source = reader(kind, server.url)
    modules = {"datadog": datadog, "graphite": graphite, "influxdb": influxdb,
               "newrelic": newrelic, "cloudwatch": cloudwatch}  # fmt: skip
    assert type(source).__module__ == modules[name].__name__  # through the table's one line
    samples = fetch_samples(source, made, end=END)
    assert samples.error is None
    assert len(samples.canary["p99"]) == N and samples.canary["p99"][0] == pytest.approx(0.40)
    assert samples.baseline["p99"][1] == pytest.approx(0.26)
    assert judge_samples(samples, made).verdict == "rollback"
    asked = server.seen[0][0].replace("+", " ")
    if name == "datadog":
        assert f"from={int(END - N * STEP)}&to={int(END)}" in asked
    if name == "influxdb":
        assert f"time > {int(END - N * STEP)}s AND time <= {int(END)}s" in asked
        assert "time(60s)" in asked and "db=app" in asked


def test_new_relic_is_asked_its_window_in_milliseconds_through_graphql(
    store: Callable[[Answer], Store],
) -> None:
    asked: list[dict[str, object]] = []

    def answer(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        asked.append(json.loads(query))
        return answering(STORES["newrelic"], slower_canary)(query, headers)

    server = store(answer)
    _, source = reader(STORES["newrelic"], server.url)
    source.query_range("SELECT count(*) FROM Transaction", start=END - 600, end=END, step=STEP)
    variables = asked[0]["variables"]
    assert variables == {
        "account": 1,
        "nrql": f"SELECT count(*) FROM Transaction SINCE {int(END - 600) * 1000} "
        f"UNTIL {int(END) * 1000} TIMESERIES 60 seconds",
    }
    assert "nrql(query: $nrql)" in str(asked[0]["query"])


def hostile_values(query: str) -> list[object]:
    """NaN as a string, a number too large for a float (JSON reads it exactly) and a null."""
    values: list[object] = [0.25] * N
    values[4], values[5], values[6] = "NaN", 10**400, None
    return values


@pytest.mark.parametrize("name", STORES)
def test_nan_huge_and_missing_values_are_dropped_and_counted(
    name: str, store: Callable[[Answer], Store]
) -> None:
    kind = STORES[name]
    server = store(answering(kind, hostile_values))
    made, source = reader(kind, server.url)
    samples = fetch_samples(source, made, end=END)
    verdict = judge_samples(samples, made)
    assert verdict.metrics[0].canary.dropped == 3
    assert verdict.verdict != "rollback"


HOSTILE: dict[str, tuple[int, bytes, dict[str, str]]] = {
    "another shape": (200, b'{"data": {"result": []}, "series": {"a": 1}, "results": 7}', {}),
    "series a number": (200, b'{"results": [{"series": 1}], "series": 1}', {}),
    "points not pairs": (200, b'[{"datapoints": [[1, 2, 3]], "pointlist": [[1, 2, 3]]}]', {}),
    "redirect": (302, b"{}", {"Location": "http://127.0.0.1:9/elsewhere"}),
    "not json": (200, b"<html>maintenance</html>", {}),
}


@pytest.mark.parametrize("answer", HOSTILE)
@pytest.mark.parametrize("name", STORES)
def test_a_hostile_answer_is_refused_in_one_line_and_judges_nothing(
    name: str, answer: str, store: Callable[[Answer], Store]
) -> None:
    status, body, headers = HOSTILE[answer]
    server = store(lambda query, asked: (status, body))
    server.headers.update(headers)
    made, source = reader(STORES[name], server.url)
    with pytest.raises(SourceError) as refused:
        source.query_range(made.metrics[0].query_for("canary", "canary"),
                           start=END - 600, end=END, step=STEP)  # fmt: skip
    assert "\n" not in str(refused.value) and KEY not in str(refused.value)
    samples = fetch_samples(source, made, end=END)
    judged = judge_samples(samples, made)
    assert (judged.verdict, judged.healthy) == ("continue", False)


@pytest.mark.parametrize("name", STORES)
def test_a_query_the_store_rejects_is_the_configurations_to_fix(
    name: str, store: Callable[[Answer], Store]
) -> None:
    status, said = STORES[name].rejected
    server = store(lambda query, asked: (status, json.dumps(said).encode()))
    made, source = reader(STORES[name], server.url)
    with pytest.raises(SourceQueryError) as rejected:
        source.query_range(made.metrics[0].query_for("canary", "canary"),
                           start=END - 600, end=END, step=STEP)  # fmt: skip
    assert "\n" not in str(rejected.value)


@pytest.mark.parametrize("name", STORES)
def test_refused_credentials_are_a_store_failure(
    name: str, store: Callable[[Answer], Store]
) -> None:
    server = store(answering(STORES[name], slower_canary))
    made, _ = reader(STORES[name], server.url)
    assert made.source is not None
    wrong = connect(made.source, {role: "not-the-key" for role in made.source.secrets})
    with pytest.raises(SourceError, match="refused the credentials"):
        wrong.query_range(made.metrics[0].query_for("canary", "canary"),
                          start=END - 600, end=END, step=STEP)  # fmt: skip


SIGNED = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
AT = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "headers", "service", "signature"),
    [
        ("https://example.amazonaws.com/", {}, "service",
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ("https://example.amazonaws.com/?Param2=value2&Param1=value1", {}, "service",
         "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        ("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
         {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, "iam",
         "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"),
    ],
)  # fmt: skip
def test_the_cloudwatch_signature_matches_the_vectors_aws_publishes(
    url: str, headers: dict[str, str], service: str, signature: str
) -> None:
    signed = cloudwatch.sign(
        "GET", url, b"", headers, key=SIGNED, region="us-east-1", service=service, when=AT
    )
    scope = f"AKIDEXAMPLE/20150830/us-east-1/{service}/aws4_request"
    assert signed["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={scope}, ")
    assert signed["Authorization"].endswith(f", Signature={signature}")
    assert signed["x-amz-date"] == "20150830T123600Z"


def test_cloudwatch_is_asked_get_metric_data_signed_over_its_body(
    store: Callable[[Answer], Store],
) -> None:
    kind = STORES["cloudwatch"]
    server = store(answering(kind, slower_canary))
    _, source = reader(kind, server.url)
    source.query_range("SELECT AVG(p99) FROM App", start=END - 600, end=END, step=STEP)
    headers = server.seen[0][1]
    assert headers["x-amz-target"] == "GraniteServiceVersion20100801.GetMetricData"
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={KEY}/")
    assert (
        "/eu-west-1/monitoring/aws4_request, SignedHeaders=content-type;host;"
        in (headers["authorization"])
    )


@pytest.mark.parametrize("name", ["graphite", "influxdb"])
def test_a_token_beside_basic_auth_is_refused_not_one_silently_dropped(name: str) -> None:
    made = config(STORES[name], "http://127.0.0.1:9")
    assert made.source is not None
    with pytest.raises(UsageError, match="not both"):
        connect(made.source, {"token": KEY, "username": "u", "password": KEY})


def test_a_datadog_that_echoes_its_keys_in_a_rejection_leaks_them_nowhere(
    store: Callable[[Answer], Store], tmp_path: Path
) -> None:
    """The whole phase through the CLI, the keys granted to the store's origin: Datadog's
    rejection is quoted in the one-line error (exit 2), and it quotes both keys back."""

    def echo(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        said = [headers.get("dd-api-key"), headers.get("dd-application-key")]
        return 400, json.dumps({"errors": said}).encode()

    server = store(echo)
    document = {
        "source": STORES["datadog"].source(server.url),
        "metrics": [{"name": "p99", "kind": "gauge", "query": "avg:p99{track:{track}}"}],
    }
    other = "app-key-second-7e3b90a1c4"
    environ = {"DD_API_KEY": KEY, "DD_API_KEY_ORIGIN": server.url,
               "DD_APP_KEY_SECRET": other, "DD_APP_KEY_SECRET_ORIGIN": server.url}  # fmt: skip
    argv = ["deploy-gate", "--phase", "canary", "--provider", "none", "--canary-config",
            json.dumps(document), "--canary-end", str(END)]  # fmt: skip
    done = run_cli(argv, tmp_path, environ)
    assert done.code == 2 and server.seen[0][1]["dd-api-key"] == KEY
    everything = done.outputs_text + done.summary + done.stdout + done.stderr
    assert "rejected the query" in everything
    shown = [line for line in everything.splitlines() if "add-mask" not in line]
    assert not [line for line in shown if KEY in line or other in line]


def test_a_rejection_cut_to_its_quote_keeps_no_piece_of_a_key(
    store: Callable[[Answer], Store], tmp_path: Path
) -> None:
    """A rejection is quoted to 200 characters: a key the store echoes across that cut left its
    first characters in the one-line error, where no mask (which hides whole values) finds
    them. A quote ends at the last whole word before the cut."""
    said = "x" * 187 + " " + KEY  # str(["..."]) opens with 2 characters: the key starts at 190

    server = store(lambda query, headers: (400, json.dumps({"errors": [said]}).encode()))
    document = {
        "source": STORES["datadog"].source(server.url),
        "metrics": [{"name": "p99", "kind": "gauge", "query": "avg:p99{track:{track}}"}],
    }
    environ = {"DD_API_KEY": KEY, "DD_API_KEY_ORIGIN": server.url,
               "DD_APP_KEY_SECRET": "app-key-7e3b90a1c4", "DD_APP_KEY_SECRET_ORIGIN": server.url}  # fmt: skip
    argv = ["deploy-gate", "--phase", "canary", "--provider", "none", "--canary-config",
            json.dumps(document), "--canary-end", str(END)]  # fmt: skip
    done = run_cli(argv, tmp_path, environ)
    everything = done.outputs_text + done.summary + done.stdout + done.stderr
    assert done.code == 2 and "rejected the query" in everything
    shown = [line for line in everything.splitlines() if "add-mask" not in line]
    assert not [line for line in shown if KEY[:6] in line]
