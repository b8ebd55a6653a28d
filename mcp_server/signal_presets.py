"""Signal presets: the PromQL templates and label names of the common HTTP metric conventions.

``signals.preset`` picks one; any key given beside it (a template, a label, the selector) overrides
the preset's. Every latency template answers in **seconds**, which is what triage reads (it shows
milliseconds itself), so a convention recording milliseconds divides by 1000 in its template.

- ``classic``: the Prometheus client libraries' ``http_requests_total`` counter (label ``code``) and
  ``http_request_duration_seconds`` histogram, by ``service`` and ``route``.
- ``otel``: OpenTelemetry's stable ``http.server.request.duration`` histogram (unit ``s``) as the
  Prometheus exporters and Prometheus' OTLP receiver write it, ``http_server_request_duration_seconds``
  with ``http_response_status_code`` and ``http_route``; its ``_count`` is the request count. The
  resource's ``service.name`` becomes ``job`` (``service.namespace/service.name`` when a namespace is set).
- ``istio``: the sidecars' ``istio_requests_total`` (``response_code``) and
  ``istio_request_duration_milliseconds``, as the server side reports them (``reporter="destination"``),
  by ``destination_service_name``; Istio's standard metrics carry no route, so the breakdown is by
  ``destination_version``, which is what tells a bad canary apart.
- ``ingress-nginx``: ``nginx_ingress_controller_requests`` (``status``, no ``_total``) and
  ``nginx_ingress_controller_request_duration_seconds``, by backend ``service`` and ingress ``path``.
"""

from __future__ import annotations

from typing import Literal

PresetName = Literal["classic", "otel", "istio", "ingress-nginx"]
PRESET_NAMES: tuple[PresetName, ...] = ("classic", "otel", "istio", "ingress-nginx")
DEFAULT_PRESET: PresetName = "classic"


def _templates(requests: str, errors: str, latency_bucket: str, *, scale: str = "", fixed: str = "") -> dict[str, str]:
    """The five templates over one request counter, its error matchers and one latency histogram.

    ``fixed`` are matchers every query of the convention needs (Istio's reporter); ``scale`` turns
    the histogram's unit into seconds (`` / 1000`` for milliseconds).
    """
    base = f"{fixed}," if fixed else ""
    failed = f"{errors},{base}"
    return {
        "requests": f"sum by ($service_label) (rate({requests}{{{base}$selector}}[$range]))",
        "errors": f"sum by ($service_label) (rate({requests}{{{failed}$selector}}[$range]))",
        "latency": (
            f"histogram_quantile($quantile, sum by ($service_label, le) "
            f"(rate({latency_bucket}{{{base}$selector}}[$range]))){scale}"
        ),
        "route_requests": f"sum by ($service_label, $route_label) (rate({requests}{{{base}$selector}}[$range]))",
        "route_errors": f"sum by ($service_label, $route_label) (rate({requests}{{{failed}$selector}}[$range]))",
    }


PRESETS: dict[PresetName, dict[str, str]] = {
    "classic": {
        "service_label": "service",
        "route_label": "route",
        **_templates("http_requests_total", 'code=~"5.."', "http_request_duration_seconds_bucket"),
    },
    "otel": {
        "service_label": "job",
        "route_label": "http_route",
        **_templates(
            "http_server_request_duration_seconds_count",
            'http_response_status_code=~"5.."',
            "http_server_request_duration_seconds_bucket",
        ),
    },
    "istio": {
        "service_label": "destination_service_name",
        "route_label": "destination_version",
        **_templates(
            "istio_requests_total",
            'response_code=~"5.."',
            "istio_request_duration_milliseconds_bucket",
            scale=" / 1000",
            fixed='reporter="destination"',
        ),
    },
    "ingress-nginx": {
        "service_label": "service",
        "route_label": "path",
        **_templates(
            "nginx_ingress_controller_requests",
            'status=~"5.."',
            "nginx_ingress_controller_request_duration_seconds_bucket",
        ),
    },
}
"""Preset name -> the ``signals`` keys it sets."""


def apply_preset(data: object) -> object:
    """Fill the keys a ``signals`` mapping leaves out from its preset (default: classic).

    An unknown preset is a ValueError naming the accepted ones; anything but a mapping is left for
    the model's own validation to refuse.
    """
    if not isinstance(data, dict):
        return data
    name = data.get("preset", DEFAULT_PRESET)
    if name not in PRESETS:
        raise ValueError(f"preset: unknown preset {name!r} (accepted: {', '.join(PRESET_NAMES)})")
    return {**PRESETS[name], **data, "preset": name}
