"""The canary judge over whole rollouts on a real service: real requests, real counters and
histogram buckets, a real regression, scraped by a real Prometheus.

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
    return float(
        service["median_seconds"] * math.exp(NormalDist().inv_cdf(0.99) * service["sigma"])
    )


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
                    status = b"500 Internal Server Error" if failed else b"200 OK"
                    body = b"no\n" if failed else b"ok\n"
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


LEVELS = ("one pair", "pooled")


@dataclass(frozen=True)
class Service:
    """What one rollout judges: a pair (or a pool of pairs of one combination, summed like the
    pods of one track) and the effects its canary carries."""

    names: tuple[str, ...]
    error_effect: float
    latency_effect: float

    @property
    def selector(self) -> str:
        if len(self.names) == 1:
            return f'pair="{self.names[0]}"'
        return f'pair=~"{"|".join(self.names)}"'


def services(design: dict[str, Any], level: str) -> list[Service]:
    pairs = pairs_of(design)
    if level == "one pair":
        return [Service((p.name,), p.error_effect, p.latency_effect) for p in pairs]
    size = design["judge"]["pooled"]
    pooled = []
    for combo in sorted({(p.error_effect, p.latency_effect) for p in pairs}):
        names = [p.name for p in pairs if (p.error_effect, p.latency_effect) == combo]
        for i in range(0, len(names) - size + 1, size):
            pooled.append(Service(tuple(names[i : i + size]), *combo))
    return pooled


def label(effect: float) -> str:
    return "no change" if effect == 0 else f"+{effect:.0%}".replace("%", " %")


@dataclass
class Tally:
    """Rollout outcomes per effect, the first call's, calls to a decision, counts per window."""

    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    first: dict[str, dict[str, int]] = field(default_factory=dict)
    calls: list[int] = field(default_factory=list)
    windows: list[dict[str, float]] = field(default_factory=list)

    def add(self, effect: str, verdicts: list[str]) -> None:
        final = verdicts[-1]
        for table, verdict in ((self.outcomes, final), (self.first, verdicts[0])):
            row = table.setdefault(effect, {})
            row[verdict] = row.get(verdict, 0) + 1
        if final != "continue":
            self.calls.append(len(verdicts))

    def cell(self, effect: str, verdict: str, first: bool = False) -> str:
        row = (self.first if first else self.outcomes).get(effect, {})
        total = sum(row.values())
        if not total:
            return "n/a"
        hits = row.get(verdict, 0)
        return f"{100 * hits / total:.1f} % ({hits}/{total})"

    def figures(self) -> dict[str, str]:
        mean = sum(self.calls) / len(self.calls) if self.calls else math.nan
        return {
            "false rollback": self.cell("no change", "rollback"),
            "no change promoted": self.cell("no change", "promote"),
            "+10 % detected": self.cell("+10 %", "rollback"),
            "+30 % promoted": self.cell("+30 %", "promote"),
            "+30 % detected": self.cell("+30 %", "rollback"),
            "mean calls to a decision": f"{mean:.1f}",
            "one window: false rollback": self.cell("no change", "rollback", first=True),
            "one window: +30 % detected": self.cell("+30 %", "rollback", first=True),
        }

    def counts(self) -> dict[str, float]:
        """Medians over the windows judged: per side, requests and the events the test counts."""
        import numpy as np

        keys = sorted({k for w in self.windows for k in w})
        found = {k: float(np.median([w[k] for w in self.windows if k in w])) for k in keys}
        for key in [k for k in keys if k.endswith("dispersion")]:
            values = [w[key] for w in self.windows if key in w]
            found[f"{key} (90th percentile)"] = float(np.percentile(values, 90))
            found[f"{key} (mean)"] = float(np.mean(values))
        return found


