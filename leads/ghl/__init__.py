"""HighLevel (GoHighLevel / LeadConnector) API v2: client, rate limiter and outbox.

Import from the submodules (``leads.ghl.client``, ``leads.ghl.ratelimit``); this
package stays import-free so the limiter loads without Django's app registry.
"""
