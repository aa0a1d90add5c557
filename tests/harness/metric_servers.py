"""Real metric stores for the canary sources' tests, each started once per test session (per
worker) on loopback over a temporary data directory, the way ``prometheus_server`` is, and
loaded through the store's own write API with the series :func:`written` gives:

- **InfluxDB 1.x** (Debian's ``influxdb``): ``influxd`` with authentication on; the first
  user is created through ``/query``, the points written as line protocol to ``/write``.
- **VictoriaMetrics** (Debian's ``victoria-metrics``), read through the Prometheus source: basic
  auth on every endpoint, the points imported in Prometheus' text format.
- **Graphite** (Debian's ``graphite-carbon`` and ``graphite-web``): ``carbon-cache`` receives
  the points over its plaintext protocol and writes whisper files; graphite-web's render API
  (Django's own server, Debian's Python) reads them.

Datadog, New Relic and CloudWatch have no server one can run: their tests answer in the shape of
their published API references (``tests/helpers/metric_store.py``).

Every store holds the same series: a gauge ``p99`` per ``scenario`` (``identical``,
``latency_up30``) and ``track`` (``baseline``, ``canary``), a sample every :data:`STEP`
seconds over the rollout's window (:data:`WINDOW`) and the stable's history before it
(:data:`HISTORY`), and the same hour of each of the two days before.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import requests

from tests.harness.prometheus_server import free_port

STEP = 30.0
WINDOW = 900.0  # the rollout's window: 31 samples a side
HISTORY = 3600.0  # the stable's hour before the rollout
DAYS = 2  # earlier days holding the same hours
DAY = 86_400.0
SCENARIOS = {"identical": 1.0, "latency_up30": 1.3}
TRACKS = ("baseline", "canary")
USERNAME, PASSWORD = "storereader7", "store-reader-password-5e1"
_READY = 60.0

Key = tuple[str, str]
"""(scenario, track)."""


@dataclass(frozen=True)
class MetricServer:
    """A running store and what it holds: ``points[(scenario, track)]`` as (time, value)."""

    url: str
    end: float
    points: dict[Key, list[tuple[float, float]]]
    started: float
    """Seconds it took to start the store and write its series."""


def written(end: float, seed: int = 20261127) -> dict[Key, list[tuple[float, float]]]:
    """Every series' points: the rollout's window up to ``end`` on both tracks (the canary
    ``SCENARIOS[scenario]`` times slower), and the baseline's history (the hour before the
    window, and that hour and the window on each of the :data:`DAYS` days before)."""
    rng = np.random.default_rng(seed)
    points: dict[Key, list[tuple[float, float]]] = {}
    start = end - WINDOW
    spans = [(start - HISTORY - day * DAY, end - day * DAY) for day in range(DAYS + 1)]
    for scenario, factor in SCENARIOS.items():
        for track in TRACKS:
            scale = factor if track == "canary" else 1.0
            kept = []
            for first, last in spans:
                for stamp in np.arange(first, last + STEP / 2, STEP):
                    if track == "canary" and stamp < start:
                        continue  # the canary has no history: it did not run before
                    kept.append((float(stamp), round(0.25 * scale * rng.lognormal(0, 0.15), 6)))
            points[(scenario, track)] = sorted(kept)
    return points


def _binary(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not installed: the canary source tests need a real store. Run "
            f"`bash tests/harness/setup.sh` (Debian: apt-get install {package}).",
            pytrace=False,
        )
    return path


def _ready(process: subprocess.Popen[bytes], check: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + _READY
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the store exited early:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            if check():
                return
        except requests.exceptions.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the store was not ready after {_READY:.0f} s:\n{log.read_text()[-3000:]}")


def _started(argv: list[str], log: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, cwd=cwd)


def _stopped(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _end() -> float:
    return math.floor(time.time() / STEP) * STEP - 120.0


@pytest.fixture(scope="session")
def influxdb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetricServer]:
    """InfluxDB 1.x over ``/query`` with basic auth, its database ``app`` holding measurement
    ``http`` (field ``p99``, tags ``scenario`` and ``track``)."""
    began = time.monotonic()
    influxd = _binary("influxd", "influxdb")
    root = tmp_path_factory.mktemp("influxdb")
    port = free_port()
    (root / "influxdb.conf").write_text(
        f'reporting-disabled = true\nbind-address = "127.0.0.1:{free_port()}"\n'
        f'[meta]\n  dir = "{root}/meta"\n'
        f'[data]\n  dir = "{root}/data"\n  wal-dir = "{root}/wal"\n  query-log-enabled = false\n'
        f'[http]\n  bind-address = "127.0.0.1:{port}"\n  auth-enabled = true\n'
        "  log-enabled = false\n[monitor]\n  store-enabled = false\n"
        "[continuous_queries]\n  enabled = false\n",
        encoding="utf-8",
    )
    url = f"http://127.0.0.1:{port}"
    process = _started([influxd, "-config", str(root / "influxdb.conf")], root / "influxd.log")
    try:
        _ready(process, lambda: requests.get(f"{url}/ping", timeout=1).status_code == 204,
               root / "influxd.log")  # fmt: skip
        admin = f"CREATE USER {USERNAME} WITH PASSWORD '{PASSWORD}' WITH ALL PRIVILEGES"
        requests.post(f"{url}/query", data={"q": admin}, timeout=10).raise_for_status()
        auth = (USERNAME, PASSWORD)
        made = requests.post(
            f"{url}/query", data={"q": "CREATE DATABASE app"}, auth=auth, timeout=10
        )
        made.raise_for_status()
        end = _end()
        points = written(end)
        lines = [
            f"http,scenario={scenario},track={track} p99={value!r} {stamp:.0f}"
            for (scenario, track), series in points.items()
            for stamp, value in series
        ]
        wrote = requests.post(
            f"{url}/write", params={"db": "app", "precision": "s"}, auth=auth,
            data="\n".join(lines).encode(), timeout=30,
        )  # fmt: skip
        assert wrote.status_code == 204, wrote.text
        yield MetricServer(url, end, points, time.monotonic() - began)
    finally:
        _stopped(process)


@pytest.fixture(scope="session")
def victoria_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetricServer]:
    """VictoriaMetrics with basic auth, holding ``p99{scenario, track}``."""
    began = time.monotonic()
    binary = _binary("victoria-metrics", "victoria-metrics")
    root = tmp_path_factory.mktemp("victoria")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        binary,
        f"-storageDataPath={root / 'data'}",
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-httpAuth.username={USERNAME}",
        f"-httpAuth.password={PASSWORD}",
        "-retentionPeriod=1y",
        "-search.disableCache",
        "-loggerLevel=ERROR",
    ]
    process = _started(argv, root / "victoria.log")
    auth = (USERNAME, PASSWORD)
    try:
        _ready(process, lambda: requests.get(f"{url}/health", auth=auth, timeout=1).ok,
               root / "victoria.log")  # fmt: skip
        end = _end()
        points = written(end)
        lines = [
            f'p99{{scenario="{scenario}",track="{track}"}} {value!r} {stamp * 1000:.0f}'
            for (scenario, track), series in points.items()
            for stamp, value in series
        ]
        imported = requests.post(
            f"{url}/api/v1/import/prometheus", data="\n".join(lines).encode(), auth=auth,
            timeout=30,
        )  # fmt: skip
        assert imported.status_code == 204, imported.text
        requests.get(f"{url}/internal/force_flush", auth=auth, timeout=30).raise_for_status()
        yield MetricServer(url, end, points, time.monotonic() - began)
    finally:
        _stopped(process)


_GRAPHITE_SETTINGS = """\
from graphite.settings import *  # noqa: F403 (graphite-web's defaults, then this store's)

