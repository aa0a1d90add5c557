"""Build and freeze the secret-redaction evaluation set from three scanners' own test samples.

    python research/secrets/build_secret_eval.py OUT --gitleaks GIT_DIR --trufflehog GIT_DIR \\
        --detect-secrets GIT_DIR [--seed 13]

Each GIT_DIR is a clone (bare is fine) of gitleaks/gitleaks, trufflesecurity/trufflehog or
Yelp/detect-secrets; OUT (outside this repository) receives ``samples.jsonl`` and ``manifest.json``
(date, commits, counts and the samples' SHA-256). Run it once, before any rule changes, and score
with ``research/secrets/eval_secret_sets.py OUT``: the first score on a frozen set is the honest
one. Nothing read here is copied into the project; the samples stay in OUT.

One line per sample: ``source``, ``family`` (the scanner's rule, detector or plugin), ``kind``
(``tp``: a secret the scanner reports; ``fp``: text its tests say must not be flagged),
``text`` (the sample as the scanner's test wrote it), ``secret`` (tp only) and ``bare`` (tp
only: the scanner finds the secret by shape alone, with nothing around it):

- gitleaks: each rule's true and false positives in ``cmd/generate/config/rules/*.go``, the
  generated ones drawn from their Go expressions (``research/secrets/eval_secret_samples.py``); bare
  when the rule's own regex (``config/gitleaks.toml``) finds the secret alone.
- trufflehog: every ``input``/``want`` case of ``pkg/detectors/**/*_test.go`` (the pattern
  tests, not the integration ones); a case that wants results is a tp per wanted secret found
  in its input, one that wants none is an fp. Bare when one of the detector's ``Keywords()``
  (its prefilter, which the text must hold) is inside the secret itself: trufflehog cannot be
  run here, and a detector whose keyword lies outside the secret never finds it alone.
- detect-secrets: every parametrised case of ``tests/plugins/*_test.py``, imported from the
  clone's tree (Apache-2.0) and judged by the plugin under test: a flagged case is a tp per
  secret the plugin reports, an unflagged one an fp. Bare when some default plugin reports the
  secret on a line of its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib
import inspect
import io
import json
import random
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from eval_secret_samples import Parser, Unsupported, rule_samples  # noqa: E402
from tools.gen_secret_rules import generate  # noqa: E402

Sample = dict[str, Any]


def _git(git_dir: str, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", git_dir, *args], check=True, capture_output=True, text=True
    ).stdout


def _export(git_dir: str, commit: str, paths: list[str], into: Path) -> None:
    archive = subprocess.run(
        ["git", "--git-dir", git_dir, "archive", "--format=tar", commit, *paths],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


# ------------------------------------------------------------------------------------ gitleaks
def gitleaks(git_dir: str, commit: str, seed: int) -> Iterator[Sample]:
    data, _ = generate(git_dir, commit)
    regexes = {r["id"]: (re.compile(r["regex"]), r["secret_group"]) for r in data["rules"]}
    paths = {r["id"] for r in data["rules"] if r["path"]}
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        _export(git_dir, commit, ["cmd/generate/config/rules"], Path(tmp))
        for go_file in sorted(Path(tmp, "cmd/generate/config/rules").glob("*.go")):
            for found in rule_samples(go_file.read_text(), rng):
                if found.with_path or found.rule in paths:
                    continue  # rules for some files only (Terraform, nuget.config…)
                rule = regexes.get(found.rule)

                def secret_of(text: str, rule: Any = rule) -> str | None:
                    match = rule[0].search(text) if rule else None
                    if match is None:
                        return None
                    if rule[1]:
                        return str(match.group(rule[1]))
                    return next((g for g in match.groups() if g), match.group())

                for secret in [s.secret for s in found.generated]:
                    yield _tp("gitleaks", found.rule, secret, secret, secret_of(secret) == secret)
                for text in found.literal_tps:
                    secret = secret_of(text)
                    if secret:
                        yield _tp("gitleaks", found.rule, text, secret, secret_of(secret) == secret)
                for text in found.fps:
                    yield _fp("gitleaks", found.rule, text)


def _tp(source: str, family: str, text: str, secret: str, bare: bool) -> Sample:
    return {"source": source, "family": family, "kind": "tp", "text": text, "secret": secret,
            "bare": bare}  # fmt: skip


def _fp(source: str, family: str, text: str) -> Sample:
    return {"source": source, "family": family, "kind": "fp", "text": text}


# ---------------------------------------------------------------------------------- trufflehog
class GoParser(Parser):
    """The gitleaks sample parser, plus package-level names, ``fmt.Sprintf``,
    ``strings.Repeat``, ``nil`` and ``[]byte(…)``: what trufflehog's pattern tests are built of."""

    def __init__(self, text: str, pos: int, names: dict[str, Any]) -> None:
        super().__init__(text, pos)
        self.names = names

    def term(self) -> Any:
        match = self.peek()
        if match is not None and match.group("name"):
            name = match.group("name")
            after = _TOKEN_AFTER.match(self.text, match.end())
            calling = after is not None and after.group(1) == "("
            if not calling:
                self.pos = match.end()
                if name == "nil":
                    return []
                if name in self.names:
                    return self.names[name]
                raise Unsupported(name)
        return super().term()

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "fmt.Sprintf" and args and isinstance(args[0], str):
            values = iter(args[1:])

            def verb(found: re.Match[str]) -> str:
                if found.group() == "%%":
                    return "%"
                value = next(values)
                return json.dumps(value) if found.group().endswith("q") else str(value)

            return re.sub(r"%%|%[-+ #0-9.]*[svdq]", verb, args[0])
        if name == "strings.Repeat":
            return str(args[0]) * int(args[1])
        if name in ("string", "[]byte"):
            return args[0]
        return super().call(name, args)


