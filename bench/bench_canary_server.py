"""The canary server under attack on loopback: does a legitimate rollout still get its verdict?

Run: ``python bench/bench_canary_server.py`` (``--seconds 120`` by default; it stops by itself);
with ``--json`` it prints the figures ``bench/run.py`` reports instead of the table.

The server (``cicd-agent-canary-server``'s own handler and HTTP, in a process of its own) is
started on 127.0.0.1 with its default bounds, then for ``--seconds``, all at once:

- ``--slow`` slow senders from 127.0.0.2: a request line, then a header line every 2 s, never
  finished; each reconnects as soon as the server hangs up on it;
- ``--junk`` unauthenticated ``GET /verdict?release=junk-N`` from 127.0.0.3 (no token, or a
  wrong one), spread over the run;
- ``--valid`` concurrent authenticated callers from 127.0.0.1, each asking for one of 50
  releases again and again;
- the rollout under watch from 127.0.0.4 (the controller): ``/verdict?release=shop/web`` every
  ``--interval`` seconds; its verdict must arrive within the interval.

It prints the rollout's answers (on time or not, slowest), the server's resident memory (at
start, peak, end, sampled each second), what the attackers got, and every release the server
judged (no junk name may be among them). The judge's Prometheus is a closed port, so every
judgement is the judge's own "Prometheus unreachable: continue" path: what is measured is the
server, not the statistics. Everything is loopback and bounded; no figure is asserted here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import emit, figure

TOKEN = "bench-token-" + "0123456789abcdef" * 2
AUTH = f"Authorization: Bearer {TOKEN}\r\n"
SERVER = r"""
import json, os, signal, sys
from cicd_agent.modes.deploy_gate.serve import Judge, judge_environ, routes, run_in_process
from cicd_agent.modes.deploy_gate.serve.http import Limits, server

judged = []

class Counting(Judge):
    async def _judge(self, key, slot, risk):
        judged.append(key)
        return await super()._judge(key, slot, risk)

argv = ("--provider", "none", "--prometheus-url", "http://127.0.0.1:" + sys.argv[2])
judge = Counting(argv, judge_environ(os.environ), 60.0, run_in_process)
running = server(routes(judge, os.environ["CICD_AGENT_CANARY_TOKEN"]), "127.0.0.1",
                 int(sys.argv[1]), Limits())
try:
    running.run()
except KeyboardInterrupt:  # uvicorn raises the signal it caught once it has stopped
    pass
print(json.dumps(judged), flush=True)
"""


@dataclass
class Tally:
    rollout: list[float] = field(default_factory=list)
    rollout_late: list[float] = field(default_factory=list)
    rollout_lost: int = 0
    rollout_verdicts: set[str] = field(default_factory=set)
    valid_answers: int = 0
    valid_errors: int = 0
    junk_status: dict[int, int] = field(default_factory=dict)
    junk_errors: int = 0
    slow_cut: int = 0
    rss_mb: list[float] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def call(port: int, source: str, target: str, headers: str = "") -> tuple[int, bytes]:
    """One HTTP/1.1 request from ``source``; the status and the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n".encode()
        )
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def slow_sender(port: int, until: float, tally: Tally) -> None:
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=("127.0.0.2", 0)
            )
            writer.write(b"GET /verdict?release=shop/web HTTP/1.1\r\n")
            line = 0
            while time.monotonic() < until:
                try:
                    if await asyncio.wait_for(reader.read(1024), 2.0) == b"":
                        tally.slow_cut += 1
                        break
                except TimeoutError:
                    pass
                writer.write(b"X-Slow-%d: 1\r\n" % line)
                line += 1
            writer.close()
        except OSError:
            tally.slow_cut += 1
            await asyncio.sleep(0.1)


async def junk(port: int, names: range, until: float, tally: Tally) -> None:
    spacing = max(until - time.monotonic(), 1.0) / max(len(names), 1)
    for n in names:
        auth = "" if n % 2 else "Authorization: Bearer not-the-token-0123456789\r\n"
        try:
            status, _ = await call(port, "127.0.0.3", f"/verdict?release=junk-{n}", auth)
            tally.junk_status[status] = tally.junk_status.get(status, 0) + 1
        except (OSError, IndexError, ValueError):
            tally.junk_errors += 1
        await asyncio.sleep(spacing * random.random() * 2)


async def valid(port: int, index: int, until: float, tally: Tally) -> None:
    auth = f"Authorization: Bearer {TOKEN}\r\n"
    while time.monotonic() < until:
        try:
            status, body = await call(
                port, "127.0.0.1", f"/verdict?release=load/app-{index % 50}", auth
            )
            tally.valid_answers += status == 200 and b'"verdict"' in body
        except (OSError, IndexError, ValueError):
            tally.valid_errors += 1
        await asyncio.sleep(random.random())


