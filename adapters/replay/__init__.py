"""The embedded default: fixture scenarios replayed with no network.

``scenario`` loads and validates a scenario file, ``synthetic`` turns it into metric samples,
``promql`` answers the subset of PromQL the signals use, ``openmetrics`` exports the samples for a
real Prometheus, and ``adapter`` serves every capability from a scenario. Nothing here imports
``mcp_server``: the replay is an adapter like any other.
"""