_TOKEN_AFTER = re.compile(r"\s*(\(|\S)")
_DECL = re.compile(r"^\s*(?:(?:var|const)\s+)?(\w+)\s*(?:string\s*)?=\s*", re.M)


def _names(source: str) -> dict[str, Any]:
    """Package-level (and test-local) string names: ``validPattern = "…"``, in order, so a
    later one may use an earlier one."""
    names: dict[str, Any] = {}
    for decl in _DECL.finditer(source):
        try:
            value = GoParser(source, decl.end(), names).expression()
        except (Unsupported, StopIteration, ValueError, IndexError, TypeError):
            continue
        if isinstance(value, str):
            names.setdefault(decl.group(1), value)
    return names


_KEYWORDS = re.compile(r"func \(\w+ \*?\w+\) Keywords\(\) \[\]string \{\s*return\s*")
_CASE = re.compile(r"\binput:\s*")
_WANT = re.compile(r"\bwant:\s*")


def _keywords(detector_sources: list[str]) -> list[str]:
    for source in detector_sources:
        found = _KEYWORDS.search(source)
        if found:
            try:
                value = GoParser(source, found.end(), _names(source)).expression()
            except (Unsupported, StopIteration, ValueError):
                return []
            return [k for k in value if isinstance(k, str)]
    return []


def trufflehog(git_dir: str, commit: str) -> Iterator[Sample]:
    files = _git(git_dir, "ls-tree", "-r", "--name-only", commit, "pkg/detectors").split("\n")
    by_dir: dict[str, list[str]] = {}
    for name in files:
        if name.endswith(".go"):
            by_dir.setdefault(name.rsplit("/", 1)[0], []).append(name)
    for folder, names in sorted(by_dir.items()):
        tests = [n for n in names if n.endswith("_test.go") and "integration" not in n]
        if folder == "pkg/detectors" or not tests:
            continue
        family = folder.removeprefix("pkg/detectors/")
        detector = [_git(git_dir, "show", f"{commit}:{n}") for n in names if n not in tests]
        keywords = [k.lower() for k in _keywords(detector)]
        for test in tests:
            source = _git(git_dir, "show", f"{commit}:{test}")
            yield from _truffle_cases(family, source, keywords)


def _truffle_cases(family: str, source: str, keywords: list[str]) -> Iterator[Sample]:
    names = _names(source)
    for case in _CASE.finditer(source):
        want = _WANT.search(source, case.end())
        if want is None or source.find("input:", case.end(), want.start()) >= 0:
            continue
        try:
            text = GoParser(source, case.end(), names).expression()
            wanted = GoParser(source, want.end(), names).expression()
        except (Unsupported, StopIteration, ValueError, IndexError, TypeError):
            continue
        if not isinstance(text, str) or not isinstance(wanted, list):
            continue
        if not wanted:
            yield _fp("trufflehog", family, text)
            continue
        for value in wanted:
            if not isinstance(value, str) or not value:
                continue
            secret = value if value in text else _longest_piece(value, text)
            if secret is None:
                continue
            bare = any(k and k in secret.lower() for k in keywords)
            yield _tp("trufflehog", family, text, secret, bare)


def _longest_piece(value: str, text: str) -> str | None:
    """A result made of parts (``id:secret``) whose parts stand apart in the input: the longest
    part (8 characters or more) found there."""
    parts = [p for p in re.split(r"[:;|,\s]+", value) if len(p) >= 8 and p in text]
    return max(parts, key=len) if parts else None


# ------------------------------------------------------------------------------ detect-secrets
def detect_secrets(git_dir: str, commit: str) -> Iterator[Sample]:
    with tempfile.TemporaryDirectory() as tmp:
        _export(git_dir, commit, ["detect_secrets", "testing", "tests/plugins"], Path(tmp))
        Path(tmp, "tests/__init__.py").touch()
        sys.path.insert(0, tmp)
        try:
            yield from _detect_secrets_cases(Path(tmp))
        finally:
            sys.path.remove(tmp)
            for module in [m for m in sys.modules if m.split(".")[0] in _DS_MODULES]:
                del sys.modules[module]