async def rollout(port: int, interval: float, until: float, tally: Tally) -> None:
    began = time.monotonic()
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            status, body = await asyncio.wait_for(
                call(port, "127.0.0.4", "/verdict?release=shop/web&risk=high", AUTH), 120.0
            )  # Argo's timeoutSeconds in examples/argo-rollouts/analysis-template.yaml
            took = time.monotonic() - started
            tally.rollout.append(took)
            if took > interval:
                tally.rollout_late.append(started - began)
            tally.rollout_verdicts.add(
                json.loads(body)["verdict"] if status == 200 else str(status)
            )
        except (TimeoutError, OSError, ValueError):
            tally.rollout_lost += 1
            tally.rollout_late.append(started - began)
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


async def memory(pid: int, until: float, tally: Tally) -> None:
    while time.monotonic() < until:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                tally.rss_mb.append(int(line.split()[1]) / 1024)
        await asyncio.sleep(1.0)


async def load(port: int, pid: int, args: argparse.Namespace, tally: Tally) -> None:
    until = time.monotonic() + args.seconds
    chunk = -(-args.junk // 100)
    await asyncio.gather(
        memory(pid, until + 5, tally),
        rollout(port, args.interval, until, tally),
        *(slow_sender(port, until, tally) for _ in range(args.slow)),
        *(
            junk(port, range(i, min(i + chunk, args.junk)), until, tally)
            for i in range(0, args.junk, chunk)
        ),
        *(valid(port, n, until, tally) for n in range(args.valid)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--junk", type=int, default=10_000)
    parser.add_argument("--valid", type=int, default=1_000)
    parser.add_argument("--interval", type=float, default=10.0, help="the rollout's interval (s)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead")
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "CICD_AGENT_CANARY_TOKEN": TOKEN}
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(free_port())],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        # one call first, so the judge's imports are not counted against the rollout
        warm = asyncio.run(call(port, "127.0.0.1", "/verdict?release=warm-up", AUTH))
        load_average = os.getloadavg()
        assert warm[0] == 200, warm
        tally = Tally()
        asyncio.run(load(port, server.pid, args, tally))
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=120)
    judged = json.loads(out.strip().splitlines()[-1]) if out.strip() else []
    rss = tally.rss_mb
    calls = len(tally.rollout) + tally.rollout_lost
    late_at = tally.rollout_late
    late = ", ".join(f"{at:.0f} s" for at in late_at) or "none"
    median = sorted(tally.rollout)[len(tally.rollout) // 2] if tally.rollout else float("nan")
    if args.json:
        junk_judged = sum("junk" in key for key in judged)
        emit([
            figure("rollout calls answered within the interval", "%",
                   [100 * (calls - len(late_at)) / max(calls, 1)], "100 %", lambda v: v == 100,
                   note=f"interval {args.interval:g} s, {calls} calls"),
            figure("rollout's slowest answer", "s", [max(tally.rollout, default=float("inf"))],
                   f"≤ {args.interval:g} s", lambda v: v <= args.interval),
            figure("unauthenticated releases judged", "", [junk_judged], "0", lambda v: v == 0),
            figure("server peak RSS", "MB", [max(rss, default=0.0)],
                   note=f"at start {rss[0]:.0f} MB" if rss else ""),
        ])  # fmt: skip
        return 0
    rows = [
        (
            "rollout calls answered within the interval",
            f"{calls - len(late_at)} of {calls} (interval {args.interval:g} s); "
            f"unanswered in 120 s: {tally.rollout_lost}",
        ),
        ("rollout calls late or unanswered, asked at", late),
        ("rollout's median answer", f"{median:.2f} s"),
        ("rollout's slowest answer", f"{max(tally.rollout, default=float('nan')):.2f} s"),
        ("rollout's verdicts", ", ".join(sorted(tally.rollout_verdicts))),
        ("valid calls answered (errors)", f"{tally.valid_answers:,} ({tally.valid_errors:,})"),
        (
            "junk requests by status (errors)",
            f"{json.dumps(tally.junk_status, sort_keys=True)} ({tally.junk_errors})",
        ),
        ("slow senders hung up on", f"{tally.slow_cut:,}"),
        (
            "server RSS at start / peak / end",
            f"{rss[0]:.0f} / {max(rss):.0f} / {rss[-1]:.0f} MB" if rss else "n/a",
        ),
        (
            "releases judged (any junk?)",
            f"{len(set(judged))} ({any('junk' in key for key in judged)})",
        ),
        ("judgements in all", f"{len(judged)}"),
    ]
    print(f"Canary server under load: {args.seconds:g} s, {args.slow} slow senders, "
          f"{args.junk:,} junk releases, {args.valid:,} concurrent valid callers")  # fmt: skip
    print(f"load average at start: {load_average[0]:.1f}, at end: {os.getloadavg()[0]:.1f}")
    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
