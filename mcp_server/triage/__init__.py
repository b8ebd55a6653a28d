"""The triage engine: plain functions over numbers, plus the collector that asks the adapters."""
