"""results.jsonl (measure.py's output) as the table in results.md: per Dockerfile, built or why
not, the mode's bytes per line against buildah's own layer sizes, advice proposed and proven,
and the mode's time against one plain build.   python research/build/summarise.py"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    rows = [json.loads(line) for line in (HERE / "results.jsonl").read_text().splitlines()]
    out = [
        "| Dockerfile | plain build | mode | lines: ours / buildah's bytes | advice proven / built / proposed | saved by proven advice | mode / plain time |",
        "|---|---|---|---|---|---|---|",
    ]
    ratios_all: list[float] = []
    times: list[float] = []
    proven_all = built_all = proposed_all = 0
    saved_all: list[int] = []
    for row in rows:
        name = f"{row['repo']} `{row.get('dockerfile', '')}`"
        if "error" in row:
            out.append(f"| {name} | harness error: {row['error'][:80]} | | | | | |")
            continue
        plain = f"{row['plain_seconds']} s" if row["plain_ok"] else "failed: " + _why(row["plain_tail"])
        mode = (f"{row['mode_seconds']} s" if row.get("mode_exit") in (0, 1)
                else f"exit {row.get('mode_exit')}: " + _why(row.get("mode_tail", [])))  # fmt: skip
        ratios = [line["added"] / line["buildah"] for line in row.get("lines", [])
                  if line.get("buildah") and line["buildah"] > 0 and line["added"] > 0]  # fmt: skip
        ratios_all += ratios
        shown = (f"{len(ratios)} layers, {min(ratios):.4f}–{max(ratios):.4f}" if ratios else "—")
        advice = row.get("advice", [])
        proven = [a for a in advice if a["status"] == "verified"]
        built = [a for a in advice if a["size_after"] is not None or a["status"] == "refuted"]
        proven_all += len(proven)
        built_all += len(built)
        proposed_all += len(advice)
        saved = [a["size_before"] - a["size_after"] for a in proven]
        saved_all += saved
        rules = ", ".join(f"{a['rule']}: {a['status']}" for a in advice) or "none"
        ratio = ""
        if row["plain_ok"] and row.get("mode_exit") in (0, 1):
            ratio = f"{row['mode_seconds'] / row['plain_seconds']:.1f}×"
            times.append(row["mode_seconds"] / row["plain_seconds"])
        out.append(
            f"| {name} | {plain} | {mode} | {shown} | {len(proven)} / {len(built)} / "
            f"{len(advice)} ({rules}) | {', '.join(f'{s:,}' for s in saved) or '—'} | {ratio} |"
        )
    seen = {row["repo"] for row in rows}
    for line in (HERE / "dataset.txt").read_text().splitlines():
        if line.strip() and line.split()[0] not in seen:
            out.append(f"| {line.split()[0]} `{line.split()[1]}` | not reached: the run was "
                       "stopped for time | | | | | |")  # fmt: skip
    out += [
        "",
        f"Dockerfiles measured: {len(rows)} of the set's 19. Layers compared: {len(ratios_all)}, ours / buildah's "
        + (f"median {statistics.median(ratios_all):.4f}, range {min(ratios_all):.4f}–"
           f"{max(ratios_all):.4f}" if ratios_all else "none")  # fmt: skip
        + ".",
        f"Advice: {proven_all} proven of {built_all} built, {proposed_all} proposed; median bytes "
        f"saved by proven advice: {statistics.median(saved_all):,.0f}." if saved_all
        else f"Advice: {proven_all} proven of {built_all} built, {proposed_all} proposed.",
        f"Mode / plain build time: median {statistics.median(times):.1f}×, max {max(times):.1f}× "
        f"over {len(times)} Dockerfiles." if times else "Mode / plain build time: none measured.",
    ]
    (HERE / "results.md").write_text("\n".join(out) + "\n")
    print("\n".join(out[-3:]))


def _why(tail: list[str]) -> str:
    text = " ".join(tail)[-160:].replace("|", "/")
    return text


if __name__ == "__main__":
    main()
