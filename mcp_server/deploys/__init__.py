"""Deploy correlation: candidates, features, ranking and rollback plans."""
