import ast
import atexit
import collections
import hashlib
import sys
import time

_orig = ast.parse
stats = collections.Counter(); spent = [0.0]; per_file = collections.defaultdict(float)
def parse(source, *a, **k):
    t = time.process_time()
    try:
        return _orig(source, *a, **k)
    finally:
        d = time.process_time() - t
        spent[0] += d
        key = hashlib.md5(source if isinstance(source, bytes) else str(source).encode("utf-8", "surrogatepass")).hexdigest()
        stats[key] += 1
        f = sys._getframe(1)
        while f and "tests/project" not in f.f_code.co_filename and "tests/helpers" not in f.f_code.co_filename and "research" not in f.f_code.co_filename:
            f = f.f_back
        per_file[f.f_code.co_filename.rsplit("/", 1)[-1] if f else "?"] += d
ast.parse = parse
def report():
    dup = sum(c - 1 for c in stats.values())
    print(f"\nPARSE calls {sum(stats.values())} distinct {len(stats)} dup {dup} cpu {spent[0]:.2f}", file=sys.stderr)
    for k, v in sorted(per_file.items(), key=lambda x: -x[1])[:20]: print(f"  {k} {v:.2f}", file=sys.stderr)
atexit.register(report)
