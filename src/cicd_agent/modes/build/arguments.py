"""The build mode's command-line options, declared as data: ``cicd-agent build --help`` reads
this module and nothing else of the mode."""

from __future__ import annotations

from cicd_agent.plugins import Option, OptionGroup

FAIL_ON_CHOICES: tuple[str, ...] = (
    "new-critical",
    "new-high",
    "size-limit",
    "growth-limit",
    "smoke",
)
"""``new-critical``: the head brings a critical vulnerability the base did not have;
``new-high``: a high or critical one; ``size-limit`` and ``growth-limit``: the image is larger
than ``--size-limit`` or grew by more than ``--growth-limit``; ``smoke``: the smoke command
failed in the head's image."""
BUILDERS = ("auto", "docker", "buildah")
ASKS_MODEL = False
"""No model step: every number is measured, so the model's options are not offered."""

OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup(
        "build options",
        Option(
            "base",
            "base commit (default: the event's base, else the head's first parent)",
            setting=False,
            action_input=True,
        ),
        Option(
            "head",
            "head commit (default: the event's head, else HEAD)",
            setting=False,
            action_input=True,
        ),
        Option("dockerfile", "the Dockerfile, relative to the checkout (default Dockerfile)"),
        Option("context", "the build context folder, relative to the checkout (default .)"),
        Option("target", "the stage to build (default: the last)"),
        Option("build-arg", "build arguments NAME=VALUE, one a line or comma-separated"),
        Option(
            "builder", "auto (docker buildx, else buildah), docker or buildah", choices=BUILDERS
        ),
        Option(
            "vuln-db",
            "osv (download OSV data), a folder of OSV records outside the checkout, or none "
            "(the default: nothing checked, and fail-on new-critical or new-high exits 2)",
        ),
        Option("vex", "an OpenVEX file: vulnerabilities the team assessed as not affecting"),
        Option(
            "base-image",
            "compare with this image (an OCI folder or tar, a docker-archive, a root file "
            "system tar, or a registry reference) instead of building the base",
        ),
        Option(
            "image",
            "NAME=PATH: build FROM NAME (every stage, base and head) from a local image, an "
            "OCI folder or tar, a docker-archive or a root file system tar; repeat for each "
            "name (the workflow's INPUT_IMAGE: one a line)",
            setting=False,
            repeat=True,
        ),
        Option(
            "mirror",
            "REGISTRY=MIRROR, one a line: every pull from REGISTRY asks MIRROR first "
            "(docker.io=mirror.gcr.io; http:// for a mirror in plain HTTP)",
        ),
        Option("size-limit", "the largest image fail-on size-limit accepts (e.g. 500MB)"),
        Option("growth-limit", "the most growth fail-on growth-limit accepts (e.g. 50MB or 10%%)"),
        Option(
            "advice",
            "check Dockerfile advice by building it: on or off (default on)",
            choices=("on", "off"),
        ),
        Option(
            "smoke-command",
            "a shell command run in the built image with no network (advice must pass it too)",
        ),
        Option(
            "cache-dir",
            "where the trusted base's builds keep their cache between runs"
            " (default: RUNNER_TEMP/cicd-agent-build)",
        ),
    ),
)
