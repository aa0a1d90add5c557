"""False rollbacks on at least 300 rollouts per metric kind, block-resampled from one recording of
a real service under load (issue 67: "shown, not assumed").

Two steps, run from the repository root:

- ``python -m research.deploy.canary_replay record --out research/deploy/canary_replay.npz``
  runs the loopback service once (:mod:`canary_loopback`'s handler and client-library counting,
  ``wrk`` as the load, Debian's package) for :data:`RECORD_SECONDS` and writes what every track
  served each second: requests, errors, the duration histogram's bucket counts (the client
  libraries' default buckets) and the durations' sum. Eight pairs of tracks share the load: four
  whose canary is the baseline (no change), four whose canary is 30 % worse **in the service**
  (each request's sleep times 1.3, its error share times 1.3): the change is injected where a
  release would make it, not added to recorded numbers. The recording is committed.
- ``python -m research.deploy.canary_replay judge [--rollouts 300] [--json]`` resamples it into
  rollouts (a moving-block bootstrap: each call's window is :data:`BLOCKS_PER_CALL` blocks of
  :data:`BLOCK_SECONDS` consecutive seconds drawn at random from the recording, the two tracks of
  a pair always read at the same seconds, so bursts that hit both stay paired as in a real
  rollout; steps of :data:`STEP_SECONDS`) and judges each with the judge's own code, up to six
  calls, the state carried, stopping at the first verdict other than ``continue``. Each pair's
  canary is judged as four kinds: ``count`` (errors a step), ``rate`` (errors over requests, on
  the counts), ``latency`` (p99, on the tail counts of the histogram, as ``collect`` reads
  them) and ``gauge`` (the mean duration a step, paired log ratios). Every metric allows +10 %
  and a promote must rule out +30 % (the defaults).

Figures per kind: false rollback on the unchanged pairs with its one-sided 95 % Clopper-Pearson
upper bound (the target: at most 1 %), promoted and ``insufficient``; +30 % promoted (at most
2 %) and detected on the changed pairs, with the change the recording actually shows.
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
from pathlib import Path

import numpy as np
from research.deploy.canary_loopback import BUCKETS, Track, free_port, wait_http
from research.deploy.canary_power import upper_bound
from research.deploy.canary_rollout import spec_for

RECORDING = Path(__file__).with_name("canary_replay.npz")
SEED = 20261126
PAIRS = {f"same{i}": 1.0 for i in range(4)} | {f"worse{i}": 1.3 for i in range(4)}
SERVICE = {"median_seconds": 0.02, "sigma": 0.5, "error_share": 0.01}
LOAD = {"threads": 2, "connections": 64}
WARMUP_SECONDS, RECORD_SECONDS = 30, 1200
BLOCK_SECONDS, BLOCKS_PER_CALL, STEP_SECONDS, CALLS = 30, 4, 10, 6
FIELDS = ("requests", "errors", *(f"le {b}" for b in (*BUCKETS, math.inf)))
KINDS = ("count", "rate", "latency", "gauge")


def tracks() -> list[tuple[str, str]]:
    return [(pair, side) for pair in PAIRS for side in ("baseline", "canary")]


# --- the recording -------------------------------------------------------------------------------


def serve(port: int, out: Path) -> None:
    """The service (:mod:`canary_loopback`'s handler, a canary ``worse`` times slower and times
    more often failing), writing every track's cumulative counts once a second to ``out``."""
    rng = random.Random(SEED)
    mu, sigma = math.log(SERVICE["median_seconds"]), SERVICE["sigma"]
    served = {
        (pair, side): Track(SERVICE["error_share"] * (worse if side == "canary" else 1.0), 0.0)
        for pair, worse in PAIRS.items()
        for side in ("baseline", "canary")
    }
    slower = {key: PAIRS[key[0]] if key[1] == "canary" else 1.0 for key in served}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                _, _, pair, side = head.split(b" ", 2)[1].decode().split("/")
                track = served[(pair, side)]
                started = time.perf_counter()
                await asyncio.sleep(rng.lognormvariate(mu, sigma) * slower[(pair, side)])
                failed = rng.random() < track.error_share
                track.observe(time.perf_counter() - started, failed)
                body = b"no\n" if failed else b"ok\n"
                status = b"500 Internal Server Error" if failed else b"200 OK"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 3\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, KeyError, IndexError):
            pass
        finally:
            writer.close()

    async def write() -> None:
        with out.open("w", encoding="utf-8") as sink:
            while True:
                await asyncio.sleep(1.0 - time.time() % 1.0)
                now = round(time.time())
                for (pair, side), t in served.items():
                    cumulative = np.cumsum(t.buckets).tolist()
                    row = [now, pair, side, t.ok + t.errors, t.errors, *cumulative, t.seconds]
                    sink.write(",".join(map(str, row)) + "\n")
                sink.flush()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        writer = asyncio.create_task(write())
        async with server:
            await server.serve_forever()
        writer.cancel()

    asyncio.run(main())


