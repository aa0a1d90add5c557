"""Parts of the core lent to one first-party mode each, outside the promised API.

A name here is imported by exactly one mode of this project (``tests/project/test_api_used.py``
counts them), so it may change in any release together with that mode; another mode, or a mode
of another distribution, relies on ``cicd_agent.api``, its promised facets and
``cicd_agent.plugins`` alone (docs/versioning.md). Each module's docstring names the modes it is
lent to; a name a second mode needs moves into the promise. A subject the promise also has
keeps its name here (``risk``, ``runners``, ``contracts``, ...); the others are the core's parts
(the run, the settings, what is posted, GitHub's answers, the sandbox, host processes). Each is
loaded only by a mode that imports it."""
