"""CONTRIBUTING's worked example of adding a metric source runs as written: its code block is
loaded as a source, put in the table by one line, and judged through the canary phase's own
collect and judge against a store answering in Graphite's render shape."""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Callable

import pytest

from cicd_agent.modes.deploy_gate.canary import sources
from cicd_agent.modes.deploy_gate.canary.collect import fetch_samples
from cicd_agent.modes.deploy_gate.canary.config import load_canary_config
from cicd_agent.modes.deploy_gate.canary.decide import judge_samples
from tests.harness.payloads import REPO_ROOT
from tests.helpers.metric_store import Answer, Store

END, STEP, N = 1_800_000_000.0, 60.0, 30


def example_code() -> str:
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Worked example: adding a metric source", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, "CONTRIBUTING's metric-source example has lost its code block"
    return found.group(1)


def test_the_contributing_example_source_reads_and_is_judged(
    store: Callable[[Answer], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"{sources.__name__}.graphite"
    module = types.ModuleType(name)
    exec(compile(example_code(), "CONTRIBUTING.md", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(sources.SOURCES, "graphite", "graphite")  # the one line

    def render(target: str, headers: dict[str, str]) -> tuple[int, bytes]:
        level = 0.40 if "canary" in target else 0.25
        points = [[level + 0.01 * (i % 3), END - (N - 1 - i) * STEP] for i in range(N)]
        return 200, json.dumps([{"target": target, "datapoints": points}]).encode()

    graphite = store(render)
    config = load_canary_config(
        json.dumps(
            {
                "source": {"type": "graphite", "url": graphite.url},
                "lookback": N * STEP,
                "step": STEP,
                "metrics": [{"name": "p99", "kind": "gauge", "query": "app.{track}.p99"}],
            }
        )
    )
    assert config.source is not None
    samples = fetch_samples(sources.connect(config.source, {}), config, end=END)
    assert len(samples.canary["p99"]) == N
    assert judge_samples(samples, config).verdict == "rollback"
    assert graphite.seen[0][0].startswith("/render?target=app.baseline.p99")
