"""``cicd-agent build``: what a pull request does to its image, line by line."""
