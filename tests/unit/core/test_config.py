from pathlib import Path

import pytest

from adapters.errors import ConfigError
from mcp_server.config import Config, expand_env, load_config, parse_config

BASE = {"services": [{"name": "api", "depends_on": ["db"]}, {"name": "db"}]}


def parse(raw, **kwargs):
    return parse_config(raw, base_dir=Path("."), **kwargs)


def test_minimal_config_gets_defaults():
    config = parse(BASE)
    assert [s.name for s in config.services] == ["api", "db"]
    assert config.triage.window_minutes == 15
    assert "http_requests_total" in config.signals.requests


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({}, "services"),
        ({"services": [{"name": "api", "depends_on": ["nope"]}]}, "unknown services ['nope']"),
        ({"services": [{"name": "a"}, {"name": "a"}]}, "duplicate names"),
        ({"services": [{"name": "a", "colour": "red"}]}, "services.0.colour"),
        ({"services": [{"name": "a"}], "triage": {"window_minutes": 0}}, "triage.window_minutes"),
        ({"services": [{"name": "a"}], "signals": {"errors": "rate($bogus[$range])"}}, "bogus"),
        ({"services": [{"name": "a"}], "signals": {"service_label": "bad-label"}}, "label name"),
        ({"services": [{"name": "a"}], "adapters": {"nosuch": {}}}, "unknown adapter type 'nosuch'"),
        ({"services": [{"name": "a"}], "adapters": {"prometheus": {"colour": 1}}}, "adapters.prometheus"),
        ({"services": [{"name": "a"}], "sources": {"metrics": ["prom"]}}, "sources.metrics"),
        ("just a string", "YAML mapping"),
    ],
)
def test_bad_config_names_key_and_problem(raw, fragment):
    with pytest.raises(ConfigError) as err:
        parse(raw)
    assert fragment in str(err.value)


def test_unknown_adapter_lists_installed_ones():
    with pytest.raises(ConfigError) as err:
        parse({"services": [{"name": "a"}], "adapters": {"nosuch": {}}})
    assert "prometheus" in err.value.hint and "replay" in err.value.hint


def test_env_expansion_and_missing_variable():
    tree = {"a": "${TOKEN}", "b": ["x-${MISSING:-dflt}"], "c": 3}
    assert expand_env(tree, environ={"TOKEN": "s3cret"}) == {"a": "s3cret", "b": ["x-dflt"], "c": 3}
    with pytest.raises(ConfigError, match="adapters.prometheus.bearer_token: environment variable PROM_TOKEN"):
        expand_env({"adapters": {"prometheus": {"bearer_token": "${PROM_TOKEN}"}}}, environ={})


def test_secret_never_in_repr(monkeypatch):
    monkeypatch.setenv("FF_TEST_TOKEN", "tok-very-secret")
    raw = {**BASE, "adapters": {"prometheus": {"url": "http://127.0.0.1:1", "bearer_token": "${FF_TEST_TOKEN}"}}}
    config = parse(raw)
    assert "tok-very-secret" not in repr(config) and "tok-very-secret" not in str(config)


def test_environment_overlay():
    raw = {
        **BASE,
        "default_environment": "prod",
        "environments": {"prod": {}, "staging": {"triage": {"window_minutes": 5}}},
    }
    assert parse(dict(raw)).environment == "prod"
    staging = parse(dict(raw), environment="staging")
    assert staging.environment == "staging" and staging.triage.window_minutes == 5
    with pytest.raises(ConfigError, match="unknown environment 'qa'") as err:
        parse(dict(raw), environment="qa")
    assert "prod, staging" in err.value.hint


def test_unknown_service_lists_known():
    with pytest.raises(ConfigError) as err:
        parse(BASE).service("nope")
    assert "api, db" in err.value.hint


def test_load_config_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("services: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    good = tmp_path / "ok.yaml"
    good.write_text("services:\n  - name: api\n")
    config = load_config(good)
    assert isinstance(config, Config) and config.base_dir == tmp_path.resolve()


def test_rejected_secret_values_are_not_echoed():
    raw = {**BASE, "adapters": {"prometheus": {"url": "http://127.0.0.1:1", "bearer_token": 123456789}}}
    with pytest.raises(ConfigError) as err:
        parse(raw)
    assert "bearer_token" in str(err.value) and "123456789" not in str(err.value)
