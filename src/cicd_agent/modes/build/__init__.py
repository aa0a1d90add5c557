"""``cicd-agent build``: what a pull request does to its image, line by line."""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "build",
    __name__,
    "build the image at base and head: size per Dockerfile line, packages, new CVEs, proven advice",
    "options:BuildOptions.from_given",
    order=7,
)
