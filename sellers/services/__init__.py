"""Writes of the sellers app: the CMA, the property import and the seller qualification."""
