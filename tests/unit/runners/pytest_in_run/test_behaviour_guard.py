"""The fail-to-pass test's guard, loaded as the judge loads it (``-p`` by module name, in
pytest's own process: its audit hook cannot be removed, so never in this one). The attacks: a
test that reads the code under test by a name built at run time, through ``dis``, its compiled
file, a frame it asks for from inside that code, a traceback's frame, a module it writes and
imports, a tracer it sets for threads, code it compiles under the checkout's file name, a
thread pool it hands ``dis`` (no frame of the test on that thread), or a hook it puts in
``sys.path_hooks`` for the import system to call. What stays a test's own business: its own
functions' code, what pytest's tests use every day, the code under test logging as it runs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cicd_agent.runners.pytest import in_run
from tests.helpers.gen_tests import PROJECT_PYTHON

GUARD = "behaviour_guard"
"""Its file in the package's boot folder, alone on ``PYTHONPATH``, run by the projects' own
interpreter: no package of ours is imported first."""
BOOT = str(Path(in_run.__file__).parent)
OPS = "import logging\n\n\ndef mean(xs):\n    logging.getLogger('calc').warning('mean')\n" \
      "    return sum(xs) / len(xs)\n"  # fmt: skip
READS = {
    "a name built at run time": "    SEEN.append(getattr(mean, '__co' + 'de__').co_consts)\n",
    "the disassembler": "    import dis\n\n    SEEN.append(list(dis.get_instructions(mean)))\n",
    "the compiled file": "    SEEN.append(Path(sys.modules[mean.__module__].__file__ + 'c').read_bytes())\n",
    "a frame asked for inside the code": "    class Xs(list):\n        def __len__(self):\n"
    "            SEEN.append(sys._getframe(1).f_lineno)\n            return 1\n\n"
    "    mean(Xs())\n",
    "a traceback's frame": "    try:\n        mean([])\n    except ZeroDivisionError as exc:\n"
    "        SEEN.append(exc.__traceback__.tb_next.tb_frame.f_locals)\n",
    "a module it writes and imports": "    Path('peek.py').write_text('from calc.ops import mean\\n"
    "C = mean.__code__\\n')\n    sys.path.insert(0, '.')\n    import peek\n",
    "a tracer set for threads": "    import threading\n\n    def tracer(frame, event, arg):\n"
    "        SEEN.append(frame.f_lineno)\n        return tracer\n\n"
    "    threading.settrace(tracer)\n    worker = threading.Thread(target=mean, args=([1],))\n"
    "    worker.start()\n    worker.join()\n",
    "code compiled under the checkout's name": "    exec(compile('from calc.ops import mean\\n"
    "C = mean.__code__\\n', 'calc/ops.py', 'exec'), {})\n",
    "a thread pool running the disassembler": "    import concurrent.futures\n    import dis\n\n"
    "    with concurrent.futures.ThreadPoolExecutor(1) as pool:\n"
    "        SEEN.append(list(pool.submit(dis.Bytecode, mean).result()))\n",
    "a hook the import system calls": "    import functools\n\n    sys.path.insert(0, '__code__')\n"
    "    sys.path_hooks.insert(0, functools.partial(getattr, mean))\n"
    "    with pytest.raises(Exception):\n        import zz_no_such_module  # noqa: F401\n"
    "    SEEN.append(sys.path_importer_cache['__code__'].co_consts)\n",
    "a Signature class asking for its reader's frame": "    import inspect\n\n"
    "    class Sig(inspect.Signature):\n        def __init__(self, *args, **kwargs):\n"
    "            SEEN.append(sys._getframe(1).f_locals['func_code'].co_consts)\n"
    "            super().__init__(*args, **kwargs)\n\n    Sig.from_callable(mean)\n",
    "a reader's frame reached through a traceback": "    import inspect\n\n"
    "    class Sig(inspect.Signature):\n        def __init__(self, *args, **kwargs):\n"
    "            raise KeyError\n\n    with pytest.raises(KeyError) as caught:\n"
    "        Sig.from_callable(mean)\n    tb = caught.value.__traceback__\n"
    "    while tb.tb_next is not None:\n        tb = tb.tb_next\n"
    "    SEEN.append(tb.tb_frame.f_back.f_locals['func_code'].co_consts)\n",
    "a compiled file a path hook opens": "    import io\n    import json\n\n"
    "    sys.path.insert(0, json.__cached__)\n    sys.path_hooks.insert(0, io.open_code)\n"
    "    with pytest.raises(Exception):\n        import zz_no_such_module  # noqa: F401\n"
    "    SEEN.append(sys.path_importer_cache[json.__cached__].read())\n",
}
OWN = """\
    assert test_mean.__code__.co_name == 'test_mean'

    @dataclasses.dataclass
    class Case:
        xs: list

    Pair = collections.namedtuple("Pair", "xs want")
    logging.getLogger("check").warning("mean of %s", Kind.EMPTY)
    with pytest.warns(UserWarning):
        warnings.warn("nothing", UserWarning)
    with pytest.raises(ZeroDivisionError):
        mean([])
    monkeypatch.setenv("CALC_MODE", "strict")
    (tmp_path / "xs.txt").write_text("")
    assert mean(Case([1, 3]).xs) == pytest.approx(Pair([], 2).want) and caplog.records
    with mock.patch("calc.ops.mean", autospec=True) as fake:
        fake.return_value = 2
        assert calc.ops.mean([1]) == 2 and list(inspect.signature(mean).parameters) == ["xs"]
    assert not inspect.iscoroutinefunction(mean) and not inspect.isgeneratorfunction(mean)
