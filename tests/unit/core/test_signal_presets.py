"""signals.preset: each convention's templates render to PromQL with its own metric and label names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.errors import ConfigError
from mcp_server.config import SIGNAL_NAMES, SignalsConfig, parse_config
from mcp_server.signal_presets import PRESET_NAMES, PRESETS
from mcp_server.signals import build_query

# preset -> (request metric, latency bucket metric, error matcher, service label, route label, must-have matcher)
EXPECTED = {
    "classic": (
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        'code=~"5.."',
        "service",
        "route",
        None,
    ),
    "otel": (
        "http_server_request_duration_seconds_count",
        "http_server_request_duration_seconds_bucket",
        'http_response_status_code=~"5.."',
        "job",
        "http_route",
        None,
    ),
    "istio": (
        "istio_requests_total",
        "istio_request_duration_milliseconds_bucket",
        'response_code=~"5.."',
        "destination_service_name",
        "destination_version",
        'reporter="destination"',
    ),
    "ingress-nginx": (
        "nginx_ingress_controller_requests",
        "nginx_ingress_controller_request_duration_seconds_bucket",
        'status=~"5.."',
        "service",
        "path",
        None,
    ),
}
METRIC_NAME = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")


def render(signals: SignalsConfig, signal: str) -> str:
    return build_query(signals, signal, ["checkout", "web"], range_seconds=900, quantile=0.99).promql  # type: ignore[arg-type]


def balanced(promql: str) -> bool:
    depth = {"(": 0, "{": 0, "[": 0}
    closing = {")": "(", "}": "{", "]": "["}
    for ch in promql:
        if ch in depth:
            depth[ch] += 1
        elif ch in closing:
            depth[closing[ch]] -= 1
            if depth[closing[ch]] < 0:
                return False
    return not any(depth.values())


def test_every_preset_is_covered():
    assert set(EXPECTED) == set(PRESET_NAMES) == set(PRESETS)


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_preset_renders_its_metrics_and_labels(preset):
    requests, bucket, error_matcher, service_label, route_label, fixed = EXPECTED[preset]
    signals = SignalsConfig(preset=preset)
    assert (signals.service_label, signals.route_label) == (service_label, route_label)
    matcher = f'{service_label}=~"checkout|web"'
    for signal in SIGNAL_NAMES:
        promql = render(signals, signal)
        assert balanced(promql), promql
        assert "$" not in promql, promql
        assert matcher in promql, promql
        assert f"sum by ({service_label}" in promql, promql
        if fixed:
            assert fixed in promql, promql
        metrics = set(METRIC_NAME.findall(promql))
        assert metrics == ({bucket} if signal == "latency" else {requests}), promql
        assert (error_matcher in promql) == (signal in ("errors", "route_errors")), promql
        assert (f"{service_label}, {route_label})" in promql) == signal.startswith("route_"), promql
    assert render(signals, "latency").startswith("histogram_quantile(0.99, sum by (")


def test_istio_latency_is_converted_from_milliseconds_to_seconds():
    assert render(SignalsConfig(preset="istio"), "latency").endswith(") / 1000")
    for preset in ("classic", "otel", "ingress-nginx"):
        assert render(SignalsConfig(preset=preset), "latency").endswith(")))"), preset


def test_classic_is_the_default_and_keeps_the_historic_queries():
    assert SignalsConfig() == SignalsConfig(preset="classic")
    assert render(SignalsConfig(), "errors") == (
        'sum by (service) (rate(http_requests_total{code=~"5..",service=~"checkout|web"}[15m]))'
    )


def test_explicit_keys_override_the_preset():
    custom = "sum by ($service_label) (rate(istio_requests_total{$selector}[$range]))"
    signals = SignalsConfig(preset="istio", service_label="destination_workload", requests=custom)
    assert render(signals, "requests") == (
        'sum by (destination_workload) (rate(istio_requests_total{destination_workload=~"checkout|web"}[15m]))'
    )
    assert 'reporter="destination"' in render(signals, "errors"), "keys not given still come from the preset"


def test_selector_is_added_beside_the_preset_matchers():
    signals = SignalsConfig(preset="ingress-nginx", selector='namespace="shop"')
    assert '{status=~"5..",service=~"checkout|web",namespace="shop"}' in render(signals, "errors")


def test_an_environment_overlay_can_switch_the_preset():
    raw = {
        "services": [{"name": "checkout"}],
        "signals": {"preset": "classic"},
        "environments": {"mesh": {"signals": {"preset": "istio"}}},
    }
    config = parse_config(raw, base_dir=Path("."), environment="mesh")
    assert config.signals.preset == "istio" and config.signals.service_label == "destination_service_name"


def test_an_unknown_preset_is_refused_naming_the_accepted_ones():
    with pytest.raises(ConfigError) as info:
        parse_config({"services": [{"name": "a"}], "signals": {"preset": "datadog"}}, base_dir=Path("."))
    message = info.value.describe()
    assert "signals" in message and "'datadog'" in message
    assert all(name in message for name in PRESET_NAMES)


def test_a_broken_override_is_still_refused_with_its_placeholder():
    with pytest.raises(ValueError, match=r"latency: unknown or malformed placeholder 'window'"):
        SignalsConfig(preset="otel", latency="histogram_quantile($quantile, x{$window})")


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_docs_show_each_preset_exactly(preset):
    docs = (Path(__file__).resolve().parents[3] / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = docs.split(f"\n### {preset}", 1)[1].split("\n### ", 1)[0]
    assert f"preset: {preset}" in section
    block = re.search(r"```\n(requests:.*?)```", section, re.S)
    assert block, f"docs/configuration.md has no template block under ### {preset}"
    shown = dict(re.findall(r"^(\w+): +(.+)$", block.group(1), re.M))
    assert shown == {signal: PRESETS[preset][signal] for signal in SIGNAL_NAMES}
