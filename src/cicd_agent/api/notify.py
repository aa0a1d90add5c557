"""The API's notification facet: a result told to a Slack webhook (:func:`post_message`), its
text built by :func:`slack_text`."""

from __future__ import annotations

from cicd_agent.actions.notify import SlackText, post_message, slack_text

__all__ = ["SlackText", "post_message", "slack_text"]
