"""What each repository of the second flaky set needs to run its tests (issue 66).

Read from each project's newest test requirements (pyproject extras, tox.ini, requirements
files), with the pytest plugins its configuration loads. Used by ``detect.py`` to build one
virtualenv per repository; the project's own code is imported from the sandbox's copy.
"""

from __future__ import annotations

PROJECTS: dict[str, tuple[str, ...]] = {
    "pytest-dev/pytest-rerunfailures": ("pytest", "packaging"),  # the third set's
    "python-websockets/websockets": ("pytest",),
    "pytest-dev/execnet": ("pytest", "py"),
    "benoitc/gunicorn": ("pytest", "pytest-asyncio", "pytest-cov", "packaging", "setproctitle"),
    "encode/httpx": ("pytest", "pytest-asyncio", "pytest-trio", "trio", "h11", "h2", "idna",
                     "certifi", "chardet", "rfc3986", "sniffio", "hstspreload", "uvicorn",
                     "trustme", "cryptography", "brotli", "httpcore"),
    "ipython/ipykernel": ("pytest", "pytest-asyncio", "pytest-timeout", "pytest-cov", "flaky",
                          "ipython", "jupyter_client", "pyzmq", "tornado", "traitlets", "comm",
                          "debugpy", "psutil", "nest_asyncio", "matplotlib-inline", "packaging",
                          "nose"),
    "tox-dev/tox": ("pytest", "pytest-mock", "pytest-cov", "covdefaults", "devpi-process",
                    "re-assert", "time-machine", "flaky", "distlib", "build", "psutil",
                    "cachetools", "chardet", "colorama", "filelock", "packaging", "platformdirs",
                    "pluggy", "pyproject-api", "virtualenv", "diff-cover", "wheel", "setuptools",
                    "detect-test-pollution", "hatchling", "hatch-vcs"),
    "python-zeroconf/python-zeroconf": ("pytest", "pytest-asyncio", "pytest-timeout",
                                        "pytest-cov", "ifaddr", "async-timeout"),
    "agronholm/apscheduler": ("pytest", "anyio", "attrs", "tenacity", "tzlocal", "pytest-mock",
                              "time-machine", "trio", "sqlalchemy", "cbor2", "psycopg",
                              "pytest-freezer", "pytest-lazy-fixtures", "pytest-lazy-fixture"),
    "jupyter/nbclient": ("pytest", "pytest-asyncio", "pytest-cov", "pytest-timeout", "ipykernel",
                         "ipython", "ipywidgets", "nbformat", "nbconvert", "jupyter_client",
                         "traitlets", "flaky", "testpath", "xmltodict"),
    "pytest-dev/pytest-asyncio": ("pytest", "hypothesis", "flaky", "coverage"),
    "Textualize/textual": ("pytest", "pytest-asyncio", "syrupy", "pytest-textual-snapshot",
                           "rich", "markdown-it-py[linkify,plugins]", "platformdirs",
                           "typing-extensions", "mdit-py-plugins", "pygments"),
    "aio-libs/aiohttp": ("pytest", "pytest-mock", "pytest-codspeed", "aiohappyeyeballs",
                         "aiosignal", "attrs", "frozenlist", "multidict", "propcache", "yarl",
                         "trustme", "freezegun", "re-assert", "blockbuster", "brotli",
                         "pytest-cov", "pytest-xdist", "setuptools", "pkgconfig"),
    "dask/distributed": ("pytest", "pytest-timeout", "pytest-rerunfailures", "pytest-repeat",
                         "dask", "tornado", "msgpack", "cloudpickle", "psutil",
                         "sortedcontainers", "tblib", "toolz", "zict", "urllib3", "jinja2",
                         "locket", "pyyaml", "packaging", "click", "numpy"),
    "jupyter-server/jupyter_server": ("pytest", "pytest-jupyter[server]", "pytest-timeout",
                                      "pytest-console-scripts", "requests", "ipykernel",
                                      "jupyter_client", "nbformat", "nbconvert", "tornado",
                                      "traitlets", "jupyter_core", "jupyter_events",
                                      "jupyter_server_terminals", "anyio", "argon2-cffi",
                                      "prometheus_client", "send2trash", "terminado",
                                      "websocket-client", "overrides", "pyzmq", "packaging",
                                      "flaky"),
}  # fmt: skip