SECRET_KEY = "canary-tests-only"
ALLOWED_HOSTS = ["127.0.0.1"]
STORAGE_DIR = {root!r}
WHISPER_DIR = {root!r} + "/whisper"
STANDARD_DIRS = [WHISPER_DIR]
STORAGE_FINDERS = ("graphite.finders.standard.StandardFinder",)
LOG_DIR = {root!r}
INDEX_FILE = {root!r} + "/index"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {root!r} + "/web.db"}}}}
"""


@pytest.fixture(scope="session")
def graphite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetricServer]:
    """carbon-cache writing whisper files, graphite-web's render API reading them: series
    ``checkout.<scenario>.<track>.p99``."""
    began = time.monotonic()
    carbon = _binary("carbon-cache", "graphite-carbon")
    _binary("graphite-manage", "graphite-web")
    root = tmp_path_factory.mktemp("graphite")
    line_port, web_port = free_port(), free_port()
    (root / "whisper").mkdir()
    (root / "carbon.conf").write_text(
        "[cache]\n"
        f"STORAGE_DIR = {root}/\nLOCAL_DATA_DIR = {root}/whisper/\n"
        f"WHITELISTS_DIR = {root}/lists/\nLOG_DIR = {root}/\nPID_DIR = {root}/\n"
        "ENABLE_LOGROTATION = False\nUSER =\nMAX_CACHE_SIZE = inf\n"
        "MAX_UPDATES_PER_SECOND = 100000\nMAX_CREATES_PER_MINUTE = inf\n"
        f"LINE_RECEIVER_INTERFACE = 127.0.0.1\nLINE_RECEIVER_PORT = {line_port}\n"
        "ENABLE_UDP_LISTENER = False\nPICKLE_RECEIVER_PORT = 0\nCACHE_QUERY_PORT = 0\n"
        "LOG_LISTENER_CONN_SUCCESS = False\nLOG_UPDATES = False\nLOG_CACHE_HITS = False\n",
        encoding="utf-8",
    )
    retention = f"{int(STEP)}s:{DAYS + 1}d"
    (root / "storage-schemas.conf").write_text(
        f"[all]\npattern = .*\nretentions = {retention}\n", encoding="utf-8"
    )
    (root / "storage-aggregation.conf").write_text(
        "[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n", encoding="utf-8"
    )
    (root / "canary_graphite.py").write_text(
        _GRAPHITE_SETTINGS.format(root=str(root)), encoding="utf-8"
    )
    cache = _started(
        [carbon, f"--config={root / 'carbon.conf'}", "--nodaemon", "start"], root / "carbon.log"
    )
    environ = {"PYTHONPATH": str(root), "DJANGO_SETTINGS_MODULE": "canary_graphite"}
    python = "/usr/bin/python3"  # Debian's, which holds graphite-web and Django
    url = f"http://127.0.0.1:{web_port}"
    web = subprocess.Popen(
        [python, "-m", "django", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{web_port}"],
        stdout=(root / "web.log").open("wb"), stderr=subprocess.STDOUT, cwd=root,
        env={"PATH": "/usr/bin:/bin", **environ},
    )  # fmt: skip
    try:
        _ready(web, lambda: requests.get(f"{url}/render?format=json", timeout=1).ok,
               root / "web.log")  # fmt: skip
        end = _end()
        points = written(end)
        _send_to_carbon(line_port, points, cache, root / "carbon.log")
        _wait_for_whisper(url, points)
        yield MetricServer(url, end, points, time.monotonic() - began)
    finally:
        _stopped(cache, web)


def _send_to_carbon(
    port: int,
    points: dict[Key, list[tuple[float, float]]],
    cache: subprocess.Popen[bytes],
    log: Path,
) -> None:
    import socket

    lines = "".join(
        f"checkout.{scenario}.{track}.p99 {value!r} {stamp:.0f}\n"
        for (scenario, track), series in points.items()
        for stamp, value in series
    ).encode()
    deadline = time.monotonic() + _READY
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(lines)
            return
        except OSError:
            if cache.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"carbon-cache took no points:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)


def _wait_for_whisper(url: str, points: dict[Key, list[tuple[float, float]]]) -> None:
    """Until graphite-web reads every point carbon-cache was sent (it writes in the background)."""
    wanted = sum(len(series) for series in points.values())
    earliest = min(stamp for series in points.values() for stamp, _ in series)
    deadline = time.monotonic() + _READY
    while time.monotonic() < deadline:
        answer = requests.get(
            f"{url}/render", params={"target": "checkout.*.*.p99", "format": "json",
                                     "from": f"{earliest - 1:.0f}", "until": "now"}, timeout=30,
        )  # fmt: skip
        if answer.ok:
            seen = sum(
                1 for item in answer.json() for value, _ in item["datapoints"] if value is not None
            )
            if seen >= wanted:
                return
        time.sleep(0.2)
    pytest.fail(f"graphite-web read fewer than the {wanted} points written", pytrace=False)


__all__ = ["MetricServer", "graphite_server", "influxdb_server", "victoria_server"]
