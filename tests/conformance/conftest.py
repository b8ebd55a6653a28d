"""The built-in cases take their payloads from the adapters' unit tests; the checks are the shipped plugin's.

The plugin itself (``adapters.testing.plugin``) is loaded by the top-level tests/conftest.py, as a
third-party package loads it from its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The payloads live with the adapters' unit tests (tests/ has no packages): import them from there.
sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "adapters"))
# The cases hold asserts of their own (limits): have pytest explain them as in a test module.
pytest.register_assert_rewrite("conformance_hosted", "conformance_vendors", "conformance_local")
