"""The packages and vulnerabilities of the two images: read (packages from each image's own
records, OSV data from a folder or downloaded, an OpenVEX file) in :func:`gather`, compared into
the report's fields in :func:`changes` (pure)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.context import RunContext
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.build import osv, packages, vex, vulns
from cicd_agent.modes.build.layers import Built
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.package_changes import compare_packages
from cicd_agent.modes.build.regular import regular
from cicd_agent.modes.build.result import PackageChange, VulnerabilityReport

VEX_LIMIT = 16 * 1024 * 1024


@dataclass(frozen=True)
class Findings:
    head: tuple[packages.Package, ...]
    base: tuple[packages.Package, ...] | None
    head_vulns: tuple[vulns.Vulnerability, ...] = ()
    base_vulns: tuple[vulns.Vulnerability, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _database(
    ctx: RunContext[BuildOptions], wanted: list[packages.Package], work: Path
) -> osv.OsvDatabase | None:
    chosen = ctx.mode_options.vuln_db
    if chosen == "none":
        return None
    if chosen == "osv":
        # the runner's tool cache outlives the job on a self-hosted runner: only its files
        # checked against the bucket in this run are read (osv.cached_db), a poisoned one replaced
        tools = ctx.environ.get("RUNNER_TOOL_CACHE")
        folder = Path(tools) / "cicd-agent-osv" if tools else work / "osv"
        ctx.progress.stage("collect: OSV data for the image's ecosystems")
        return osv.cached_db(wanted, folder)
    folder = Path(chosen)
    if ctx.checkout.holds(folder):
        raise UsageError(
            f"--vuln-db {chosen} is in the checkout; the pull request would decide which "
            "vulnerabilities exist (or link the folder to the runner's files).",
            hint="Give osv, none or a folder outside the checkout.",
        )
    if not folder.is_dir():
        raise UsageError(
            f"--vuln-db {chosen} is not a folder of OSV records.",
            hint="Give osv, none or a folder.",
        )
    return osv.load_db(folder, wanted)


def assessments(checkout: GitCheckout, vex_file: Path, trusted: str | None) -> bytes:
    """The OpenVEX document ``--vex`` names. One inside the checkout is read from the base
    commit ``trusted``, never from the working tree: the pull request's own copy (or a link it
    made) could mark its own new vulnerabilities as assessed. One outside is the team's own file,
    opened without following a link at its end."""
    root = checkout.root.absolute()
    where = Path(os.path.abspath(vex_file))
    if where.is_relative_to(root):
        inside = where.relative_to(root).as_posix()
        if trusted is None:
            raise UsageError(
                f"--vex {vex_file} is in the checkout, and this run has no base that GitHub "
                "vouches for to read it from (a pull request's base, a push's before).",
                hint="Give the OpenVEX file outside the checkout, or run on pull_request or push.",
            )
        found = dict(checkout.read_blobs(trusted, [inside]))
        if inside not in found:
            raise UsageError(
                f"--vex {vex_file} is in the checkout but not in the base commit; a pull request "
                "cannot bring assessments of its own vulnerabilities.",
                hint=(
                    "Commit the OpenVEX file on the base branch, or give one outside the checkout."
                ),
            )
        return found[inside][:VEX_LIMIT]
    with regular(where) as opened:
        return opened.read(VEX_LIMIT)


def gather(
    ctx: RunContext[BuildOptions], head: Built, base: Built | None, work: Path, trusted: str | None
) -> Findings:
    ctx.progress.stage("collect: the images' packages")
    read_head = packages.read_packages(head.tree)
    read_base = packages.read_packages(base.tree) if base is not None else None
    notes = [*read_head.cut, *(read_base.cut if read_base else ())]
    every = [*read_head.packages, *(read_base.packages if read_base else ())]
    db = _database(ctx, every, work)
    if db is None:
        ctx.note(
            "Vulnerabilities were not checked (vuln-db: none): new_critical_cves and "
            "new_high_cves count nothing. Set vuln-db: osv to check them."
        )
        return Findings(
            read_head.packages, read_base.packages if read_base else None, notes=tuple(notes)
        )
    notes += db.refused
    found_head = vulns.match(read_head.packages, db)
    found_base = vulns.match(read_base.packages, db) if read_base else []
    vex_file = ctx.mode_options.vex
    if vex_file is not None:
        try:
            document = assessments(ctx.checkout, vex_file, trusted)
            found_head = list(vex.apply_vex(found_head, document).kept)
            found_base = list(vex.apply_vex(found_base, document).kept)
        except (OSError, vex.VexError) as exc:
            raise UsageError(
                f"--vex {vex_file} cannot be read: {exc}", hint="Give an OpenVEX JSON file."
            ) from exc
    return Findings(
        read_head.packages,
        read_base.packages if read_base else None,
        tuple(found_head),
        tuple(found_base),
        tuple(notes),
    )


@dataclass(frozen=True)
class Changes:
    added: list[PackageChange]
    removed: list[PackageChange]
    changed: list[PackageChange]
    new: list[VulnerabilityReport]
    fixed: list[VulnerabilityReport]
    pre_existing: int


def _report(item: vulns.Vulnerability, lines: Mapping[int, int]) -> VulnerabilityReport:
    return VulnerabilityReport(
        id=item.id,
        aliases=list(item.aliases),
        package=item.package,
        severity=item.severity_label,
        fixed_version=item.fixed_version,
        line=lines.get(item.layer),
    )


def changes(
    found: Findings, head_lines: Mapping[int, int], base_lines: Mapping[int, int]
) -> Changes:
    """The report's package and vulnerability fields; a line is the Dockerfile line whose
    layer brought the package (None: the base image's own layers)."""
    # without a base every package would read as added: none is said to be; every
    # vulnerability is new, so a gate on new ones errs on the safe side
    base = found.base if found.base is not None else found.head
    moved = compare_packages(base, found.head)
    compared = vulns.compare(found.base_vulns, found.head_vulns)
    return Changes(
        added=[PackageChange(purl=p.purl, line=head_lines.get(p.layer)) for p in moved.added],
        removed=[PackageChange(purl=p.purl, line=base_lines.get(p.layer)) for p in moved.removed],
        changed=[
            PackageChange(
                purl=c.after.purl, before=c.before.purl, line=head_lines.get(c.after.layer)
            )
            for c in moved.changed
        ],
        new=[_report(v, head_lines) for v in compared.new],
        fixed=[_report(v, base_lines) for v in compared.fixed],
        pre_existing=len(compared.pre_existing),
    )
