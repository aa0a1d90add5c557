"""``cicd-agent command``: answer ``/cicd-agent …`` commands written in pull request comments."""
