"""Incident communications: one set of facts, a draft per audience, checked, then posted only on confirmation."""
