"""Post-mortem: the response figures and, later, the draft assembled from the incident record."""
