"""CPU and peak memory of the bounded JSON reader on 8 MB of empty objects (2.8 million of
them, the shape that costs most per byte): ``python -m research.security.json_reader_cost``."""

from __future__ import annotations

import resource
import time

from cicd_agent.runner.bounded_json import load

SIZE = 8 * 1024 * 1024


def main() -> None:
    head = '{"mode":"build","head":"' + "a" * 40 + '","new_vulnerabilities":['
    data = (head + ",".join(["{}"] * ((SIZE - len(head) - 2) // 3)) + "]}").encode()
    start = time.process_time()
    load(data)
    print(f"{len(data):,} bytes: {time.process_time() - start:.1f} s CPU, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")  # fmt: skip


if __name__ == "__main__":
    main()
