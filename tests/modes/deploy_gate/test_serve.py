"""``cicd-agent-canary-server`` over real HTTP against a real Prometheus: what Argo Rollouts' web
metric and Flagger's hooks read, continue kept apart from promote, and what a hostile caller can
and cannot do."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Mapping
from typing import Any

import pytest
import requests

from cicd_agent.modes.deploy_gate import serve
from cicd_agent.modes.deploy_gate.serve import Judge, parse, run_in_process
from tests.harness.prometheus_server import PrometheusServer, free_port
from tests.modes.deploy_gate.helpers.canary import scenario_config
from tests.modes.deploy_gate.helpers.canary_server import AUTH, serving

ENV = {
    "INPUT_PROMETHEUS-USERNAME": "canary",  # a setting: not one of the action's inputs
    "CICD_AGENT_INPUTS": json.dumps({"prometheus-password": "canary-test-password"}),
}


def get(base: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(f"{base}{path}", headers=AUTH, timeout=60, **kwargs)


def post(base: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.post(f"{base}{path}", headers=AUTH, timeout=60, **kwargs)


def verdict(judge: Judge, release: str, risk: str | None = None) -> dict[str, Any]:
    return asyncio.run(judge.verdict(release, risk))


def judge_for(
    url: str, scenario: str, end: float, *, calls: list[list[str]] | None = None
) -> Judge:
    argv = (
        "--provider", "none", "--prometheus-url", url,
        "--canary-config", scenario_config(scenario).model_dump_json(exclude_defaults=True),
        "--canary-end", str(end),
    )  # fmt: skip

    def run(words: list[str], environ: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if calls is not None:
            calls.append(words)
        return run_in_process(words, environ)

    return Judge(argv, ENV, min_interval=300.0, run=run)


def test_argo_web_metric_reads_promote_and_flagger_may_promote(
    prometheus_server: PrometheusServer,
) -> None:
    """A low-risk change needs one healthy window to promote (docs: the risk table)."""
    judge = judge_for(prometheus_server.url, "identical", prometheus_server.end)
    with serving(judge) as base:
        argo = get(base, "/verdict", params={"release": "shop/web", "risk": "low"})
        hook = {"name": "web", "namespace": "shop", "metadata": {"risk": "low"}}
        flagger = post(base, "/flagger/confirm-promotion", json=hook)
        rollback = post(base, "/flagger/rollback", json=hook)
    assert argo.status_code == 200 and argo.json()["verdict"] == "promote"
    assert flagger.status_code == 200
    assert rollback.status_code == 409  # Flagger's rollback hook: only 2xx rolls back


def test_one_healthy_window_of_a_high_risk_change_is_continue_not_promote(
    prometheus_server: PrometheusServer,
) -> None:
    """Argo reads continue as Inconclusive (measure again), Flagger's promotion hook waits; a
    caller naming a milder level for the same release gets its own sequence."""
    judge = judge_for(prometheus_server.url, "identical", prometheus_server.end)
    with serving(judge) as base:
        high = get(base, "/verdict", params={"release": "shop/web", "risk": "high"})
        hook = {"name": "web", "namespace": "shop", "metadata": {"risk": "high"}}
        flagger = post(base, "/flagger/confirm-promotion", json=hook)
        low = get(base, "/verdict", params={"release": "shop/web", "risk": "low"})
        again = get(base, "/verdict", params={"release": "shop/web", "risk": "high"})
    assert high.json()["verdict"] == "continue"
    assert flagger.status_code == 409
    assert low.json()["verdict"] == "promote"
    assert again.json() == high.json()


def test_a_regression_is_a_rollback_for_both_tools(prometheus_server: PrometheusServer) -> None:
    judge = judge_for(prometheus_server.url, "latency_up30", prometheus_server.end)
    with serving(judge) as base:
        argo = get(base, "/verdict", params={"release": "shop/web"})
        promote = post(
            base, "/flagger/confirm-promotion", json={"name": "web", "namespace": "shop"}
        )
        rollback = post(base, "/flagger/rollback", json={"name": "web", "namespace": "shop"})
    assert argo.json()["verdict"] == "rollback" and argo.json()["rollback"] is True
    assert promote.status_code == 409
    assert rollback.status_code == 200


def test_prometheus_down_is_continue_never_promote_nor_rollback() -> None:
    judge = judge_for(f"http://127.0.0.1:{free_port()}", "identical", 1_800_000_000.0)
    with serving(judge) as base:
        argo = get(base, "/verdict")
        promote = post(base, "/flagger/confirm-promotion", json={})
        rollback = post(base, "/flagger/rollback", json={})
    assert argo.status_code == 200
    assert argo.json()["verdict"] == "continue" and argo.json()["healthy"] is False
    assert (promote.status_code, rollback.status_code) == (409, 409)


def test_a_flood_of_requests_costs_one_judgement_per_interval(
    prometheus_server: PrometheusServer,
) -> None:
    calls: list[list[str]] = []
    judge = judge_for(prometheus_server.url, "identical", prometheus_server.end, calls=calls)
    with serving(judge) as base:
        answers = [get(base, "/verdict", params={"release": "a"}).json() for _ in range(5)]
        get(base, "/verdict", params={"release": "b"})
    assert len(calls) == 2  # one per release within the interval
    assert all(answer == answers[0] for answer in answers)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("get", "/verdict", {"params": {"release": "../../etc/passwd\n"}}, 400),
        ("get", "/verdict", {"params": {"release": "x" * 500}}, 400),
        ("get", "/verdict", {"params": {"risk": "none"}}, 400),
        ("post", "/flagger/rollback", {"json": {"metadata": {"risk": ["low"]}}}, 400),
        ("post", "/flagger/rollback", {"data": b"[1, 2]"}, 400),
        ("post", "/flagger/rollback", {"data": b"not json"}, 400),
        ("post", "/flagger/rollback", {"data": b" " * (64 * 1024 + 1)}, 413),
        ("get", "/metrics", {}, 404),
        ("post", "/flagger/promote-now", {"json": {}}, 404),
    ],
    ids=[
        "path-key",
        "long-key",
        "bad-risk",
        "risk-list",
        "array",
        "not-json",
        "huge-length",
        "unknown-get",
        "unknown-post",
    ],
)
def test_hostile_requests_are_refused_before_any_judgement(
    method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    calls: list[list[str]] = []
    judge = judge_for(f"http://127.0.0.1:{free_port()}", "identical", 1.0, calls=calls)
    with serving(judge) as base:
        try:
            answer = requests.request(method, f"{base}{path}", headers=AUTH, timeout=10, **kwargs)
        except requests.ConnectionError:  # the server may close on a body it will not read
            answer = None
    assert calls == []
    if answer is not None:
        assert answer.status_code == status


def test_the_server_keeps_the_judges_options_to_itself() -> None:
    args, judge = parse(["--listen", "127.0.0.1:9", "--", "--prometheus-url", "http://p:9090"])
    assert args.listen == "127.0.0.1:9" and judge == ["--prometheus-url", "http://p:9090"]
    with pytest.raises(SystemExit):
        parse(["--", "--phase", "deploy"])


def test_each_release_carries_its_evidence_from_call_to_call(
    prometheus_server: PrometheusServer,
) -> None:
    """The judge hands back ``canary_state``; the server gives it back on the release's next
    call (and only that release's), so a rollout is judged as one sequence."""
    calls: list[list[str]] = []
    judge = judge_for(prometheus_server.url, "identical", prometheus_server.end, calls=calls)
    judge.min_interval = 0.0
    with serving(judge) as base:
        for release in ("a", "a", "b"):
            get(base, "/verdict", params={"release": release})
    assert "--canary-state" not in calls[0]
    assert "--canary-state" in calls[1]
    assert "--canary-state" not in calls[2]
    state = calls[1][calls[1].index("--canary-state") + 1]
    assert state.startswith("cs2.")


def test_a_flood_of_new_release_keys_does_not_wipe_a_rollouts_evidence(
    prometheus_server: PrometheusServer,
) -> None:
    """Release keys are the authenticated caller's to choose: naming more releases than the
    server keeps must not push out a rollout that is under way (it would start afresh, and a
    risky change would never gather the windows it needs), nor cost a judgement per new name."""
    calls: list[list[str]] = []
    judge = judge_for(prometheus_server.url, "identical", prometheus_server.end, calls=calls)
    judge.min_interval, judge.max_releases = 0.0, 3
    with serving(judge) as base:
        get(base, "/verdict", params={"release": "shop/web"})
        junk = [get(base, "/verdict", params={"release": f"junk{n}"}) for n in range(5)]
        get(base, "/verdict", params={"release": "shop/web"})
    assert "--canary-state" in calls[-1]
    assert len(calls) <= judge.max_releases + 1
    assert junk[-1].json()["verdict"] == "continue"


def test_the_server_seals_each_releases_state_with_a_key_of_its_own(
    prometheus_server: PrometheusServer,
) -> None:
    """A Prometheus without credentials leaves the judge no key of the workflow's: the server's
    own secret seals the state, so a rollout still carries its evidence from call to call."""
    environ = serve.judge_environ({"GITHUB_TOKEN": "ghs_x", **ENV})
    assert "GITHUB_TOKEN" not in environ
    secret = environ["INPUT_CANARY-STATE-SECRET"]
    assert len(secret) == 64 and serve.judge_environ(ENV)["INPUT_CANARY-STATE-SECRET"] != secret
    given = {**ENV, "INPUT_CANARY-STATE-SECRET": "the-operators-own"}
    assert serve.judge_environ(given)["INPUT_CANARY-STATE-SECRET"] == "the-operators-own"
    calls: list[list[str]] = []
    judge = judge_for(prometheus_server.url, "identical", prometheus_server.end - 450, calls=calls)
    judge.environ = environ
    judge.min_interval = 0.0
    first = verdict(judge, "shop/web", "high")
    judge.argv = tuple(
        str(prometheus_server.end) if word == str(prometheus_server.end - 450) else word
        for word in judge.argv
    )
    second = verdict(judge, "shop/web", "high")
    assert "--canary-state" in calls[1]
    assert first["healthy"] is True and second["healthy"] is True, second["reasons"]


def _risk_of(words: list[str]) -> str:
    return words[words.index("--risk-level") + 1] if "--risk-level" in words else ""


def test_two_releases_are_judged_side_by_side(prometheus_server: PrometheusServer) -> None:
    """One release's judgement (a slow Prometheus, a stuck query) must not hold up every other
    rollout: the judgement of one release waits inside its run until another release's has
    started, which only happens when the two may run at once."""
    started = {"low": threading.Event(), "high": threading.Event()}
    overlapped: list[bool] = []

    def run(words: list[str], environ: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        risk = _risk_of(words)
        started[risk].set()
        if risk == "low":
            overlapped.append(started["high"].wait(timeout=30))
        return run_in_process(words, environ)

    judge = judge_for(prometheus_server.url, "identical", prometheus_server.end)
    judge.run = run

    async def both() -> list[dict[str, Any]]:
        return await asyncio.gather(
            judge.verdict("shop/web", "low"), judge.verdict("shop/api", "high")
        )

    web, api = asyncio.run(both())
    assert overlapped == [True]
    assert web["verdict"] == "promote" and api["verdict"] == "continue"


def test_one_release_is_judged_one_call_at_a_time(prometheus_server: PrometheusServer) -> None:
    """Each judgement of a release takes back the evidence the one before handed on, so two at
    once would fork the rollout's evidence: concurrent requests for one release (at one risk
    level) all await the one judgement under way, whatever the interval."""
    lock = threading.Lock()
    active, most, runs = [0], [0], [0]

    def run(words: list[str], environ: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        with lock:
            active[0] += 1
            runs[0] += 1
            most[0] = max(most[0], active[0])
        try:
            return run_in_process(words, environ)
        finally:
            with lock:
                active[0] -= 1

    async def burst(judge: Judge) -> list[dict[str, Any]]:
        return await asyncio.gather(*(judge.verdict("shop/web", "low") for _ in range(6)))

    for interval in (0.0, 300.0):
        runs[0] = 0
        judge = judge_for(prometheus_server.url, "identical", prometheus_server.end)
        judge.run = run
        judge.min_interval = interval
        answers = asyncio.run(burst(judge))
        assert len(answers) == 6 and runs[0] == 1
    assert all(answer == answers[0] for answer in answers)
    assert most[0] == 1


def test_new_releases_arriving_at_once_never_exceed_the_bound(
    prometheus_server: PrometheusServer,
) -> None:
    """A release takes its place before its first judgement ends: new names arriving together
    while every place is taken are turned away at once, without a judgement, even while the
    judgements holding the places are still running."""
    turned_away, all_turned_away = [0], threading.Event()
    calls: list[list[str]] = []
    waited: list[bool] = []

    def run(words: list[str], environ: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        calls.append(words)
        waited.append(all_turned_away.wait(timeout=30))
        return run_in_process(words, environ)

    judge = judge_for(prometheus_server.url, "identical", prometheus_server.end)
    judge.run, judge.max_releases = run, 2

    async def ask(name: str) -> dict[str, Any]:
        answer = await judge.verdict(name, "low")
        if "already" in " ".join(answer["reasons"]):
            turned_away[0] += 1
            if turned_away[0] == 4:
                all_turned_away.set()
        return answer

    async def all_at_once() -> list[dict[str, Any]]:
        return await asyncio.gather(*(ask(f"shop/app{n}") for n in range(6)))

    answers = asyncio.run(all_at_once())
    assert len(calls) == 2 and waited == [True, True]
    assert sorted(answer["verdict"] for answer in answers) == ["continue"] * 4 + ["promote"] * 2


def test_a_release_whose_first_judgement_crashed_holds_no_place(
    prometheus_server: PrometheusServer,
) -> None:
    """A release takes its place before it is judged; when that judgement dies (the judge
    raised), the place is given back, or crashed names would fill the server for good."""

    def run(words: list[str], environ: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if _risk_of(words) == "high":
            raise MemoryError("the judge ran out of memory")
        return run_in_process(words, environ)

    judge = judge_for(prometheus_server.url, "identical", prometheus_server.end)
    judge.run, judge.max_releases = run, 2
    assert verdict(judge, "shop/cart", "low")["verdict"] == "promote"  # a rollout under way
    with pytest.raises(MemoryError):
        verdict(judge, "shop/web", "high")
    assert verdict(judge, "shop/api", "low")["verdict"] == "promote"
