"""The canary phase's calls in the audit database, read back by the docs' query (the database's own
tests: tests/unit/local/test_audit_db.py)."""

from __future__ import annotations

import psycopg

from cicd_agent.local import audit_db
from tests.harness.postgres_server import PostgresServer
from tests.unit.local.test_audit_db import _decision, _docs_query


def test_the_docs_query_explains_a_rollback_by_metric_test_and_calls(
    postgres_server: PostgresServer,
) -> None:
    """A rollout's calls recorded as the canary phase records them (a doubled error count on
    equal traffic, rolled back at the second call): the docs' query names the metric, its kind,
    the count test and the call."""
    import numpy as np

    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds, MetricSpec
    from cicd_agent.modes.deploy_gate.canary.judge import judge_canary
    from cicd_agent.modes.deploy_gate.canary.publish import canary_record

    url = postgres_server.database("docs_rollback_query")
    errors = MetricSpec(name="errors", query='sum(rate(errors_total{track="{track}"}[1m]))')
    latency = MetricSpec(name="load", query='avg(load{track="{track}"})')
    rng = np.random.default_rng(9)
    state = None
    for level in (1.0, 2.0):
        verdict = judge_canary(
            {"errors": rng.poisson(4, 30), "load": rng.lognormal(0, 0.1, 30)},
            {"errors": rng.poisson(4 * level, 30), "load": rng.lognormal(0, 0.1, 30)},
            [errors, latency],
            CanaryThresholds(),
            state=state,
        )
        state = verdict.state
        audit_db.write(url, _decision("canary", verdict.verdict, "r1", **canary_record(verdict)))
    assert verdict.verdict == "rollback"
    with psycopg.connect(url) as conn:
        rows = conn.execute(_docs_query("Why each rollback happened")).fetchall()
    assert [(sha, calls, metric, kind) for _r, sha, _at, calls, metric, kind, _t, _w in rows] == [
        ("r1", 2, "errors", "count")
    ]
    assert "counts" in rows[0][6] and "errors is worse" in rows[0][7]