LUA = """
local names = {%s}
local seeded = 0
setup = function(thread) seeded = seeded + 1; thread:set("seed", %d + seeded) end
init = function(args) math.randomseed(seed) end
request = function()
  local side = "baseline"
  if math.random() < 0.5 then side = "canary" end
  return wrk.format("GET", "/w/" .. names[math.random(#names)] .. "/" .. side)
end
"""


def record(out: Path, seconds: float) -> None:
    """Run the service under ``wrk`` and keep ``seconds`` of it (after the warm-up) as per-second
    counts per track in ``out`` (a compressed numpy archive)."""
    if shutil.which("wrk") is None:
        raise SystemExit("`wrk` is not installed (Debian: apt-get install wrk)")
    work = out.with_suffix(".work")
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (work / "load.lua").write_text(
        LUA % (", ".join(f'"{p}"' for p in PAIRS), SEED), encoding="utf-8"
    )
    raw = work / "counts.csv"
    service = subprocess.Popen(
        ["nice", "-n", "5", sys.executable, "-m", "research.deploy.canary_replay", "serve",
         "--port", str(port), "--raw", str(raw)],
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/w/same0/baseline")
        load = subprocess.run(
            ["nice", "-n", "5", "wrk", "-t", str(LOAD["threads"]), "-c", str(LOAD["connections"]),
             "-d", f"{math.ceil(WARMUP_SECONDS + seconds + 2)}s", "--timeout", "10s",
             "-s", str(work / "load.lua"), f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=30)
    (work / "wrk.log").write_text(load.stdout, encoding="utf-8")
    print(load.stdout, flush=True)
    save(raw, out, seconds)


def save(raw: Path, out: Path, seconds: float) -> None:
    """Per-second differences of the cumulative rows, the warm-up dropped."""
    rows: dict[int, dict[tuple[str, str], list[float]]] = {}
    for line in raw.read_text(encoding="utf-8").splitlines():
        now, pair, side, *values = line.split(",")
        rows.setdefault(int(now), {})[(pair, side)] = [float(v) for v in values]
    times = sorted(t for t, row in rows.items() if len(row) == len(tracks()))
    cumulative = np.array([[rows[t][key] for key in tracks()] for t in times])
    steps = np.diff(cumulative, axis=0)
    keep = slice(WARMUP_SECONDS, WARMUP_SECONDS + int(seconds))
    np.savez_compressed(
        out,
        seconds=np.diff(np.asarray(times))[keep].astype(np.int32),
        counts=np.rint(steps[keep, :, :-1]).astype(np.int32),
        duration=steps[keep, :, -1].astype(np.float32),
    )


# --- the replay ----------------------------------------------------------------------------------


class Recording:
    """The recording: per second and track, requests, errors, cumulative bucket counts (by
    ``le``) and the durations' sum."""

    def __init__(self, path: Path = RECORDING) -> None:
        with np.load(path) as data:
            self.counts = data["counts"].astype(float)
            self.duration = data["duration"].astype(float)
            self.gaps = int(np.sum(data["seconds"] != 1))
        self.index = {key: i for i, key in enumerate(tracks())}

    def window(self, pair: str, side: str, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One call's steps for a track: the blocks from ``starts`` summed by step (counts per
        step by field, and the durations' sum per step)."""
        seconds = (starts[:, None] + np.arange(BLOCK_SECONDS)[None, :]).ravel()
        track = self.index[(pair, side)]
        shape = (-1, STEP_SECONDS)
        counts = self.counts[seconds, track].reshape(*shape, len(FIELDS)).sum(axis=1)
        return counts, self.duration[seconds, track].reshape(shape).sum(axis=1)


def quantile(counts: np.ndarray, q: float = 0.99) -> np.ndarray:
    """Each step's quantile from its buckets, as ``histogram_quantile`` interpolates."""
    bounds = np.array((0.0, *BUCKETS))
    found = []
    for row in counts[:, 2:]:
        rank = q * row[-1]
        at = int(np.searchsorted(row, rank))
        if row[-1] <= 0 or at >= len(BUCKETS):
            found.append(BUCKETS[-1] if row[-1] > 0 else math.nan)
            continue
        below = row[at - 1] if at else 0.0
        share = (rank - below) / max(row[at] - below, 1e-12)
        found.append(bounds[at] + (bounds[at + 1] - bounds[at]) * share)
    return np.asarray(found)


def judged(
    kind: str, base: tuple[np.ndarray, np.ndarray], cand: tuple[np.ndarray, np.ndarray]
) -> dict[str, object]:
    """One call's arguments to the judge for a kind, from the two tracks' steps."""
    from cicd_agent.modes.deploy_gate.canary.collect import tail_counts
    from cicd_agent.modes.deploy_gate.canary.metric import RateCounts

    (b, b_seconds), (c, c_seconds) = base, cand
    if kind == "count":
        return {"baseline": b[:, 1], "canary": c[:, 1]}
    if kind == "rate":
        counts = RateCounts(b[:, 1], c[:, 1], b[:, 0], c[:, 0])
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"baseline": b[:, 1] / b[:, 0], "canary": c[:, 1] / c[:, 0], "counts": counts}
    if kind == "latency":
        steps = range(len(b))

        def buckets(side: np.ndarray) -> dict[float, dict[float, float]]:
            bounds = (*BUCKETS, math.inf)
            return {
                le: {float(t): float(side[t, 2 + i]) for t in steps} for i, le in enumerate(bounds)
            }

        tail = tail_counts(0.99, buckets(b), buckets(c))
        return {"baseline": quantile(b), "canary": quantile(c), "counts": tail}
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"baseline": b_seconds / b[:, 0], "canary": c_seconds / c[:, 0]}


def spec(kind: str) -> object:
    from cicd_agent.modes.deploy_gate.canary.config import DEFAULT_ERROR_RATE_QUERY, MetricSpec

    if kind == "rate":
        return MetricSpec(name="metric", kind="rate", query=DEFAULT_ERROR_RATE_QUERY)
    return spec_for(kind)


def rollout(recording: Recording, kind: str, pair: str, swap: bool, draws: np.ndarray) -> str:
    """One rollout's last verdict: up to :data:`CALLS` calls, a call's window the blocks
    starting at ``draws[call]``, the state carried, stopping at the first verdict other than
    ``continue``."""
    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds
    from cicd_agent.modes.deploy_gate.canary.judge import judge_canary

    sides = ("canary", "baseline") if swap else ("baseline", "canary")
    state, verdict = None, "continue"
    for starts in draws:
        one = judged(kind, *(recording.window(pair, side, starts) for side in sides))
        counts = one.get("counts")
        result = judge_canary(
            {"metric": one["baseline"]}, {"metric": one["canary"]}, [spec(kind)],  # type: ignore[list-item,dict-item]
            CanaryThresholds(), state=state,
            counts=None if counts is None else {"metric": counts},  # type: ignore[dict-item]
            spans={"metric": float(BLOCK_SECONDS * BLOCKS_PER_CALL)},
        )  # fmt: skip
        state, verdict = result.state, result.verdict
        if verdict != "continue":
            break
    return verdict


def replay(recording: Recording, count: int) -> dict[str, dict[str, dict[str, int]]]:
    """``count`` rollouts per kind with no change (the unchanged pairs, either track as the
    canary) and with the change (the changed pairs), each kind on the same block draws."""
    rng = np.random.default_rng(SEED)
    seconds = recording.counts.shape[0]
    found: dict[str, dict[str, dict[str, int]]] = {kind: {} for kind in KINDS}
    for effect, worse in (("no change", 1.0), ("+30 %", 1.3)):
        pairs = [pair for pair, factor in PAIRS.items() if factor == worse]
        for _ in range(count):
            pair = pairs[int(rng.integers(len(pairs)))]
            swap = worse == 1.0 and bool(rng.integers(2))
            draws = rng.integers(0, seconds - BLOCK_SECONDS + 1, (CALLS, BLOCKS_PER_CALL))
            for kind in KINDS:
                verdict = rollout(recording, kind, pair, swap, draws)
                row = found[kind].setdefault(effect, {})
                row[verdict] = row.get(verdict, 0) + 1
    return found


def recorded_change(recording: Recording) -> dict[str, str]:
    """What the changed pairs' canaries show against their baselines over the whole recording,
    per kind (the change is made in the service, so it is measured, not assumed); and the
    traffic a side a call."""
    every = np.arange(0, recording.counts.shape[0] - BLOCK_SECONDS + 1, BLOCK_SECONDS)
    sides = {
        side: [recording.window(pair, side, every) for pair, f in PAIRS.items() if f > 1]
        for side in ("baseline", "canary")
    }
    total = {side: sum(c.sum(axis=0) for c, _ in found) for side, found in sides.items()}
    seconds = {side: sum(float(s.sum()) for _, s in found) for side, found in sides.items()}
    base, cand = total["baseline"], total["canary"]
    calls = recording.counts.shape[0] / (BLOCK_SECONDS * BLOCKS_PER_CALL) * 4
    return {
        "count": f"{cand[1] / base[1] - 1:+.1%}",
        "rate": f"{cand[1] / cand[0] / (base[1] / base[0]) - 1:+.1%}",
        "latency": f"{quantile(cand[None])[0] / quantile(base[None])[0] - 1:+.1%}",
        "gauge": f"{seconds['canary'] / cand[0] / (seconds['baseline'] / base[0]) - 1:+.1%}",
        "requests a side a call": f"{base[0] / calls:.0f}",
        "errors a side a call": f"{base[1] / calls:.1f}",
    }


def figures(found: dict[str, dict[str, int]], change: str) -> dict[str, str]:
    def share(effect: str, verdict: str, bound: bool = False) -> str:
        row = found.get(effect, {})
        hits, total = row.get(verdict, 0), sum(row.values())
        upper = f", 95 % upper bound {100 * upper_bound(hits, total):.2f} %" if bound else ""
        return f"{100 * hits / total:.1f} % ({hits}/{total}{upper})"

    return {
        "false rollback": share("no change", "rollback", bound=True),
        "no change promoted": share("no change", "promote"),
        "no change insufficient": share("no change", "insufficient"),
        "no change held after the budget": share("no change", "continue"),
        "recorded change on the changed pairs": change,
        "+30 % promoted": share("+30 %", "promote", bound=True),
        "+30 % detected": share("+30 %", "rollback"),
        "+30 % insufficient": share("+30 %", "insufficient"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="the service alone")
    serve_cmd.add_argument("--port", type=int, required=True)
    serve_cmd.add_argument("--raw", type=Path, required=True)
    record_cmd = commands.add_parser("record", help="record the service under load once")
    record_cmd.add_argument("--out", type=Path, default=RECORDING)
    record_cmd.add_argument("--seconds", type=float, default=RECORD_SECONDS)
    judge_cmd = commands.add_parser("judge", help="the block-resampled rollouts, judged")
    judge_cmd.add_argument("--recording", type=Path, default=RECORDING)
    judge_cmd.add_argument("--rollouts", type=int, default=300, help="per kind and effect")
    judge_cmd.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.raw)
    elif args.command == "record":
        record(args.out, args.seconds)
    else:
        recording = Recording(args.recording)
        change = recorded_change(recording)
        found = replay(recording, args.rollouts)
        report = {kind: figures(found[kind], change[kind]) for kind in KINDS}
        report["recording"] = {
            "seconds": str(recording.counts.shape[0]),
            "seconds missing (the writer late)": str(recording.gaps),
            **{k: v for k, v in change.items() if k not in KINDS},
        }
        if args.json:
            print(json.dumps(report, indent=2))
            return
        for name, lines in report.items():
            print(f"## {name}")
            print("\n".join(f"- {key}: {value}" for key, value in lines.items()))


if __name__ == "__main__":
    main()
