"""Attacks on the metric-source seam by someone who did not write it: where a credential may
travel (a redirect to another host, a configuration that names another secret or another host)
and what the store's answers may make the judge say."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.sources import (
    SourceError,
    SourceSettings,
    base,
    connect,
    secrets_of,
)
from tests.helpers.metric_store import Answer, Store

TOKEN = "web-store-token-4f1c9a7e2b"
OTHER = "the-deploy-jobs-own-secret-93b1e07c"
END, STEP, N = 1_800_000_000.0, 60.0, 30


def points(value: Callable[[int], object]) -> bytes:
    pairs = [[END - (N - 1 - i) * STEP, value(i)] for i in range(N)]
    return json.dumps({"data": {"points": pairs}}).encode()


def settings(url: str, secrets: dict[str, str]) -> SourceSettings:
    return SourceSettings(
        type="web",
        url=url + "/series?q={query}&from={start}&to={end}",
        secrets=secrets,
        options={"points": "data.points", "attempts": 1},
    )


def test_a_redirect_to_another_host_carries_no_credential_and_reads_nothing(
    store: Callable[[Answer], Store],
) -> None:
    """Attack: the store (or whoever answers in its place on plain http) answers 302 to a host
    of its choosing. requests drops ``Authorization`` on such a redirect but keeps every other
    header, so an API-key header would be handed to the new host, and its answer judged as the
    store's. No redirect is followed: the read fails, naming the redirect."""
    elsewhere = store(lambda query, headers: (200, points(lambda i: 0.1)))
    mover = store(lambda query, headers: (302, b"{}"))
    port = elsewhere.url.rsplit(":", 1)[1]
    mover.headers["Location"] = f"http://localhost:{port}/series?q=x"
    source = connect(
        settings(mover.url, {"header:X-Api-Key": "METRICS_API_KEY"}), {"header:X-Api-Key": TOKEN}
    )
    with pytest.raises(SourceError, match="redirect"):
        source.query_range("p99:canary", start=END - N * STEP, end=END, step=STEP)
    assert not elsewhere.seen, "the redirect was followed"


@pytest.mark.parametrize(
    "variable", ["GITHUB_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "AWS_SECRET_ACCESS_KEY"]
)
def test_a_configuration_cannot_send_the_jobs_other_secrets_to_a_host_it_names(
    variable: str,
) -> None:
    """Attack (a canary-config file in the checkout, or ``deploy-gate: canary-config`` in the
    repository's settings file, planted by an earlier pull request): the configuration names
    both the store's URL and the variables its credentials are read from, so one line would
    send any secret-named variable of the deploy job (its GitHub token, the OIDC request
    token, the cloud keys a configure-credentials step exported) to a host of the author's
    choosing. Where a credential goes is the workflow's to say, as prometheus-url is: a
    variable is read only with a grant of the workflow beside it (``VAR_ORIGIN``) naming the
    store's origin, and refused, naming the grant, otherwise."""
    chosen = settings("https://metrics.attacker.example", {"token": variable})
    with pytest.raises(UsageError, match=f"{variable}_ORIGIN"):
        secrets_of(chosen, {variable: OTHER})
    granted_elsewhere = {variable: OTHER, f"{variable}_ORIGIN": "https://metrics.example.com"}
    with pytest.raises(UsageError, match=re.escape("https://metrics.example.com:443")):
        secrets_of(chosen, granted_elsewhere)


def test_a_granted_credential_is_read_for_its_own_origin_only() -> None:
    environ = {"METRICS_TOKEN": TOKEN, "METRICS_TOKEN_ORIGIN": "https://Metrics.Example.com:443"}
    ok = settings("https://metrics.example.com", {"token": "METRICS_TOKEN"})
    assert secrets_of(ok, environ) == {"token": TOKEN}
    for url in ("http://metrics.example.com", "https://metrics.example.com:8443",
                "https://metrics.example.com.attacker.example"):  # fmt: skip
        with pytest.raises(UsageError, match="METRICS_TOKEN_ORIGIN"):
            secrets_of(settings(url, {"token": "METRICS_TOKEN"}), environ)


def test_a_placeholder_cannot_choose_the_host() -> None:
    """The query is filled into the URL unescaped dots and all: a template with a placeholder
    in its host would let each metric's query pick the host the credential goes to."""
    template = SourceSettings(type="web", url="https://metrics.example.com.{query}/q")
    with pytest.raises(UsageError, match="host"):
        connect(template, {})


def test_the_names_a_refused_secret_variable_is_told_to_take_are_accepted() -> None:
    """The fix a refusal names must work (a refusal once told ``DD_APP_KEY`` to become
    ``DD_APP_KEY_KEY``, refused the same way; ``KEY`` as a word now names a secret itself)."""
    with pytest.raises(ValueError, match="named as a secret") as refused:
        SourceSettings(type="web", url="http://x/?q={query}", secrets={"token": "DD_APP_ID"})
    suggested = re.findall(r"DD_APP_ID_\w+", str(refused.value))
    assert suggested
    for name in suggested:
        SourceSettings(type="web", url="http://x/?q={query}", secrets={"token": name})


HUGE = "1" + "0" * 400
"""An integer JSON reads exactly, too large for a float (``float()`` raises OverflowError)."""


@pytest.mark.parametrize(
    "body",
    [
        '{"data": {"points": [[1799998260, ' + HUGE + "]]}}",
        '{"data": {"points": [[' + HUGE + ", 1]]}}",
    ],
    ids=["value", "time"],
)
def test_a_number_too_large_for_a_float_is_no_crash(
    store: Callable[[Answer], Store], body: str
) -> None:
    """Attack: a store answers an integer of 400 digits. It reads as infinite (a value: dropped
    and counted like Inf) or as a malformed time (the store gave no usable answer), never as an
    OverflowError out of the mode."""
    huge = store(lambda query, headers: (200, body.encode()))
    source = connect(settings(huge.url, {}), {})
    try:
        got = source.query_range("q", start=END - N * STEP, end=END, step=STEP)
    except SourceError:
        return
    assert all(not math.isfinite(v) for one in got for v in one.values)


def test_a_prometheus_number_too_large_for_a_float_is_no_crash(
    store: Callable[[Answer], Store],
) -> None:
    matrix = '{"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, '
    body = matrix + '"values": [[' + HUGE + ', "1"], [1799998260, ' + HUGE + "]]}]}}"
    huge = store(lambda query, headers: (200, body.encode()))
    source = connect(SourceSettings(type="prometheus", url=huge.url), {})
    with pytest.raises(SourceError, match="malformed"):
        source.query_range("q", start=END - N * STEP, end=END, step=STEP)


@pytest.mark.parametrize("value", ["true", "false", '"1_000"', '"0x10"', "[1]", '{"v": 1}'])
def test_what_is_not_a_number_in_json_is_no_value(value: str) -> None:
    """``true`` is no error rate of 1 (Python's ``float(True)``), ``"1_000"`` no thousand
    (Python's literal syntax, which no store writes): each reads as NaN, dropped and counted."""
    stamps, values = base.points(json.loads(f"[[1799998260, {value}]]"), "a store")
    assert stamps == (1799998260.0,) and math.isnan(values[0])
    with pytest.raises(SourceError, match="malformed time"):
        base.points(json.loads(f"[[{value}, 1]]"), "a store")
