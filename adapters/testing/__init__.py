"""The adapter conformance suite, shipped for third-party adapters (install ``firstfifteen[testing]``).

A package's tests load the plugin explicitly and declare one case per adapter::

    # tests/conftest.py
    pytest_plugins = ["adapters.testing.plugin"]

    # tests/test_conformance.py
    from adapters.testing import ConformanceCase, ConformanceSuite, recorded

    class TestMyAdapterConformance(ConformanceSuite):
        case = ConformanceCase(entry_point="mine", adapter=MyAdapter, settings={...}, backend=recorded(...))

The built-in adapters run the same suite (tests/conformance/ in the firstfifteen repository).
See docs/writing-adapters.md.
"""

import pytest

# The checks are plain asserts: have pytest explain a failed one as it does in a test module.
# This must run before the modules are imported, hence before the imports below.
pytest.register_assert_rewrite("adapters.testing.checks", "adapters.testing.suite", "adapters.testing.faults")

from adapters.testing.checks import Opened, check_answer, check_failure  # noqa: E402
from adapters.testing.faults import (  # noqa: E402
    ALLOWANCE_S,
    HTTP_FAULTS,
    SLOW_DEADLINE_S,
    answer,
    every,
    failing,
    json_route,
    loopback_faults,
    recorded,
    silent_port,
)
from adapters.testing.harness import (  # noqa: E402
    AT,
    CONSTRUCT,
    DEFAULT_ARGS,
    EMAIL,
    LOGQL,
    OLDEST,
    QUERY,
    STEP,
    UPDATE,
    WINDOW,
    Env,
    Fault,
    Limit,
)
from adapters.testing.suite import ConformanceCase, ConformanceSuite  # noqa: E402

__all__ = [
    "ALLOWANCE_S",
    "AT",
    "CONSTRUCT",
    "DEFAULT_ARGS",
    "EMAIL",
    "HTTP_FAULTS",
    "LOGQL",
    "OLDEST",
    "QUERY",
    "SLOW_DEADLINE_S",
    "STEP",
    "UPDATE",
    "WINDOW",
    "ConformanceCase",
    "ConformanceSuite",
    "Env",
    "Fault",
    "Limit",
    "Opened",
    "answer",
    "check_answer",
    "check_failure",
    "every",
    "failing",
    "json_route",
    "loopback_faults",
    "recorded",
    "silent_port",
]
