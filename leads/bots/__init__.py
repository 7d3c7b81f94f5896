"""Bots: the code that decides the next turn of a conversation.

A bot gets a ``TurnContext`` and returns a ``BotTurn`` (what to say, as a template key,
plus what to do). It never talks to HighLevel and never sends: the pipeline
(``leads.services.pipeline``) runs the guards, has an engine word the reply and sends it.
A bot may keep its own state through its app's services (the seller bot's Q0–Q4 answers),
inside the pipeline's transaction and under its lock on the conversation. Apps register their bots in ``AppConfig.ready()``; ``leads`` imports none of them.
"""
