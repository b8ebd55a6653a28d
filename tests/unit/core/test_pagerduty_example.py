"""The PagerDuty example (examples/firstfifteen-pagerduty) installed as a separate package, as a user would.

pip installs it into a private target directory (never into the test venv); adapters.registry
finds it through its entry point; and its own test suite, run in a subprocess against the
installed firstfifteen, passes: the conformance checks of the shipped plugin included, which
must have been collected (a plugin that collects nothing would pass too).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conformance_run import run_pytest

from adapters import registry
from adapters.base import AlertSource, DeploySource
from adapters.testing import HTTP_FAULTS

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "firstfifteen-pagerduty"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install --no-deps --target`` the example, as a package of its own."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "firstfifteen-pagerduty"
    # Built from a copy: an in-tree build would leave egg-info beside the example's tests.
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("tests", "*.egg-info", "build"))
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(source)]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=300)
    return target


@pytest.fixture
def pagerduty_installed(site: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(site))
    registry.refresh()
    yield site
    registry.refresh()
    sys.modules.pop("firstfifteen_pagerduty", None)


def test_the_installed_package_is_found_through_its_entry_point(pagerduty_installed):
    assert "pagerduty" in registry.installed_adapters()
    cls = registry.load_adapter_class("pagerduty")
    assert Path(sys.modules[cls.__module__].__file__ or "").parent == pagerduty_installed  # the installed copy
    assert cls.capabilities == frozenset({"alerts", "deploys"})
    config = cls.config_model.model_validate({"token": "t", "services": {"PIJ90N7": "checkout"}})
    adapter = cls("pagerduty", config, None, None)  # type: ignore[arg-type]  # neither is used before a call
    assert isinstance(adapter, AlertSource) and isinstance(adapter, DeploySource)
    assert adapter.service_label == "service"


def test_its_own_suite_passes_through_the_shipped_conformance_plugin(site: Path, tmp_path: Path):
    # Its tests and pytest settings, without its module: the module must come from the install.
    shutil.copytree(EXAMPLE / "tests", tmp_path / "tests")
    shutil.copy(EXAMPLE / "pyproject.toml", tmp_path / "pyproject.toml")
    process, outcomes = run_pytest(tmp_path, [site])
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-2000:]
    assert outcomes and all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]
    checks = [o.name for o in outcomes if o.classname.endswith("TestPagerDutyConformance")]
    wanted = [
        "test_found_through_its_entry_point",
        "test_class_has_the_shape_of_its_protocols",
        "test_settings_refuse_an_unknown_key",
        "test_check_answers_on_a_working_backend[asyncio]",
        "test_answers_are_our_models_in_utc_inside_the_window[asyncio-alerts.list_alerts]",
        "test_answers_are_our_models_in_utc_inside_the_window[asyncio-deploys.list_deploys]",
        "test_settings_caps_hold[asyncio-max-pages]",
    ]
    faults = [f.id for f in HTTP_FAULTS] + ["refused-port", "never-answers", "404-service", "400-invalid-input"]
    wanted += [f"test_failing_backend_raises_only_documented_errors[asyncio-{fault}]" for fault in faults]
    assert sorted(set(wanted) - set(checks)) == [], f"conformance checks not collected; collected {checks}"
    mapping = [o.name for o in outcomes if "test_pagerduty_mapping" in o.classname]
    assert len(mapping) >= 8, f"the example's mapping tests did not run: {mapping}"
