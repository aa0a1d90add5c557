"""Start coverage in every Python process of a measured run, then hand over to the real one.

When ``COVERAGE_PROCESS_START`` names a configuration, coverage starts here, before any project
code, and in every subprocess. Our coverage comes from the ``covlib`` folder beside this file, so
the data is written by the version that reads it; if it cannot load under this interpreter, the
project's own is used. The project's own ``sitecustomize`` still runs."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _import_coverage() -> bool:
    covlib = os.path.join(_HERE, "covlib")
    sys.path.insert(0, covlib)
    try:
        import coverage
    except (ImportError, SyntaxError):
        for name in [name for name in sys.modules if name.split(".")[0] == "coverage"]:
            del sys.modules[name]
    else:
        return True
    finally:
        sys.path.remove(covlib)
    try:
        import coverage  # noqa: F401
    except ImportError:
        return False
    return True


def _start_coverage() -> None:
    if os.environ.get("COVERAGE_PROCESS_START") and _import_coverage():
        import coverage

        coverage.process_startup()


def _chain() -> None:
    """Run the next ``sitecustomize`` on the path, as if ours were not there."""
    path = [entry for entry in sys.path if os.path.abspath(entry or ".") != _HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def _pin_plugin() -> None:
    """Given ``-p cicd_agent_pytest_plugin``, ours imported now: ``python -m pytest`` puts the
    copy's root first on ``sys.path``, where a file of that name would be loaded for it."""
    name = "cicd_agent_pytest_plugin"
    spec = importlib.util.spec_from_file_location(name, os.path.join(_HERE, f"{name}.py"))
    if name not in getattr(sys, "orig_argv", sys.argv) or spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_start_coverage()
_pin_plugin()
_chain()
