"""Adapters: one module per data source, each answering the capability protocols in ``adapters.base``."""
