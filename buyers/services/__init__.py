"""Writes of the buyers app: the buyer profile and the financial readiness assessment."""
