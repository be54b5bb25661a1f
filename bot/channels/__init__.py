"""Input channels: the only part of ``bot/`` that imports Rasa.

Configured in credentials.yml by class path:

* ``bot.channels.rest.SafeRestInput`` -- ``POST /webhooks/rest/webhook``
* ``bot.channels.webchat.WebChatInput`` -- the page at ``/webhooks/webchat/``
  and socket.io at ``/socket.io``
* ``bot.channels.teams.TeamsInput`` -- Microsoft Teams at ``/webhooks/teams/webhook``
  (credentials.teams.yml)

Each wraps Rasa's message callback in ``bot.channels.guard.MessageGuard``.
"""
