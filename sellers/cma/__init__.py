"""Comparative market analysis: comparables, valuation and the PDF (pure computation, no writes)."""
