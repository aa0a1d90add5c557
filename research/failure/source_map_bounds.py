"""Worst case the source-map bounds allow, through the whole log analysis: a failed step whose
one frame names a built file whose map holds just under the run's segment budget (500,000)
within the map's byte bound (8 MB), the frame at the last segment of its one line."""

import json
import shutil
import tempfile
import time
from pathlib import Path

from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs

SEGMENTS = 500_000 - 10
root = Path(tempfile.mkdtemp())
checkout, logs = root / "checkout", root / "logs"
for folder in (checkout / "src", checkout / "dist", logs):
    folder.mkdir(parents=True)
(checkout / "src" / "a.ts").write_text("x\n")
(checkout / "dist" / "a.js").write_text("x\n//# sourceMappingURL=a.js.map\n")
mappings = ",".join(["gBAAgB"] * SEGMENTS)  # 16, 0, 0, 16: two-digit fields, a long segment
text = json.dumps({"version": 3, "sources": ["../src/a.ts"], "mappings": mappings})
(checkout / "dist" / "a.js.map").write_text(text)
print(f"map bytes {len(text):,}, segments {SEGMENTS:,}")
(logs / "test.txt").write_text(
    "2026-11-28T00:00:00.0000000Z ✖ adds (1.2ms)\n"
    "2026-11-28T00:00:00.0000000Z   Error: boom\n"
    f"2026-11-28T00:00:00.0000000Z       at add (/home/runner/work/a/a/dist/a.js:1:{16 * SEGMENTS})\n"
    "2026-11-28T00:00:00.0000000Z ##[error]Process completed with exit code 1.\n"
)
started = time.process_time()
first = analyse_scans(scan_jobs(load_logs(logs)), checkout=checkout).responsible_files[0]
print(f"named {first.path}:{first.lines[0]}; analysis with the map: "
      f"{time.process_time() - started:.2f} CPU s")
shutil.rmtree(root)