_DS_MODULES = {"detect_secrets", "testing", "tests", "responses"}


def _detect_secrets_cases(tree: Path) -> Iterator[Sample]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import BasePlugin
    from detect_secrets.plugins.keyword import KeywordDetector

    everyone = [
        cls()
        for cls in get_mapping_from_secret_type_to_class().values()
        if cls is not KeywordDetector
    ]

    def bare(secret: str) -> bool:
        return any(
            found.secret_value == secret
            for plugin in everyone
            for found in plugin.analyze_line(filename="mock_filename", line=secret)
        )

    # Test-only dependencies of the verification tests, which are not read here.
    sys.modules.setdefault("responses", mock.MagicMock())
    for test_file in sorted((tree / "tests/plugins").glob("*_test.py")):
        module = importlib.import_module(f"tests.plugins.{test_file.stem}")
        plugins = [
            v for v in vars(module).values()
            if inspect.isclass(v) and issubclass(v, BasePlugin) and v is not BasePlugin
        ]  # fmt: skip
        if len(plugins) != 1:
            continue
        plugin = plugins[0]()
        family = type(plugin).__name__
        for line, flag in _parametrised(module):
            if flag is False or flag is None:
                yield _fp("detect-secrets", family, line)
                continue
            if isinstance(flag, str):
                secrets = {flag}
            else:
                secrets = {
                    str(found.secret_value)
                    for found in plugin.analyze_line(filename="mock_filename", line=line)
                    if found.secret_value
                }
            for secret in sorted(secrets):
                yield _tp("detect-secrets", family, line, secret, bare(secret))


def _parametrised(module: Any) -> Iterator[tuple[str, bool | str | None]]:
    """(text, flag) from every ``pytest.mark.parametrize`` in ``module``: the first argument
    that is text, and the next one, a bool (should flag) or the expected secret (or None)."""
    seen: set[tuple[str, Any]] = set()
    for _, owner in inspect.getmembers(module, inspect.isclass):
        for _, function in inspect.getmembers(owner, inspect.isfunction):
            for mark in getattr(function, "pytestmark", []):
                if mark.name != "parametrize":
                    continue
                names = mark.args[0]
                names = [n.strip() for n in names.split(",")] if isinstance(names, str) else names
                for param in mark.args[1]:
                    values = getattr(param, "values", param)
                    if not isinstance(values, tuple | list) or len(values) < 2:
                        continue
                    for at, value in enumerate(values[:-1]):
                        flag = values[at + 1]
                        if isinstance(value, str) and (
                            flag is None or isinstance(flag, bool | str)
                        ):
                            if (value, flag) not in seen:
                                seen.add((value, flag))
                                yield value, flag
                            break


# ----------------------------------------------------------------------------------- freezing
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--gitleaks", required=True)
    parser.add_argument("--trufflehog", required=True)
    parser.add_argument("--detect-secrets", required=True)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    commits = {
        name: _git(git_dir, "rev-parse", "HEAD").strip()
        for name, git_dir in (
            ("gitleaks", args.gitleaks),
            ("trufflehog", args.trufflehog),
            ("detect-secrets", args.detect_secrets),
        )
    }
    samples = [
        *gitleaks(args.gitleaks, commits["gitleaks"], args.seed),
        *trufflehog(args.trufflehog, commits["trufflehog"]),
        *detect_secrets(args.detect_secrets, commits["detect-secrets"]),
    ]
    unique = list({json.dumps(s, sort_keys=True): s for s in samples}.values())
    args.out.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(s, sort_keys=True) + "\n" for s in unique).encode()
    (args.out / "samples.jsonl").write_bytes(body)
    counts: dict[str, dict[str, int]] = {}
    for s in unique:
        tally = counts.setdefault(s["source"], {"tp": 0, "tp_bare": 0, "fp": 0, "families": 0})
        tally[s["kind"]] += 1
        tally["tp_bare"] += bool(s.get("bare"))
    for source in counts:
        counts[source]["families"] = len({s["family"] for s in unique if s["source"] == source})
    manifest = {
        "frozen": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python research/secrets/build_secret_eval.py " + " ".join(sys.argv[1:]),
        "sources": {
            name: {"repository": f"https://github.com/{repo}", "commit": commits[name]}
            for name, repo in (
                ("gitleaks", "gitleaks/gitleaks"),
                ("trufflehog", "trufflesecurity/trufflehog"),
                ("detect-secrets", "Yelp/detect-secrets"),
            )
        },
        "counts": counts,
        "samples.jsonl": {"sha256": hashlib.sha256(body).hexdigest(), "lines": len(unique)},
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps(manifest, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
