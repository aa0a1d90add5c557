"""Render the README's pictures from the product's own output (``docs/images/*.png``).

Each picture is what cicd-agent really writes for a small demo change, run offline: a review on
a pull request (its body and inline comment, from a dry run on a ``pull_request`` event), the
``cicd-agent / review`` check run (its title, summary and annotations), a job summary, and the
comment analyse-failure posts for the bundled failed run (``examples/logs``). The Markdown is
rendered to HTML (Python-Markdown, a dev dependency) in a page styled like GitHub's, and
headless Chromium takes the screenshot (Debian's ``chromium``)::

    python tools/render_pictures.py            # writes docs/images/*.png and *.html

Run it again whenever the output changes: the pictures and the HTML pages they are taken of are
committed, and ``tests/project/test_pictures.py`` fails when the pages this script makes today
differ from the committed ones. The demo commits have fixed dates and the scratch folder is
shown as a runner's ``/home/runner/work/_temp``, so the same output gives the same pages.
"""

from __future__ import annotations

import argparse
import html
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import markdown  # type: ignore[import-untyped]  # noqa: E402  (after the path)

from cicd_agent.cli import main  # noqa: E402
from cicd_agent.job import pipeline  # noqa: E402

IMAGES = ROOT / "docs" / "images"
RUNNER_TEMP = "/home/runner/work/_temp"
WIDTH = 900
AUTHOR = ["-c", "user.email=dev@example.com", "-c", "user.name=Dev"]
BASE = "def total(items):\n    return sum(item.price for item in items)\n"
HEAD = (
    "def total(items, discount=0.0):\n"
    "    breakpoint()\n"
    "    subtotal = sum(item.price for item in items)\n"
    "    return subtotal * (1 - discount)\n"
)
CSS = """
body { margin: 0; background: #f6f8fa; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans",
  Helvetica, Arial, sans-serif; color: #1f2328; }
.box { margin: 16px; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
.head { padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d1d9e0;
  border-radius: 6px 6px 0 0; color: #59636e; }
.head b { color: #1f2328; }
.body { padding: 8px 16px; }
.code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #fff;
  border-bottom: 1px solid #d1d9e0; }
.code div { padding: 0 16px; white-space: pre; }
.code .add { background: #dafbe1; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d1d9e0; padding: 4px 12px; text-align: left; }
code { font: 85% ui-monospace, SFMono-Regular, Menlo, monospace; background: #eff2f5;
  padding: 2px 4px; border-radius: 4px; }
pre { background: #f6f8fa; padding: 12px; overflow: hidden; }
pre code { background: none; padding: 0; }
.annotation { border-left: 4px solid #d1242f; padding: 4px 12px; margin: 8px 0; background: #fff8f8; }
.pill { display: inline-block; padding: 0 8px; border-radius: 12px; background: #1a7f37;
  color: #fff; font-size: 12px; }
"""


def _md(text: str) -> str:
    rendered: str = markdown.markdown(text, extensions=["tables", "fenced_code"])
    return rendered


def _page(title: str, boxes: list[str]) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body>{''.join(boxes)}</body></html>"
    )


def _box(head: str, body: str, extra: str = "") -> str:
    return f"<div class='box'><div class='head'>{head}</div>{extra}<div class='body'>{body}</div></div>"


def _git(repo: Path, *args: str) -> str:
    fixed = {"GIT_AUTHOR_DATE": "2026-11-02T10:00:00Z", "GIT_COMMITTER_DATE": "2026-11-02T10:00:00Z"}
    done = subprocess.run(["git", "-C", str(repo), *AUTHOR, *args], check=True,
                          capture_output=True, text=True, env={**os.environ, **fixed})  # fmt: skip
    return done.stdout.strip()


def _demo_repo(where: Path) -> tuple[Path, str, str]:
    """A two-commit repository: the head adds a discount and leaves a debugger call behind."""
    repo = where / "shop"
    (repo / "shop").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "shop" / "pricing.py").write_text(BASE)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "Add pricing")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / "shop" / "pricing.py").write_text(HEAD)
    _git(repo, "commit", "-qam", "Apply discounts to totals")
    return repo, base, _git(repo, "rev-parse", "HEAD")


