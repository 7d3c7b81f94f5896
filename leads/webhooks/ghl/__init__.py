"""HighLevel (GoHighLevel / LeadConnector) webhooks.

``signatures`` verifies the raw bytes, ``apis`` stores and acknowledges, ``handlers``
maps each event type to the service that applies it.
"""
