"""CPU and peak memory of the bounded JSON reader on 8 MB of empty objects (2.8 million of
them, the shape that costs most per byte): ``python -m research.security.json_reader_cost``.
The reader is taken from the public API, as a mode takes it, so the peak includes the API's
imports: the RSS before reading is printed beside it."""

from __future__ import annotations

import resource
import time

from cicd_agent.actions.bounded_json import load

SIZE = 8 * 1024 * 1024


def main() -> None:
    head = '{"mode":"build","head":"' + "a" * 40 + '","new_vulnerabilities":['
    data = (head + ",".join(["{}"] * ((SIZE - len(head) - 2) // 3)) + "]}").encode()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # imports and the data
    start = time.process_time()
    load(data)
    print(f"{len(data):,} bytes: {time.process_time() - start:.1f} s CPU, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB "
          f"({before} MB before reading)")  # fmt: skip


if __name__ == "__main__":
    main()
