"""Second attack round on the metric-source seam, by someone who did not write it: URLs that
two parsers read as two hosts, and options from a configuration a pull request may have
written that crash the run or stall it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.sources import (
    SourceError,
    SourceSettings,
    connect,
    secrets_of,
)
from cicd_agent.modes.deploy_gate.canary.sources.base import checked_url
from tests.helpers.metric_store import Answer, Store

KEY = "graphite-api-key-7d2e91c4"
END, STEP = 1_800_000_000.0, 60.0


def graphite(url: str, **options: str | int | float | bool) -> SourceSettings:
    return SourceSettings(
        type="graphite", url=url, secrets={"token": "GRAPHITE_TOKEN"}, options=options
    )


@pytest.mark.parametrize("trick", ["\\@", "\\\\@", ":1\\@"])
def test_a_url_two_parsers_read_as_two_hosts_sends_no_granted_key_to_either(
    store: Callable[[Answer], Store], trick: str
) -> None:
    """Attack (the canary configuration in the checkout): the grant was checked against the
    host ``urllib.parse`` reads (after the last ``@``), while requests sends to the host its
    own parser reads (before the ``\\``, a path to it): ``http://attacker\\@store/`` passed the
    grant of ``store`` and carried the key to ``attacker``. The grant is now checked on the
    URL as the transport will send it, and a URL the parsers read differently is refused."""
    attacker = store(lambda query, headers: (200, b"[]"))
    granted = store(lambda query, headers: (200, b"[]"))
    host = attacker.url.removeprefix("http://")
    if trick.startswith(":"):  # the attacker's port before the backslash
        host, trick = host.rsplit(":", 1)[0], f":{host.rsplit(':', 1)[1]}{trick[2:]}"
    url = f"http://{host}{trick}{granted.url.removeprefix('http://')}/"
    environ = {"GRAPHITE_TOKEN": KEY, "GRAPHITE_TOKEN_ORIGIN": granted.url}
    with pytest.raises(UsageError):
        secrets_of(graphite(url), environ)
    with pytest.raises(UsageError, match="host"):
        checked_url(url, "source graphite's url")
    assert not attacker.seen and not granted.seen


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": "soon"}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"timeout": 1e12}, "timeout"),
        ({"attempts": "many"}, "attempts"),
        ({"attempts": 0}, "attempts"),
        ({"attempts": 10**12}, "attempts"),
        ({"attempts": 2.5}, "attempts"),
    ],
)
def test_a_configurations_timeout_and_attempts_are_bounded_or_refused(
    options: dict[str, str | int | float | bool], said: str
) -> None:
    """Attack (the canary configuration): ``timeout: 0`` or ``"soon"`` crashed the run with a
    ValueError from deep in urllib3 (no exit code, a traceback), and ``timeout: 1e12`` with
    ``attempts: 10**12`` let one read wait for ever. Each is a usage error naming the option
    and its bounds, before anything is sent."""
    with pytest.raises(UsageError, match=said):
        connect(graphite("http://127.0.0.1:9", **options), {})


def test_a_configuration_within_the_bounds_is_taken() -> None:
    source = connect(graphite("http://127.0.0.1:9", timeout=2.5, attempts=2), {})
    assert (source.fetcher.timeout, source.fetcher.attempts) == (2.5, 2)  # type: ignore[attr-defined]


def test_a_store_that_never_stops_answering_is_cut_at_the_reads_deadline(
    store: Callable[[Answer], Store],
) -> None:
    """Attack (a hostile or broken store): the timeout was per socket read, so a store sending
    its body a little at a time (each piece inside the timeout) held the gate for as long as
    it liked: 16 MB at a byte per read. One read of the store now has a total deadline,
    checked as the body arrives, on a clock the test drives (no sleep)."""
    body = json.dumps([{"target": "x", "datapoints": [[1.0, END]] * 5000}]).encode()
    slow = store(lambda query, headers: (200, body))
    source = connect(graphite(slow.url, attempts=1), {})
    ticks = iter(range(10**6))
    source.fetcher.clock = lambda: float(next(ticks))  # type: ignore[attr-defined]
    source.fetcher.deadline = 3.0  # type: ignore[attr-defined]
    source.fetcher.chunk = 1024  # type: ignore[attr-defined]
    with pytest.raises(SourceError, match="deadline"):
        source.query_range("x", start=END - 600, end=END, step=STEP)


@pytest.mark.parametrize(
    ("kind", "options", "secrets", "site"),
    [
        ("datadog", {}, {"api_key": "DD_API_KEY", "application_key": "DD_APP_KEY_SECRET"},
         "https://api.datadoghq.com"),
        ("newrelic", {"account": 1}, {"api_key": "NEW_RELIC_API_KEY"}, "https://api.newrelic.com"),
        ("cloudwatch", {"region": "eu-west-1"},
         {"access_key_id": "AWS_ACCESS_KEY_ID", "secret_access_key": "AWS_SECRET_ACCESS_KEY"},
         "https://monitoring.eu-west-1.amazonaws.com"),
    ],
)  # fmt: skip
def test_a_source_at_its_default_url_is_granted_by_that_urls_origin(
    kind: str, options: dict[str, str | int], secrets: dict[str, str], site: str
) -> None:
    """The grant was checked against the configuration's ``url`` alone, so a source left at its
    documented default (``source: datadog``) was refused whatever the workflow granted, with
    the fix "Set DD_API_KEY_ORIGIN: " (empty). The default is resolved in one place, the grant
    is checked on it, and another region or site is another origin."""
    chosen = SourceSettings(type=kind, secrets=secrets, options=options)
    environ = {name: "v" for name in secrets.values()}
    granted = environ | {f"{name}_ORIGIN": site for name in secrets.values()}
    assert set(secrets_of(chosen, granted)) == set(secrets)
    moved = {"region": "us-east-1"} if kind == "cloudwatch" else {}
    elsewhere = SourceSettings(
        type=kind, secrets=secrets, options=options | moved,
        url=None if moved else "https://api.eu.example.com",
    )  # fmt: skip
    with pytest.raises(UsageError, match="_ORIGIN"):
        secrets_of(elsewhere, granted)


@pytest.mark.parametrize("moved", [-86_400.0, 86_400.0], ids=["yesterday", "tomorrow"])
def test_a_graphite_answering_another_time_gives_no_evidence(
    store: Callable[[Answer], Store], moved: float
) -> None:
    """Attack (a broken or hostile store): the canary's target answered with points from
    another time (yesterday's, before the release, or stamped in the future). Only the web
    source dropped them; the others' were judged as the canary's, paired with the baseline by
    position. Points outside the asked window are dropped where every source is read."""
    from cicd_agent.modes.deploy_gate.canary.collect import fetch_samples
    from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig
    from cicd_agent.modes.deploy_gate.canary.decide import judge_samples

    def answer(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        shift = moved if query.endswith("canary") else 0.0
        points = [[0.25 + 0.01 * (i % 3), END - i * STEP + shift] for i in range(30)]
        return 200, json.dumps([{"target": query, "datapoints": points[::-1]}]).encode()

    config = CanaryConfig.model_validate(
        {
            "source": {"type": "graphite", "url": store(answer).url, "options": {"attempts": 1}},
            "lookback": 30 * STEP,
            "step": STEP,
            "metrics": [{"name": "p99", "kind": "gauge", "query": "p99.{track}"}],
        }
    )
    assert config.source is not None
    samples = fetch_samples(connect(config.source, {}), config, end=END)
    assert samples.canary["p99"] == ()
    assert judge_samples(samples, config).verdict != "promote"
