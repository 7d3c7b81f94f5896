"""Inbound webhooks, one package per provider (``ghl``): verify, store, dispatch."""
