"""Each flaky function's verdict at each budget, from ``detect.py``'s records, and the counts.

Usage: ``.venv/bin/python research/flaky/curve/table.py FOLDER 60 300 900`` (FOLDER holds
``results-<budget>.jsonl``).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from research.gen_tests import flaky_detect as first

folder, budgets = Path(sys.argv[1]), sys.argv[2:]
rows, order = {}, []
for b in budgets:
    for line in (folder / f"results-{b}.jsonl").open():
        r = json.loads(line)
        judged = r.get("ids", {})
        fns = r.get("functions", {"tests": {}})["tests"]
        if not fns:
            for t in r.get("tests", []):
                key = (r["repo"], r["fix"][:9], t)
                if key not in rows:
                    order.append(key)
                rows.setdefault(key, {})[b] = "not runnable"
        for name, ids in fns.items():
            key = (r["repo"], r["fix"][:9], name)
            if key not in rows:
                order.append(key)
            v = first.function_verdict(ids, judged)
            counts = "/".join(
                f"{judged[i]['passed']}-{judged[i]['failed']}" for i in ids if i in judged
            )
            rows.setdefault(key, {})[b] = f"{v} ({counts})" if ids else "not runnable"
print("| repository | fix | flaky function | " + " | ".join(f"{b} s" for b in budgets) + " |")
print("|---|---|---|" + "---|" * len(budgets))
for key in order:
    print(
        f"| {key[0]} | {key[1]} | `{key[2]}` | "
        + " | ".join(rows[key].get(b, "not run") for b in budgets)
        + " |"
    )
for b in budgets:
    vs = [rows[k].get(b) for k in order if b in rows[k]]
    judged = [v for v in vs if v != "not runnable"]
    hits = sum(v.startswith("detected") for v in judged)
    interval = first.wilson(hits, len(judged))
    print(f"\n{b} s: named {hits} of {len(judged)} judged ({interval}); "
          f"not runnable {len(vs) - len(judged)}; not run {len(order) - len(vs)}")  # fmt: skip
