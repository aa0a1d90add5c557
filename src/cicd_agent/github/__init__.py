"""The GitHub layer: the handful of REST calls the modes make, through PyGithub.

``client`` builds the connection and holds the read/write policy (errors, fork and read-only
tokens, dry runs); ``comments``, ``checks``, ``pulls`` and ``runs`` hold one job each; ``models``
is the plain data they take and return. Nothing here is imported at start-up: modes import the
submodules they use.
"""