def _run(argv: list[str], where: Path, environ: dict[str, str]) -> Any:
    """Run a mode in-process and return its final result object (what every rendering uses)."""
    captured: list[Any] = []
    original = pipeline._publish  # every mode's finish calls it, and it returns the result shown

    def keep(*args: Any) -> Any:
        result, code = original(*args)
        captured.append(result)
        return result, code

    pipeline._publish = keep
    try:
        env = {"PATH": os.environ["PATH"], "HOME": str(where), "RUNNER_TEMP": str(where),
               "GITHUB_OUTPUT": str(where / "out"), "GITHUB_STEP_SUMMARY": str(where / "summary.md"),
               **environ}  # fmt: skip
        main(argv, environ=env, stdout=io.StringIO(), stderr=io.StringIO())
    finally:
        pipeline._publish = original
    if not captured:
        raise SystemExit(f"cicd-agent {' '.join(argv)} produced no result")
    return captured[0]


def _pull_request_event(where: Path, base: str, head: str) -> Path:
    from tests.harness.payloads import example, write_event

    payload = example("pull_request", "opened")
    pull = payload["pull_request"]
    pull["base"]["sha"], pull["head"]["sha"] = base, head
    pull["head"]["repo"] = pull["base"]["repo"]
    pull["title"], pull["body"] = "Apply discounts to totals", "Adds an optional discount."
    return write_event(where, payload)


def review_pictures(where: Path) -> dict[str, str]:
    repo, base, head = _demo_repo(where)
    event = _pull_request_event(where, base, head)
    result = _run(["review", "--repo", str(repo), "--provider", "none", "--dry-run",
                   "--event", str(event), "--event-name", "pull_request"], where, {})  # fmt: skip
    diff = "".join(
        f"<div class='{'add' if number == 2 else ''}'>{number:>3}  {html.escape(line)}</div>"
        for number, line in enumerate(HEAD.splitlines(), 1)
    )
    inline = "".join(
        _box(
            f"<b>github-actions</b> bot commented on <code>{html.escape(c.path)}</code> "
            f"line {c.line}",
            _md(c.body),
            f"<div class='code'>{diff}</div>",
        )
        for c in result.comments
    )
    review = _page("review", [
        _box("<b>github-actions</b> bot reviewed · <span class='pill'>Comment</span>",
             _md(result.review_body())),
        inline,
    ])  # fmt: skip
    annotations = "".join(
        f"<div class='annotation'><b>{html.escape(f.severity.label)}: {html.escape(f.title)}</b>"
        f"<br><code>{html.escape(f.path)}#L{f.line}</code><br>{html.escape(f.body)}</div>"
        for f in result.reported
    )
    check = _page("check run", [
        _box("<b>cicd-agent / review</b> · check run",
             f"<h3>{html.escape(result.make_headline())}</h3>{_md(result.summary_body())}"
             f"<h4>Annotations</h4>{annotations}"),
    ])  # fmt: skip
    summary = _page("job summary", [_box("<b>review</b> summary", _md(result.summary_markdown()))])
    return {"review.png": review, "check-run.png": check, "job-summary.png": summary}


def failure_pictures(where: Path) -> dict[str, str]:
    (logs,) = (ROOT / "examples" / "logs").glob("*.zip")
    result = _run(["analyse-failure", "--provider", "none", "--logs", str(logs)], where, {})
    comment = _page("failure comment", [
        _box("<b>github-actions</b> bot commented", _md(result.comment_markdown(()))),
    ])  # fmt: skip
    return {"failure-comment.png": comment}


def pages(work: Path) -> dict[str, str]:
    """Every picture's HTML page, by PNG name, made from fresh runs in ``work``."""
    found: dict[str, str] = {}
    makers: list[Callable[[Path], dict[str, str]]] = [review_pictures, failure_pictures]
    for index, make in enumerate(makers):
        folder = work / str(index)
        folder.mkdir()
        made = make(folder)
        found.update({name: page.replace(str(folder), RUNNER_TEMP) for name, page in made.items()})
    return found


def screenshot(page: str, out: Path, work: Path) -> None:
    """One PNG of ``page``: tall enough for its text (lines × a generous line height)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is missing: apt-get install chromium")
    source = work / (out.stem + ".html")
    source.write_text(page, encoding="utf-8")
    lines = page.count("<tr") + page.count("<p") + page.count("<li") + page.count("<div")
    height = 160 + 30 * lines
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={WIDTH},{height}", f"--screenshot={out}", source.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def main_() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cicd-agent-pictures-") as scratch:
        work = Path(scratch)
        for name, page in pages(work).items():
            screenshot(page, IMAGES / name, work)
            (IMAGES / name.replace(".png", ".html")).write_text(page, encoding="utf-8")
            print(f"wrote {(IMAGES / name).relative_to(ROOT)} and its page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main_())
