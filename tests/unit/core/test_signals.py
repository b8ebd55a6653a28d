import re

import pytest

from mcp_server.config import SignalsConfig
from mcp_server.signals import build_query, promql_string, regex_literal, render_range, service_matcher


@pytest.mark.parametrize(
    "name",
    ["checkout", 'a"b', "a}b{c", 'x"}) or vector(1) #', "back\\slash", "dot.ted", "pipe|name", "new\nline"],
)
def test_service_matcher_keeps_names_literal(name):
    matcher = service_matcher("service", [name])
    # Undo the PromQL string quoting, then the regex escaping: the original name comes back intact.
    assert matcher.startswith('service=~"') and matcher.endswith('"')
    body = matcher[len('service=~"') : -1]
    assert not re.search(r'(?<!\\)"', body), "an unescaped quote would end the string early"
    unquoted = body.encode().decode("unicode_escape")
    assert re.fullmatch(unquoted, name)
    assert not re.fullmatch(unquoted, name + "x")


def test_regex_literal_and_string():
    assert regex_literal("a.b|c") == "a\\.b\\|c"
    assert promql_string('say "hi"\\') == '"say \\"hi\\"\\\\"'


@pytest.mark.parametrize(("seconds", "text"), [(900, "15m"), (3600, "1h"), (86400, "1d"), (90, "90s"), (120, "2m")])
def test_render_range(seconds, text):
    assert render_range(seconds) == text


def test_build_query_one_query_for_all_services():
    query = build_query(SignalsConfig(), "errors", ["b", "a", "b"], range_seconds=900)
    assert query.promql == 'sum by (service) (rate(http_requests_total{code=~"5..",service=~"a|b"}[15m]))'
    assert query.services == ("a", "b")


def test_build_query_uses_custom_labels_selector_and_quantile():
    signals = SignalsConfig(service_label="app", selector='job="api"')
    query = build_query(signals, "latency", ["x"], range_seconds=300, quantile=0.95)
    assert query.promql == (
        "histogram_quantile(0.95, sum by (app, le) "
        '(rate(http_request_duration_seconds_bucket{app=~"x",job="api"}[5m])))'
    )
