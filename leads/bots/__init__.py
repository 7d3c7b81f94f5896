"""Bots: the code that decides the next turn of a conversation.

A bot never talks to HighLevel or the database directly: it gets a ``TurnContext`` and
returns a ``BotTurn`` (what to say, as a template key and text, plus what to do). The
pipeline (``leads.services.pipeline``) runs the guards, has an engine word the reply and
sends it. Apps register their bots in ``AppConfig.ready()``; ``leads`` imports none of them.
"""
