"""The canary judge over whole rollouts on a real service: real requests, real counters and
histogram buckets, a real regression, scraped by a real Prometheus (issue 55).

Everything the study varies is frozen in ``canary_loopback.design.json`` (committed before the
first score): the seed, the pairs and the regression each pair's canary carries, the base error
share, the handler's latency, the buckets, the windows and the judge's configurations.

What runs (``python -m research.deploy.canary_loopback run --out DIR``, about 26 minutes):

- **the service** (``serve``, one process, Python asyncio over TCP on loopback): every request
  ``GET /w/<pair>/<track>`` sleeps a lognormal time (the handler), then answers 500 with the base
  error share or 200. A pair's canary carries its regression: an added sleep (``+10 %`` adds 10 %
  of the handler's p99 sleep, so the p99 rises by about that much) and an added error share
  (``+10 %``: the error share times 1.1). The service counts what it served as a Prometheus
  client library does: ``http_requests_total{pair,track,code}`` and the histogram
  ``http_request_duration_seconds{pair,track}`` (the client libraries' default buckets), the
  duration timed around the handler;
- **the load generator**: ``wrk`` (Debian's package), closed loop with a fixed number of
  connections, each request to a pair drawn uniformly and to its canary or baseline with
  probability one half (the traffic split), from a Lua script seeded by the design;
- **Prometheus** (Debian's ``prometheus``) scraping the service every second on loopback.

Then ``judge`` (``python -m research.deploy.canary_loopback judge --out DIR``) runs the judge the
way a rollout does, after the load: for each pair and each configuration, up to six calls, each
reading its window from Prometheus through the action's own collect step (``fetch_samples``,
``canary-end`` at the window's end, ``since`` the state's), judged by ``judge_samples`` and the
state sealed, handed on and read back (``decode_state``), stopping at the first promote or
rollback. Each pair gives one rollout per time segment (two segments of six windows).
Figures per kind: false rollback, no change promoted, +10 % detected, +30 % promoted, +30 %
detected, mean calls to a decision, and the one-window (first call) figures; and the counts each
window held (requests, errors, requests slower than the baseline's p99 bucket per side).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

DESIGN = Path(__file__).with_name("canary_loopback.design.json")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
TRACKS = ("baseline", "canary")


def load_design(path: Path = DESIGN) -> dict[str, Any]:
    design: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return design


@dataclass(frozen=True)
class Pair:
    """One baseline/canary pair and the regression its canary carries (fractions)."""

    name: str
    error_effect: float
    latency_effect: float


def pairs_of(design: dict[str, Any]) -> list[Pair]:
    """The pairs: every combination of the error and latency effects, ``per_combination`` each,
    in an order shuffled by the seed (so no effect sits on neighbouring labels)."""
    effects = design["effects"]
    combos = [(e, lat) for e in effects for lat in effects] * design["per_combination"]
    random.Random(design["seed"]).shuffle(combos)
    return [Pair(f"p{i:03d}", e, lat) for i, (e, lat) in enumerate(combos)]


# --- the service ---------------------------------------------------------------------------------


@dataclass
class Track:
    """What one pair's track served, as a client library's counters and histogram hold it."""

    error_share: float
    added_sleep: float
    ok: int = 0
    errors: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    seconds: float = 0.0

    def observe(self, duration: float, failed: bool) -> None:
        if failed:
            self.errors += 1
        else:
            self.ok += 1
        self.seconds += duration
        index = next((i for i, bound in enumerate(BUCKETS) if duration <= bound), len(BUCKETS))
        self.buckets[index] += 1


def exposition(tracks: dict[tuple[str, str], Track]) -> bytes:
    """The Prometheus text format of every track's counters and histogram."""
    lines = ["# TYPE http_requests_total counter"]
    for (pair, track), t in tracks.items():
        labels = f'pair="{pair}",track="{track}"'
        lines.append(f'http_requests_total{{{labels},code="200"}} {t.ok}')
        lines.append(f'http_requests_total{{{labels},code="500"}} {t.errors}')
    lines.append("# TYPE http_request_duration_seconds histogram")
    for (pair, track), t in tracks.items():
        labels = f'pair="{pair}",track="{track}"'
        total = 0
        for bound, count in zip((*BUCKETS, math.inf), t.buckets, strict=True):
            total += count
            le = "+Inf" if math.isinf(bound) else repr(bound)
            lines.append(f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} {total}')
        lines.append(f"http_request_duration_seconds_count{{{labels}}} {total}")
        lines.append(f"http_request_duration_seconds_sum{{{labels}}} {t.seconds!r}")
    return ("\n".join(lines) + "\n").encode()


def handler_p99(design: dict[str, Any]) -> float:
    """The handler's p99 sleep (lognormal: median times exp(z_0.99 sigma))."""
    service = design["service"]
    return float(service["median_seconds"] * math.exp(NormalDist().inv_cdf(0.99) * service["sigma"]))


def build_tracks(design: dict[str, Any]) -> dict[tuple[str, str], Track]:
    base = design["service"]["error_share"]
    p99 = handler_p99(design)
    tracks = {}
    for pair in pairs_of(design):
        tracks[(pair.name, "baseline")] = Track(base, 0.0)
        tracks[(pair.name, "canary")] = Track(
            base * (1 + pair.error_effect), pair.latency_effect * p99
        )
    return tracks


