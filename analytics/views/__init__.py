"""Jorge's dashboard: one module per page (``analytics/views/<page>.py``), each view thin.

Reads live in ``analytics/selectors.py`` (or the owning app's selectors); access in
``analytics/access.py``.
"""
