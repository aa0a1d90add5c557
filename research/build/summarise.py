"""results.jsonl (measure.py's output) as the table in results.md: per Dockerfile, the stand-in
its FROM got, built or why not, the mode's bytes per line against buildah's own layer sizes,
advice proposed and proven, packages added, and the mode's time against one plain build.
    python research/build/summarise.py [RESULTS]
RESULTS (default results.jsonl, the whole set's run) is written beside it as RESULTS.md; another
results file (a re-run of some rows) lists only its own rows."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).parent
HEADER = (
    "| Dockerfile | FROM → stand-in | plain build | mode | lines: ours / buildah's bytes "
    "| advice proven / built / proposed | saved by proven advice | packages added (with a line) "
    "| mode / plain time |"
)


def main() -> None:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results.jsonl"
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    out = [HEADER, "|---|---|---|---|---|---|---|---|---|"]
    ratios_all: list[float] = []
    times: list[float] = []
    proven_all = built_all = proposed_all = 0
    saved_all: list[int] = []
    added_all = added_lined = 0
    both = 0
    stopped: list[float] = []
    for row in rows:
        name = f"{row['repo']} `{row.get('dockerfile', '')}`"
        if "error" in row:
            out.append(f"| {name} | | harness error: {row['error'][:80]} | | | | | | |")
            continue
        standins = row.get("standins")
        shown_from = (
            ", ".join(f"{k} → {v or 'none'}" for k, v in standins.items())
            if standins is not None
            else "bookworm (first run)"
        )
        plain = (
            f"{row['plain_seconds']} s" if row["plain_ok"] else "failed: " + _why(row["plain_tail"])
        )
        ran = row.get("mode_exit") in (0, 1)
        mode = (
            f"{row['mode_seconds']} s"
            if ran
            else (
                f"exit {row.get('mode_exit')} after {row['mode_seconds']} s: "
                + _why(row.get("mode_tail", []))
            )
        )
        if row.get("base_not_built"):
            mode += " (base not built)"
        ratios = [
            line["added"] / line["buildah"]
            for line in row.get("lines", [])
            if line.get("buildah") and line["buildah"] > 0 and line["added"] > 0
        ]
        ratios_all += ratios
        shown = f"{len(ratios)} layers, {min(ratios):.4f}–{max(ratios):.4f}" if ratios else "—"
        advice = row.get("advice", [])
        proven = [a for a in advice if a["status"] == "verified"]
        built = [a for a in advice if a["size_after"] is not None or a["status"] == "refuted"]
        proven_all += len(proven)
        built_all += len(built)
        proposed_all += len(advice)
        saved = [a["size_before"] - a["size_after"] for a in proven]
        saved_all += saved
        rules = ", ".join(f"{a['rule']}: {a['status']}" for a in advice) or "none"
        packages = "—"
        if "packages_added" in row:
            packages = f"{row['packages_added']} ({row['packages_added_with_line']})"
            added_all += row["packages_added"]
            added_lined += row["packages_added_with_line"]
        ratio = ""
        if row["plain_ok"] and row.get("mode_exit") == "timeout":
            ratio = f"> {row['mode_seconds'] / row['plain_seconds']:.1f}× (stopped)"
            stopped.append(row["mode_seconds"] / row["plain_seconds"])
        if row["plain_ok"] and ran:
            both += 1
            ratio = f"{row['mode_seconds'] / row['plain_seconds']:.1f}×"
            times.append(row["mode_seconds"] / row["plain_seconds"])
        out.append(
            f"| {name} | {shown_from} | {plain} | {mode} | {shown} | {len(proven)} / {len(built)} / "
            f"{len(advice)} ({rules}) | {', '.join(f'{s:,}' for s in saved) or '—'} | {packages} "
            f"| {ratio} |"
        )
    seen = {row["repo"] for row in rows}
    for line in (HERE / "dataset.txt").read_text().splitlines():
        if results.name == "results.jsonl" and line.strip() and line.split()[0] not in seen:
            out.append(
                f"| {line.split()[0]} `{line.split()[1]}` | | not reached: the run was stopped "
                "for time | | | | | | |"
            )
    layers = (
        f"median {statistics.median(ratios_all):.4f}, range {min(ratios_all):.4f}–"
        f"{max(ratios_all):.4f}"
        if ratios_all
        else "none"
    )
    share = f" ({proven_all / proposed_all:.0%} of proposed)" if proposed_all else ""
    saved_text = (
        f"; median bytes saved by proven advice: {statistics.median(saved_all):,.0f}"
        if saved_all
        else ""
    )
    time_text = (
        f"median {statistics.median(times):.1f}×, max {max(times):.1f}×, within 3×: "
        f"{sum(1 for t in times if t <= 3)} of {len(times)}"
        if times
        else "none measured"
    )
    out += [
        "",
        f"Dockerfiles run: {len(rows)} of the set's 19; built by both the plain build and the "
        f"mode: {both}. Layers compared: {len(ratios_all)}, ours / buildah's {layers}.",
        f"Advice: {proven_all} proven of {built_all} built, {proposed_all} proposed{share}"
        f"{saved_text}.",
        f"Packages added by the head: {added_all}: {added_lined} tied to the Dockerfile line that "
        f"brought them, {added_all - added_lined} to the base image (its FROM).",
        f"Mode / plain build time: {time_text}"
        + (
            f"; the mode stopped at the 20-minute limit: {len(stopped)}, at > "
            + ", > ".join(f"{t:.1f}×" for t in stopped)
            if stopped
            else ""
        )
        + ".",
    ]
    results.with_suffix(".md").write_text("\n".join(out) + "\n")
    print("\n".join(out[-4:]))


def _why(tail: list[str]) -> str:
    return " ".join(tail)[-160:].replace("|", "/")


if __name__ == "__main__":
    main()
