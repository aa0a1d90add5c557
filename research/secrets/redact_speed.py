"""Redaction speed: ``Redactor.redact`` on a large log-like text, against ``str.count``.

    python research/secrets/redact_speed.py [--mb 16] [--runs 3]

The text is tool output shaped like a CI log (timestamps, pytest lines, URLs, assignments) with
no secrets in it; the redactor holds three secrets of the run, as a workflow with a token, a
model key and one secret variable does. It reports the time per MB and the ratio to one
``str.count`` pass over the same text (a floor no scan can beat), so figures from machines of
different speed compare.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from cicd_agent.analysis.redact import Redactor

LINES = (
    "2024-05-14T09:12:03.1234567Z tests/test_api.py::test_token_refresh[{n}] PASSED [ {p}%]",
    "2024-05-14T09:12:03.1234567Z Downloading https://files.pythonhosted.org/packages/{n}/x.whl",
    "2024-05-14T09:12:03.1234567Z   api_key = config.get('api_key', default=None)  # line {n}",
    "2024-05-14T09:12:03.1234567Z warning: unused variable `auth_header_{n}` in src/lib.rs",
    "2024-05-14T09:12:03.1234567Z ##[group]Run actions/checkout@v4 with key={n}",
)


def log_text(megabytes: int) -> str:
    rng = random.Random(5)
    parts: list[str] = []
    size = 0
    while size < megabytes * 1_000_000:
        line = rng.choice(LINES).format(n=rng.randint(0, 99999), p=rng.randint(0, 100))
        parts.append(line)
        size += len(line) + 1
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    text = log_text(args.mb)
    redactor = Redactor(["ghs_Kq8Vx2Lm9Rt4Wz7Nb3Yc6Pd1Fg5Hj0Ts8Ua2Xe", "sk-test-3f9a1c7e5b2d4086",
                         "Opaque/value+with=symbols&more-2026"])  # fmt: skip
    ratios, seconds = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        text.count("error")
        floor = time.perf_counter() - start
        start = time.perf_counter()
        redactor.redact(text)
        took = time.perf_counter() - start
        seconds.append(took)
        ratios.append(took / floor)
    median = statistics.median(seconds)
    print(f"{args.mb} MB log-like text: redact {median:.2f} s ({median / args.mb * 1000:.0f} ms/MB), "
          f"{statistics.median(ratios):.0f}x one str.count pass")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
