"""Coordination of the responders: roles, workstreams, ruled-out items, questions, actions and the handoff."""