def serve(design: dict[str, Any], port: int) -> None:
    """The service: ``GET /w/<pair>/<track>`` and ``GET /metrics``, HTTP/1.1 keep-alive."""
    service = design["service"]
    rng = random.Random(design["seed"])
    tracks = build_tracks(design)
    mu, sigma = math.log(service["median_seconds"]), service["sigma"]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                if path == "/metrics":
                    body = exposition(tracks)
                    status = b"200 OK"
                else:
                    _, _, pair, side = path.split("/")
                    track = tracks[(pair, side)]
                    started = time.perf_counter()
                    await asyncio.sleep(rng.lognormvariate(mu, sigma) + track.added_sleep)
                    failed = rng.random() < track.error_share
                    track.observe(time.perf_counter() - started, failed)
                    status, body = (b"500 Internal Server Error", b"no\n") if failed else (
                        b"200 OK",
                        b"ok\n",
                    )
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body
                )  # fmt: skip
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, KeyError, IndexError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- the load and Prometheus ---------------------------------------------------------------------


def wrk_script(design: dict[str, Any]) -> str:
    """wrk's Lua: each request to a pair drawn uniformly, canary with probability ``split``."""
    names = ", ".join(f'"{p.name}"' for p in pairs_of(design))
    return f"""
local pairs = {{{names}}}
local split = {design["load"]["canary_share"]}
local seeded = 0
setup = function(thread)
  seeded = seeded + 1
  thread:set("seed", {design["seed"]} + seeded)
end
init = function(args) math.randomseed(seed) end
request = function()
  local track = "baseline"
  if math.random() < split then track = "canary" end
  return wrk.format("GET", "/w/" .. pairs[math.random(#pairs)] .. "/" .. track)
end
"""


PROMETHEUS_CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: loopback
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, seconds: float = 60.0) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.exceptions.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def run(design: dict[str, Any], out: Path, seconds: float | None) -> None:
    """Start the service, Prometheus and wrk; let the load run the design's span; write the
    manifest (when the windows start) for ``judge``. Prometheus keeps running afterwards
    (``prometheus.pid``) until ``judge --stop``."""
    for tool in ("wrk", "prometheus"):
        if shutil.which(tool) is None:
            raise SystemExit(f"`{tool}` is not installed (Debian: apt-get install {tool})")
    out.mkdir(parents=True, exist_ok=True)
    span = seconds or (
        design["warmup_seconds"]
        + design["segments"] * design["calls"] * design["window_seconds"]
        + design["tail_seconds"]
    )
    port, prom_port = free_port(), free_port()
    (out / "load.lua").write_text(wrk_script(design), encoding="utf-8")
    (out / "prometheus.yml").write_text(PROMETHEUS_CONFIG.format(port=port), encoding="utf-8")
    nice = ["nice", "-n", str(design["nice"])]
    service = subprocess.Popen(
        [*nice, sys.executable, "-m", "research.deploy.canary_loopback", "serve", "--port", str(port)],
        stdout=(out / "service.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/metrics")
    prometheus = subprocess.Popen(
        [*nice, "prometheus", f"--config.file={out / 'prometheus.yml'}",
         f"--storage.tsdb.path={out / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=(out / "prometheus.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    (out / "prometheus.pid").write_text(str(prometheus.pid), encoding="utf-8")
    wait_http(f"http://127.0.0.1:{prom_port}/-/ready")
    load = design["load"]
    started = time.time()
    wrk = subprocess.Popen(
        [*nice, "wrk", "-t", str(load["threads"]), "-c", str(load["connections"]),
         "-d", f"{math.ceil(span)}s", "--timeout", "10s", "-s", str(out / "load.lua"),
         f"http://127.0.0.1:{port}"],
        stdout=(out / "wrk.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    manifest = {
        "prometheus": f"http://127.0.0.1:{prom_port}",
        "load_started": started,
        "first_window_starts": started + design["warmup_seconds"],
        "span_seconds": span,
        "service_pid": service.pid,
        "wrk_pid": wrk.pid,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    print(json.dumps(manifest), flush=True)
    try:
        wrk.wait(timeout=span + 60)
    finally:
        for process in (wrk, service):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=10)
    print((out / "wrk.log").read_text(encoding="utf-8"), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="the service alone")
    serve_cmd.add_argument("--port", type=int, required=True)
    run_cmd = commands.add_parser("run", help="service, Prometheus and wrk for the design's span")
    run_cmd.add_argument("--out", type=Path, required=True)
    run_cmd.add_argument("--seconds", type=float, help="a shorter span (a trial, never scored)")
    judge_cmd = commands.add_parser("judge", help="the rollouts, judged from Prometheus")
    judge_cmd.add_argument("--out", type=Path, required=True)
    judge_cmd.add_argument("--json", action="store_true")
    judge_cmd.add_argument("--stop", action="store_true", help="stop Prometheus afterwards")
    args = parser.parse_args(argv)
    design = load_design()
    if args.command == "serve":
        serve(design, args.port)
    elif args.command == "run":
        run(design, args.out, args.seconds)
    else:
        judge_main(design, args.out, as_json=args.json, stop=args.stop)


def judge_main(design: dict[str, Any], out: Path, *, as_json: bool, stop: bool) -> None:
    raise NotImplementedError


def _unused() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
