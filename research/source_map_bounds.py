"""Worst case the bounds allow: a built file whose map holds just under MAX_SEGMENTS segments of
the longest fields, within MAX_MAP_BYTES; one frame looked up in it."""
import json, tempfile, time
from pathlib import Path
from cicd_agent.logs import source_maps
from cicd_agent.logs.source_maps import SourceMaps
root = Path(tempfile.mkdtemp())
(root / "src").mkdir(); (root / "dist").mkdir()
(root / "src" / "a.ts").write_text("x\n")
(root / "dist" / "a.js").write_text("x\n//# sourceMappingURL=a.js.map\n")
n = source_maps.MAX_SEGMENTS - 10
seg = "gBAAgB"  # 16, 0, 0, 16: two-digit fields, a plausible long segment
mappings = ",".join([seg] * n)
text = json.dumps({"version": 3, "sources": ["../src/a.ts"], "mappings": mappings})
print(f"map bytes {len(text):,} (bound {source_maps.MAX_MAP_BYTES:,}), segments {n:,}")
(root / "dist" / "a.js.map").write_text(text)
t = time.process_time()
print(SourceMaps(root).original("dist/a.js", 1, 10**6))
print(f"decode and lookup: {time.process_time() - t:.2f} CPU s")
