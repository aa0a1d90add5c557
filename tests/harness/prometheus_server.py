"""A real Prometheus for the tests, loaded with known canary and baseline series.

Why real: the canary phase's value rests on its PromQL and on reading the HTTP API the way a
production Prometheus answers it (matrix results, NaN strings, empty results for a track without
traffic, error bodies). Once per session this plugin writes every scenario as a distinct label set
into one OpenMetrics file, backfills it with ``promtool tsdb create-blocks-from openmetrics``, and
starts the Debian ``prometheus`` binary on loopback over that data directory.

Scenarios (gauges ``canary_test_latency_seconds`` and ``canary_test_error_ratio``, labels
``scenario`` and ``track``), with samples every ``STEP`` seconds over ``[start, end]``:

- ``identical``: both tracks drawn from the same distributions;
- ``latency_up30``: canary latency 30 % higher, errors alike;
- ``error_spike``: canary error ratio about 8 % against 0.5 % on the baseline;
- ``canary_nodata``: only the baseline has series.

Plus the default queries' inputs over the default lookback and history, real counters and a
histogram (``http_requests_total`` with ``code``, ``http_request_duration_seconds``) scraped
every 15 s for tracks ``baseline`` and ``canary``: no 5xx on either, canary latency 30 % higher.

Samples sit in the recent past, within the default 15-day retention; backfilled data has no
staleness markers, so a query must end at ``end`` to avoid Prometheus repeating the last sample
for its 5-minute lookback.
"""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import requests

STEP = 30.0  # seconds between gauge samples, and the query step that returns each one exactly
WINDOW = 900.0  # seconds of gauge data: 31 samples a side
COUNTER_STEP = 15.0  # scrape interval of the counters and histogram
LATENCY_BUCKETS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.75, 1.0, 1.5, 2.5, 5.0)
REQUESTS_PER_SCRAPE = 400
COUNTER_SPAN = 1800.0 + 3600.0 + 120.0
"""Seconds of counters before the end: the canary's default lookback and the stable's history
before it (the hour the judge learns the noise from), plus two minutes so ``rate(...[1m])`` is
defined from its first step. The harness knows no mode; deploy-gate's tests hold this to the
canary's defaults (tests/modes/deploy_gate/test_prometheus.py)."""
_READY_TIMEOUT = 60.0

# The server requires basic auth, so every canary test also proves the client authenticates.
# The hash is bcrypt (cost 4) of USERNAME's PASSWORD, made once with crypt(3); nothing secret.
USERNAME = "canary"
PASSWORD = "canary-test-password"
_PASSWORD_BCRYPT = "$2b$04$CanaryHarnessSaltValueM0.I1uQ.2BIyKm0h3SJuDQo2vQo5F9i"

SCENARIOS = ("identical", "latency_up30", "error_spike", "canary_nodata")
TRACKS = ("baseline", "canary")


@dataclass(frozen=True)
class PrometheusServer:
    """A running Prometheus and the exact data it holds.

    ``gauges[(metric, scenario, track)]`` lists the values written at ``start``, ``start+STEP``,
    ..., ``end``.
    """

    url: str
    username: str
    password: str
    start: float
    end: float
    step: float
    gauges: dict[tuple[str, str, str], list[float]] = field(repr=False)


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not installed: the canary tests need a real Prometheus. "
            "Run `bash tests/harness/setup.sh` (Debian: apt-get install prometheus).",
            pytrace=False,
        )
    return path


def free_port() -> int:
    """A loopback port nothing listens on (also what a 'Prometheus is down' test connects to)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def gauge_scenarios(end: float, seed: int = 20261122) -> dict[tuple[str, str, str], list[float]]:
    """Values of every scenario's gauges; lognormal latency and binomial error ratios."""
    rng = np.random.default_rng(seed)
    count = int(WINDOW / STEP) + 1
    data: dict[tuple[str, str, str], list[float]] = {}
    latency_factor = {"latency_up30": 1.3}
    error_ratio = {"error_spike": 0.08}
    for scenario in SCENARIOS:
        for track in TRACKS:
            if scenario == "canary_nodata" and track == "canary":
                continue
            factor = latency_factor.get(scenario, 1.0) if track == "canary" else 1.0
            ratio = error_ratio.get(scenario, 0.005) if track == "canary" else 0.005
            latency = 0.25 * factor * rng.lognormal(0.0, 0.15, count)
            errors = rng.binomial(2000, ratio, count) / 2000
            data[("canary_test_latency_seconds", scenario, track)] = latency.round(6).tolist()
            data[("canary_test_error_ratio", scenario, track)] = errors.tolist()
    return data