class Rollouts:
    """The judge as the action runs it, against the study's Prometheus."""

    def __init__(self, design: dict[str, Any], manifest: dict[str, Any]) -> None:
        # The client the collect step itself reads Prometheus with.
        from cicd_agent.modes.deploy_gate.canary import collect

        self.design = design
        self.client = collect.PrometheusClient(manifest["prometheus"], timeout=60.0)
        self.first = float(manifest["first_window_starts"])

    def config(self, kinds: tuple[str, ...], settings: dict[str, float], service: Service) -> Any:
        from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, MetricSpec

        judge = self.design["judge"]
        metrics = tuple(
            MetricSpec(
                name=f"{kind}",
                kind=kind,
                query=judge["queries"][kind].replace("PAIR", service.selector),
                direction="increase",
                **settings,
            )
            for kind in kinds
        )
        return CanaryConfig(
            lookback=self.design["window_seconds"], step=judge["step_seconds"], metrics=metrics
        )

    def rollout(self, config: Any, segment: int, tally: Tally) -> list[str]:
        """Up to ``calls`` calls over the segment's windows, the sealed state handed on."""
        from cicd_agent.modes.deploy_gate.canary.collect import fetch_samples
        from cicd_agent.modes.deploy_gate.canary.decide import judge_samples
        from cicd_agent.modes.deploy_gate.canary.metric import check_keys
        from cicd_agent.modes.deploy_gate.canary.options import config_digest, state_key
        from cicd_agent.modes.deploy_gate.canary.state import decode_state

        calls, width = self.design["calls"], self.design["window_seconds"]
        key = state_key("loopback-study-secret", "release")
        text: str | None = None
        verdicts: list[str] = []
        for call in range(calls):
            end = self.first + (segment * calls + call + 1) * width
            state = decode_state(text, config_digest(config), check_keys(config.metrics), key)
            samples = fetch_samples(self.client, config, end=end, since=state.until)
            if samples.error:
                raise SystemExit(f"Prometheus could not be read: {samples.error}")
            judged = judge_samples(samples, config, state)
            seen = window_counts(samples)
            for check, evidence in judged.state.checks.items():
                spread = getattr(evidence, "dispersion", ())
                if spread:  # the count test's dispersion this call (1: as counting explains)
                    seen[f"{check.split('/')[0]}: dispersion"] = spread[-1]
            tally.windows.append(seen)
            verdicts.append(judged.verdict)
            text = judged.state.encode()
            if judged.verdict != "continue":
                break
        return verdicts


def window_counts(samples: Any) -> dict[str, float]:
    """One window's counts per side as the judge read them (events and traffic per metric)."""
    found: dict[str, float] = {}
    for name, counts in samples.counts.items():
        event = "errors" if name == "rate" else "slower than the p99 bucket"
        found[f"{name}: requests a side"] = (
            sum(counts.baseline_traffic) + sum(counts.canary_traffic)
        ) / 2
        found[f"{name}: {event}, baseline"] = sum(counts.baseline)
        found[f"{name}: {event}, canary"] = sum(counts.canary)
    return found


def study(design: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Tally]:
    """Every rollout of the design: per configuration, kind and traffic level; and the two
    kinds together in one configuration (one error budget)."""
    rollouts = Rollouts(design, manifest)
    judge = design["judge"]
    tallies: dict[str, Tally] = {}
    runs: list[tuple[str, tuple[str, ...], dict[str, float], str]] = [
        (name, (kind,), settings, level)
        for name, settings in judge["configs"].items()
        for kind in ("rate", "latency")
        for level in LEVELS
    ]
    combined = judge["combined"]
    runs += [(combined, ("rate", "latency"), judge["configs"][combined], lv) for lv in LEVELS]
    for name, kinds, settings, level in runs:
        row = f"{' + '.join(kinds)} | {level} | {name}"
        tally = tallies.setdefault(row, Tally())
        for service in services(design, level):
            effects = {"rate": service.error_effect, "latency": service.latency_effect}
            if len(kinds) == 1:
                effect = label(effects[kinds[0]])
            elif max(effects.values()) == 0:
                effect = "no change"
            else:
                effect = label(max(effects.values()))
            config = rollouts.config(kinds, settings, service)
            for segment in range(design["segments"]):
                tally.add(effect, rollouts.rollout(config, segment, tally))
        print(f"judged: {row}", file=sys.stderr, flush=True)
    return tallies


def judge_main(design: dict[str, Any], out: Path, *, as_json: bool, stop: bool) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    try:
        tallies = study(design, manifest)
    finally:
        if stop:
            import os

            os.kill(int((out / "prometheus.pid").read_text(encoding="utf-8")), signal.SIGTERM)
    report = {
        row: {**t.figures(), "counts per window (median)": t.counts()} for row, t in tallies.items()
    }
    (out / "figures.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    if as_json:
        print(json.dumps(report, indent=2))
        return
    keys = list(next(iter(tallies.values())).figures())
    print("| kind | traffic | config | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 3) + "|")
    for row, tally in tallies.items():
        print(f"| {row} | " + " | ".join(tally.figures().values()) + " |")
    print()
    for row, tally in tallies.items():
        counts = "; ".join(f"{k} {v:.3g}" for k, v in tally.counts().items())
        print(f"- {row}: {counts}")


if __name__ == "__main__":
    main()
