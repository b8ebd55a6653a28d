"""Every built-in adapter, found through the ``firstfifteen.adapters`` entry points, through the shipped suite.

The checks are ``adapters.testing`` (the pytest plugin third-party adapters run too): for each
adapter and each capability it declares, the class has the Protocol's methods; built from its
``config_model`` and given a working backend, ``check()`` and every method answer with
adapters.models only, datetimes in UTC, nothing outside the asked window; fed failing backends
(the standard HTTP ones, a refused port and a silent server on loopback, and each vendor's own),
it raises only the documented adapters.errors class within its deadline; its settings' caps hold;
and after every call it has closed what it opened, but never the shared HTTP client. This module
only names the cases (in the conformance_* modules) and checks that every built-in has one.
"""

from __future__ import annotations

from conformance_hosted import ALERTMANAGER, HTTP_HEALTH, PROMETHEUS, STATUSPAGE
from conformance_local import DEPLOY_FILE, GIT, REPLAY, SMTP, STATIC_STATUS
from conformance_vendors import ARGOCD, GITHUB, LOKI_CASE, SLACK_CASE, STATUSPAGE_API

from adapters.registry import installed_adapters, load_adapter_class
from adapters.testing import ConformanceCase, ConformanceSuite

CASES: list[ConformanceCase] = [
    PROMETHEUS,
    ALERTMANAGER,
    HTTP_HEALTH,
    STATUSPAGE,
    DEPLOY_FILE,
    GITHUB,
    ARGOCD,
    GIT,
    SLACK_CASE,
    STATUSPAGE_API,
    STATIC_STATUS,
    SMTP,
    REPLAY,
    LOKI_CASE,
]
# Built-ins are the entry points this project registers (pyproject.toml); a third-party package's are its own.
BUILTINS = [name for name in installed_adapters() if load_adapter_class(name).__module__.startswith("adapters.")]


def test_every_builtin_adapter_has_a_case() -> None:
    named = [case.entry_point for case in CASES]
    assert len(BUILTINS) >= 13, f"only {BUILTINS} registered: is the package installed (pip install -e .)?"
    assert sorted(set(BUILTINS) - set(named)) == [], "built-in adapters without a conformance case"
    assert sorted(set(named) - set(BUILTINS)) == [], "cases of adapters that are not registered"
    assert len(named) == len(set(named)), "two cases for one adapter"


# One suite class per built-in, named after it (TestConformance_prometheus, ...), as a third party writes one.
for _case in CASES:
    _name = f"TestConformance_{_case.entry_point}"
    globals()[_name] = type(_name, (ConformanceSuite,), {"case": _case, "__module__": __name__})
