"""Lead intelligence: what a lead wants, how soon, for how much, and how hot they are.

Two engines share one interface: Claude (``claude.py``) when ``ANTHROPIC_API_KEY`` is
set, and the deterministic offline engine (``offline.py``), which also serves as
Claude's fallback.
"""
