"""deploy-gate --phase canary end to end through the CLI against a real Prometheus."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from cicd_agent.modes.deploy_gate.canary.options import state_key
from cicd_agent.modes.deploy_gate.canary.state import seal
from tests.harness.prometheus_server import PrometheusServer, free_port
from tests.helpers.cli import json_mismatches, run_cli
from tests.modes.deploy_gate.helpers.canary import scenario_config


def run_canary(
    tmp_path: Path, server_url: str, scenario: str, *extra: str, end: float | None = None
) -> tuple[int, dict[str, str], str, str]:
    environ = {
        "INPUT_PROMETHEUS-USERNAME": "canary",  # a setting: not one of the action's inputs
        "CICD_AGENT_INPUTS": json.dumps({"prometheus-password": "canary-test-password"}),
    }
    argv = [
        "deploy-gate",
        "--phase",
        "canary",
        "--provider",
        "none",
        "--prometheus-url",
        server_url,
        "--canary-config",
        scenario_config(scenario).model_dump_json(exclude_defaults=True),
        *(["--canary-end", str(end)] if end is not None else []),
        *extra,
    ]
    done = run_cli(argv, tmp_path, environ)
    return done.code, done.outputs, done.summary, done.stdout


def test_identical_canary_is_promoted(prometheus_server: PrometheusServer, tmp_path: Path) -> None:
    # A low-risk change: one window of passing evidence may promote (the risk table's low row).
    code, outputs, summary, log = run_canary(
        tmp_path,
        prometheus_server.url,
        "identical",
        "--risk-level",
        "low",
        end=prometheus_server.end,
    )
    assert code == 0
    assert outputs["verdict"] == "promote", outputs["reasons"]
    assert outputs["canary_calls"] == "1"
    assert outputs["rollback"] == "false"
    assert outputs["healthy"] == "true"
    assert float(outputs["canary_score"]) == 100.0
    metrics = json.loads(outputs["metric_results"])
    assert {m["name"] for m in metrics} == {"latency", "errors"}
    assert summary.splitlines()[2].startswith("Canary verdict: promote")
    assert "::add-mask::canary-test-password" in log


def test_slower_canary_is_rolled_back_and_fail_on_rollback_exits_1(
    prometheus_server: PrometheusServer, tmp_path: Path
) -> None:
    code, outputs, summary, log = run_canary(
        tmp_path,
        prometheus_server.url,
        "latency_up30",
        "--fail-on",
        "rollback",
        end=prometheus_server.end,
    )
    assert code == 1
    assert outputs["verdict"] == "rollback"
    assert outputs["rollback"] == "true"
    assert "Canary verdict: rollback" in summary
    assert "::warning title=latency::" in log
    assert "fail-on rollback" in log


def test_prometheus_down_never_promotes_and_exits_3_with_outputs(tmp_path: Path) -> None:
    code, outputs, summary, stdout = run_canary(
        tmp_path, f"http://127.0.0.1:{free_port()}", "identical", "--json", end=1_800_000_000.0
    )
    assert code == 3
    # --json has the `error` the step output has (it lacked it on exit 3), and every other output
    assert "Prometheus" in outputs["error"]
    assert json_mismatches(json.loads(stdout), outputs) == {}
    assert outputs["verdict"] == "continue"
    assert outputs["healthy"] == "false"
    assert outputs["rollback"] == "false"
    assert "could not see the canary" in summary


def test_a_fail_on_the_canary_cannot_produce_is_refused_before_prometheus_is_read(
    tmp_path: Path,
) -> None:
    code, outputs, _, _ = run_canary(
        tmp_path, f"http://127.0.0.1:{free_port()}", "identical", "--fail-on", "hold"
    )
    assert code == 2  # not 3: nothing was read, the option was wrong
    assert "fail-on 'hold' is not valid for deploy-gate --phase canary" in outputs["error"]
    assert (outputs["verdict"], outputs["rollback"]) == ("continue", "false")


def test_missing_prometheus_url_is_a_usage_error_that_fails_safe(tmp_path: Path) -> None:
    done = run_cli(["deploy-gate", "--phase", "canary", "--provider", "none"], tmp_path)
    code, outputs = done.code, done.outputs
    assert code == 2
    assert outputs["verdict"] == "continue"
    assert outputs["rollback"] == "false"
    assert "prometheus-url" in outputs["error"]


def test_a_bad_flag_still_fails_closed(tmp_path: Path) -> None:
    done = run_cli(["deploy-gate", "--no-such-flag"], tmp_path)
    code, outputs = done.code, done.outputs
    assert code == 2
    assert outputs["recommendation"] == "hold"
    assert outputs["verdict"] == "continue"
    assert outputs["rollback"] == "false"


def test_a_rollout_carries_its_state_and_one_window_never_promotes_a_risky_change(
    prometheus_server: PrometheusServer, tmp_path: Path
) -> None:
    half = prometheus_server.end - 450
    code, first, _, _ = run_canary(
        mkdir(tmp_path / "1"), prometheus_server.url, "identical", "--risk-level", "high", end=half
    )
    assert (code, first["verdict"], first["canary_calls"]) == (0, "continue", "1")
    code, second, _, _ = run_canary(
        mkdir(tmp_path / "2"),
        prometheus_server.url,
        "identical",
        "--risk-level",
        "high",
        "--canary-state",
        first["canary_state"],
        end=prometheus_server.end,
    )
    assert code == 0
    assert second["canary_calls"] == "2"
    assert second["verdict"] == "continue"  # the high row needs three windows
    metrics = {m["name"]: m for m in json.loads(second["metric_results"])}
    assert metrics["latency"]["canary"]["n"] < 31  # only the samples after the first window


def test_a_state_that_is_not_this_rollouts_is_exit_2_naming_the_fix(
    prometheus_server: PrometheusServer, tmp_path: Path
) -> None:
    code, first, _, _ = run_canary(
        mkdir(tmp_path / "1"), prometheus_server.url, "identical", end=prometheus_server.end - 450
    )
    assert code == 0
    state = first["canary_state"]
    forged = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
    cases = {
        "garbage": ("not-a-state", "not a state this action wrote"),
        "damaged": (forged, "edited, or sealed for another release"),
        "other risk": (state, "another canary configuration or risk level"),
    }
    for name, (value, message) in cases.items():
        extra = ["--canary-state", value] + (
            ["--risk-level", "low"] if name == "other risk" else []
        )
        code, outputs, _, log = run_canary(
            mkdir(tmp_path / name),
            prometheus_server.url,
            "identical",
            *extra,
            end=prometheus_server.end,
        )
        assert code == 2, name
        assert message in log, name
        assert "start a new rollout" in log, name
        assert outputs["verdict"] == "continue", name
    code, _, _, log = run_canary(
        mkdir(tmp_path / "again"),
        prometheus_server.url,
        "identical",
        "--canary-state",
        state,
        end=prometheus_server.end - 450,
    )
    assert code == 2
    assert "already holds evidence up to the window" in log


def mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def test_prometheus_down_mid_rollout_hands_the_evidence_on_unchanged(
    prometheus_server: PrometheusServer, tmp_path: Path
) -> None:
    code, first, _, _ = run_canary(
        mkdir(tmp_path / "1"), prometheus_server.url, "identical", end=prometheus_server.end - 450
    )
    assert code == 0
    code, down, _, _ = run_canary(
        mkdir(tmp_path / "2"),
        f"http://127.0.0.1:{free_port()}",
        "identical",
        "--canary-state",
        first["canary_state"],
        end=prometheus_server.end,
    )
    assert code == 3
    assert down["verdict"] == "continue"
    assert down["canary_state"] == first["canary_state"]
    assert down["canary_calls"] == "1"


def _forged(state: str, calls: int) -> str:
    """``state`` rewritten the way anyone who can edit it could: more calls, and for every check
    a heap of flawless evidence (a huge weight at a zero estimate, no variance), its seal copied
    from the original (the editor has not got the workflow's key)."""
    body, _, mac = state[len("cs2.") :].rpartition(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["calls"] = calls
    payload["checks"] = {
        key: {"weight": 1e9, "weighted_sum": 0.0, "variance_sum": 0.0, "dof": 1e9}
        for key in payload["checks"]
    }
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return "cs2." + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=") + "." + mac


def test_an_edited_state_cannot_promote_a_slower_canary_or_skip_windows(
    prometheus_server: PrometheusServer, tmp_path: Path
) -> None:
    """The state comes back through the workflow (an output, an artifact): an edited one that
    claims windows and evidence the judge never gathered is refused (exit 2), never counted."""
    code, first, _, _ = run_canary(
        mkdir(tmp_path / "1"), prometheus_server.url, "latency_up30", "--risk-level", "high",
        end=prometheus_server.end - 450,
    )  # fmt: skip
    assert first["verdict"] != "promote"
    code, second, _, log = run_canary(
        mkdir(tmp_path / "2"), prometheus_server.url, "latency_up30", "--risk-level", "high",
        "--canary-state", _forged(first["canary_state"], 5), end=prometheus_server.end,
    )  # fmt: skip
    assert second["verdict"] != "promote", second["reasons"]
    assert code == 2
    assert "canary-state" in log and "start a new rollout" in log


def _edited(state: str, **changes: object) -> str:
    """``state`` changed and sealed again by someone who holds the key (the workflow itself):
    what reaches the judge's arithmetic."""
    body = state[len("cs2.") :].rpartition(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    checks = changes.pop("checks", None)
    payload |= changes
    if checks is not None:
        payload["checks"] = {key: checks for key in payload["checks"]}
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    body = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return seal(body, state_key("canary-test-password"))


@pytest.mark.parametrize(
    "changes",
    [
        {"checks": {"weight": 5e-324, "weighted_sum": 1e308, "variance_sum": 0.0, "dof": 1.0}},
        {"checks": {"weight": 1.7e308, "weighted_sum": 1.7e308, "variance_sum": 1.7e308,
                    "dof": 1.7e308}},
        {"until": -1e308},
        {"calls": 10_000},
    ],
    ids=["tiny-weight", "huge", "until-far-back", "max-calls"],
)  # fmt: skip
def test_extreme_numbers_in_a_sealed_state_never_crash_the_judge(
    prometheus_server: PrometheusServer, tmp_path: Path, changes: dict[str, object]
) -> None:
    code, first, _, _ = run_canary(
        mkdir(tmp_path / "1"), prometheus_server.url, "latency_up30", "--risk-level", "high",
        end=prometheus_server.end - 450,
    )  # fmt: skip
    code, second, _, log = run_canary(
        mkdir(tmp_path / "2"), prometheus_server.url, "latency_up30", "--risk-level", "high",
        "--canary-state", _edited(first["canary_state"], **changes), end=prometheus_server.end,
    )  # fmt: skip
    assert code in (0, 1, 2, 3), log
    assert second["verdict"] in ("continue", "rollback"), second


def test_a_state_given_to_a_step_with_no_key_is_refused_naming_the_key(
    prometheus_server: PrometheusServer, tmp_path: Path
) -> None:
    """Without canary-state-secret or Prometheus credentials nothing could tell a forged state from
    the judge's own: the state is refused (exit 2) and the fix names the key."""
    _, first, _, _ = run_canary(
        mkdir(tmp_path / "1"), prometheus_server.url, "identical", end=prometheus_server.end - 450
    )
    argv = [
        "deploy-gate", "--phase", "canary", "--provider", "none",
        "--prometheus-url", prometheus_server.url,
        "--canary-config", scenario_config("identical").model_dump_json(exclude_defaults=True),
        "--canary-end", str(prometheus_server.end), "--canary-state", first["canary_state"],
    ]  # fmt: skip
    done = run_cli(argv, mkdir(tmp_path / "2"), {})
    assert done.code == 2
    assert "canary-state-secret" in done.stdout + done.stderr
    assert done.outputs["verdict"] == "continue"


def test_a_state_from_another_releases_rollout_does_not_count_for_this_one(
    prometheus_server: PrometheusServer, tmp_path: Path
) -> None:
    """The last state of an earlier rollout is visible in its run's log (a step input): sealed
    to its release (canary-release, the workflow's commit), it opens for no other."""
    end = prometheus_server.end
    secrets = {
        "prometheus-password": "canary-test-password",
        "canary-state-secret": "a-long-random-workflow-secret",
    }

    def call(folder: str, sha: str, state: str = "", at: float = end) -> dict[str, str]:
        argv = [
            "deploy-gate", "--phase", "canary", "--provider", "none", "--risk-level", "high",
            "--prometheus-url", prometheus_server.url,
            "--canary-config", scenario_config("identical").model_dump_json(exclude_defaults=True),
            "--canary-end", str(at), *(["--canary-state", state] if state else []),
        ]  # fmt: skip
        environ = {"CICD_AGENT_INPUTS": json.dumps(secrets), "INPUT_PROMETHEUS-USERNAME": "canary",
                   "INPUT_CANARY_RELEASE": sha}  # as action.yml passes github.sha  # fmt: skip
        done = run_cli(argv, mkdir(tmp_path / folder), environ)
        return done.outputs | {"code": str(done.code), "log": done.stdout + done.stderr}

    old = "1" * 40
    first = call("a1", old, at=end - 900)
    second = call("a2", old, first["canary_state"], at=end - 450)
    assert second["verdict"] in ("continue", "insufficient")  # thin evidence at low traffic
    assert second["canary_calls"] == "2"  # the same release carries its evidence on
    replayed = call("b1", "2" * 40, second["canary_state"])
    # the earlier release's two windows must not count towards this release's three
    assert replayed["code"] == "2" and replayed["verdict"] == "continue"
    assert "sealed for another release" in replayed["log"]
