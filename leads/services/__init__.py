"""Writes of the leads app, one module per concern (inbound, outbound, contacts, …)."""