def _gauge_lines(gauges: dict[tuple[str, str, str], list[float]], start: float) -> list[str]:
    lines: list[str] = []
    for metric in sorted({key[0] for key in gauges}):
        lines.append(f"# TYPE {metric} gauge")
        for (name, scenario, track), values in gauges.items():
            if name != metric:
                continue
            for index, value in enumerate(values):
                stamp = start + index * STEP
                lines.append(
                    f'{metric}{{scenario="{scenario}",track="{track}"}} {value!r} {stamp:.0f}'
                )
    return lines


def _http_lines(end: float, seed: int = 7) -> list[str]:
    """Cumulative counters and histogram buckets, as a scraped instrumented service would expose.

    They cover :data:`COUNTER_SPAN` before ``end``."""
    rng = np.random.default_rng(seed)
    first = end - COUNTER_SPAN
    stamps = np.arange(first, end + COUNTER_STEP / 2, COUNTER_STEP)
    requests_lines = ["# TYPE http_requests counter"]
    histogram_lines = ["# TYPE http_request_duration_seconds histogram"]
    for track in TRACKS:
        factor = 1.3 if track == "canary" else 1.0
        total = 0
        buckets = np.zeros(len(LATENCY_BUCKETS) + 1, dtype=np.int64)
        latency_sum = 0.0
        for stamp in stamps:
            latencies = 0.1 * factor * rng.lognormal(0.0, 0.5, REQUESTS_PER_SCRAPE)
            total += REQUESTS_PER_SCRAPE
            latency_sum += float(latencies.sum())
            indices = np.searchsorted(LATENCY_BUCKETS, latencies, side="left")
            buckets += np.bincount(indices, minlength=len(LATENCY_BUCKETS) + 1)
            labels = f'track="{track}"'
            requests_lines.append(f'http_requests_total{{{labels},code="200"}} {total} {stamp:.0f}')
            cumulative = np.cumsum(buckets)
            for bound, value in zip((*LATENCY_BUCKETS, math.inf), cumulative, strict=True):
                le = "+Inf" if math.isinf(bound) else repr(bound)
                histogram_lines.append(
                    f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} {value} {stamp:.0f}'
                )
            histogram_lines.append(
                f"http_request_duration_seconds_count{{{labels}}} {total} {stamp:.0f}"
            )
            histogram_lines.append(
                f"http_request_duration_seconds_sum{{{labels}}} {latency_sum!r} {stamp:.0f}"
            )
    return requests_lines + histogram_lines


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited early:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            ready = requests.get(f"{url}/-/ready", auth=(USERNAME, PASSWORD), timeout=1)
            if ready.status_code == 200:
                return
        except requests.exceptions.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"prometheus not ready after {_READY_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def prometheus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """Start one Prometheus over the backfilled scenarios for the whole test session."""
    prometheus = _binary("prometheus")
    promtool = _binary("promtool")
    root = tmp_path_factory.mktemp("prometheus")
    end = math.floor(time.time() / STEP) * STEP - 120.0
    start = end - WINDOW
    gauges = gauge_scenarios(end)
    text = "\n".join([*_gauge_lines(gauges, start), *_http_lines(end), "# EOF", ""])
    (root / "series.om").write_text(text, encoding="utf-8")
    data = root / "data"
    backfill = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--quiet",
            str(root / "series.om"),
            str(data),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if backfill.returncode != 0:
        pytest.fail(f"promtool backfill failed:\n{backfill.stderr[-3000:]}", pytrace=False)
    (root / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\n", encoding="utf-8")
    web_config = f"basic_auth_users:\n  {USERNAME}: '{_PASSWORD_BCRYPT}'\n"
    (root / "web.yml").write_text(web_config, encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "prometheus.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                prometheus,
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}",
                f"--web.config.file={root / 'web.yml'}",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(process, url, log)
        yield PrometheusServer(
            url=url,
            username=USERNAME,
            password=PASSWORD,
            start=start,
            end=end,
            step=STEP,
            gauges=gauges,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
