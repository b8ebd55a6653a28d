"""Hypotheses: stored candidate causes with their evidence, and their ranking."""