"""
"""What tests use every day: fixtures, ``raises``, ``warns``, ``caplog``, ``monkeypatch``, a
dataclass, a named tuple, an enum, logging (in the test and in the code under test),
``mock.patch(autospec=True)`` and ``inspect.signature`` (which read the function's code for its
signature: refused before)."""
SAID = "the test reads the code under test"


def _run(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    project = tmp_path / "project"
    (project / "calc").mkdir(parents=True)
    (project / "calc" / "__init__.py").write_text("")
    (project / "calc" / "ops.py").write_text(OPS)
    head = ("import collections\nimport dataclasses\nimport enum\nimport inspect\nimport logging\n"
            "import sys\nimport warnings\nfrom pathlib import Path\nfrom unittest import mock\n\n"
            "import pytest\n\nimport calc.ops\nfrom calc.ops import mean\n")  # fmt: skip
    kind = "\n\nclass Kind(enum.Enum):\n    EMPTY = 0\n"
    test = (f"{head}\nSEEN = []{kind}\n\n@pytest.fixture\ndef wanted():\n    return 2\n\n\n"
            f"def test_mean(wanted, caplog, monkeypatch, tmp_path):\n{body}")  # fmt: skip
    (project / "test_mean.py").write_text(test)
    setting = {"test": "test_mean.py", "fixed": ["./calc/ops.py"], "exit": 87, "said": SAID}
    environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "CICD_F2P_GUARD": json.dumps(setting),
               "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # pytest's own plugins only: a third of the time
               "PYTHONPATH": BOOT}  # fmt: skip
    environ.pop("PYTEST_ADDOPTS", None)
    argv = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", GUARD, "-p", "no:cacheprovider", "."]
    return subprocess.run(argv, cwd=project, env=environ, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize("how", READS)
def test_attack_a_test_that_reaches_the_code_under_tests_code_is_stopped(
    tmp_path: Path, how: str
) -> None:
    done = _run(tmp_path, READS[how])
    assert done.returncode == 87, done.stdout + done.stderr
    assert f"{SAID} ({SEEN_AS[how]} at " in done.stderr, done.stderr


SEEN_AS = {
    "a name built at run time": "object.__getattr__ __code__",
    "the disassembler": "object.__getattr__ __code__",
    "the compiled file": "open",
    "a frame asked for inside the code": "sys._getframe",
    "a traceback's frame": "object.__getattr__ tb_frame",
    "a module it writes and imports": "object.__getattr__ __code__",
    "a tracer set for threads": "sys.settrace",
    "code compiled under the checkout's name": "compile",
    "a thread pool running the disassembler": "object.__getattr__ __code__",
    "a hook the import system calls": "object.__getattr__ __code__",
    "a compiled file a path hook opens": "open",
    "a Signature class asking for its reader's frame": "sys._getframe",
    "a reader's frame reached through a traceback": "object.__getattr__ tb_frame",
}
"""The event each attack is stopped on (the guard's line names it)."""


def test_a_test_that_runs_the_code_with_pytests_usual_tools_is_no_reading(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path, OWN)
    assert done.returncode == 0, done.stdout + done.stderr
    assert SAID not in done.stderr


def test_without_its_setting_the_guard_adds_no_hook() -> None:
    """Imported here (no ``CICD_F2P_GUARD``), it does nothing: this process keeps no hook."""
    assert "CICD_F2P_GUARD" not in os.environ
    import cicd_agent.runners.pytest.in_run.behaviour_guard as guard  # the import is the test

    assert guard.install() is None


def test_attack_a_process_multiprocessing_spawns_is_stopped(tmp_path: Path) -> None:
    """ATTACK: a spawned pool's worker (a new interpreter, no pytest, no guard) reads the fixed
    module's file for the test (here its source; in the judged run its compiled file)."""
    body = ("    import multiprocessing\n\n"
            "    with multiprocessing.get_context('spawn').Pool(1) as pool:\n"
            "        SEEN.append(pool.apply(Path.read_bytes, (Path('calc/ops.py'),)))\n")  # fmt: skip
    done = _run(tmp_path, body)
    assert done.returncode == 87, done.stdout + done.stderr


@pytest.mark.parametrize("body", [
    "    import sys\n    sys.modules.pop('_posixsubprocess', None)\n    import _posixsubprocess\n"
    "    SEEN.append(_posixsubprocess.fork_exec)\n",
    "    import _posixsubprocess\n    SEEN.append(_posixsubprocess.fork_exec.__kwdefaults__)\n",
], ids=["a fresh copy of the module", "the watched function's default"])  # fmt: skip
def test_attack_the_unwatched_fork_exec_is_not_reached(tmp_path: Path, body: str) -> None:
    """ATTACK: the way round the watched ``fork_exec`` (the previous test) is the real one: a
    fresh import of ``_posixsubprocess`` or the keyword default our wrapper keeps it in."""
    done = _run(tmp_path, body)
    assert done.returncode == 87, done.stdout + done.stderr
