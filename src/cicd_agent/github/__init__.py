"""The GitHub layer: the handful of REST calls the modes make, through PyGithub. Nothing here is
imported at start-up: modes import the submodules they use."""
