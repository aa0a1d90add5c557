"""Worst case the source-map bounds allow: a built file whose map holds just under MAX_SEGMENTS
segments within MAX_MAP_BYTES, one frame looked up in it (the last segment of its one line)."""

import json
import shutil
import tempfile
import time
from pathlib import Path

from cicd_agent.logs import source_maps
from cicd_agent.logs.source_maps import SourceMaps

root = Path(tempfile.mkdtemp())
(root / "src").mkdir()
(root / "dist").mkdir()
(root / "src" / "a.ts").write_text("x\n")
(root / "dist" / "a.js").write_text("x\n//# sourceMappingURL=a.js.map\n")
n = source_maps.MAX_SEGMENTS - 10
mappings = ",".join(["gBAAgB"] * n)  # 16, 0, 0, 16: two-digit fields, a plausible long segment
text = json.dumps({"version": 3, "sources": ["../src/a.ts"], "mappings": mappings})
print(f"map bytes {len(text):,} (bound {source_maps.MAX_MAP_BYTES:,}), segments {n:,}")
(root / "dist" / "a.js.map").write_text(text)
started = time.process_time()
print(SourceMaps(root).original("dist/a.js", 1, 10**6))
print(f"decode and lookup: {time.process_time() - started:.2f} CPU s")
shutil.rmtree(root)
