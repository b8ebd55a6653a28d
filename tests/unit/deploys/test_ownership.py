"""Path ownership: CODEOWNERS parsing and precedence, config globs, services owning a path, routes touched."""

from __future__ import annotations

import pytest

from mcp_server.config import ServiceConfig
from mcp_server.deploys.ownership import (
    codeowners_regex,
    compile_globs,
    glob_match,
    owners_of,
    parse_codeowners,
    routes_touched,
    services_owning,
)

CODEOWNERS = """\
# Default owners
*                       @acme/platform

*.js                    @acme/frontend   # inline comment
/docs/                  @acme/docs
docs/*                  @acme/writers
apps/                   @octocat
/build/logs/            @doctocat
**/payments             @acme/payments
services/checkout/**    @acme/checkout checkout-lead@acme.com
/services/cart          @cart
services/checkout/vendor/
file\\ with\\ space.txt    @spaces
\\#hash.txt              @hash
!negated.txt            @nobody
"""


@pytest.fixture(scope="module")
def rules():
    return parse_codeowners(CODEOWNERS)


def test_parse_skips_comments_blanks_and_negation(rules):
    assert [r.pattern for r in rules] == [
        "*",
        "*.js",
        "/docs/",
        "docs/*",
        "apps/",
        "/build/logs/",
        "**/payments",
        "services/checkout/**",
        "/services/cart",
        "services/checkout/vendor/",
        "file with space.txt",
        "#hash.txt",
    ]
    assert rules[1].owners == ("@acme/frontend",)
    assert rules[7].owners == ("@acme/checkout", "checkout-lead@acme.com")
    assert rules[9].owners == ()
    assert rules[0].line == 2


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ["@acme/platform"]),
        ("web/app.js", ["@acme/frontend"]),
        ("docs/getting-started.md", ["@acme/writers"]),  # docs/* comes later than /docs/
        ("docs/build-app/troubleshooting.md", ["@acme/docs"]),  # docs/* does not descend
        ("apps/x.py", ["@octocat"]),
        ("src/apps/deep/x.py", ["@octocat"]),  # apps/ matches at any depth
        ("build/logs/today.log", ["@doctocat"]),
        ("src/build/logs/today.log", ["@acme/platform"]),  # /build/logs/ is root-anchored
        ("src/payments/api.py", ["@acme/payments"]),
        ("payments/x/y.go", ["@acme/payments"]),
        ("services/checkout/api.py", ["@acme/checkout", "checkout-lead@acme.com"]),
        ("services/checkout/vendor/lib.js", []),  # last rule wins, and it has no owners
        ("services/cart/main.go", ["@cart"]),
        ("other/services/cart/main.go", ["@acme/platform"]),
        ("file with space.txt", ["@spaces"]),
        ("#hash.txt", ["@hash"]),
        ("negated.txt", ["@acme/platform"]),
        ("./web/app.js", ["@acme/frontend"]),
    ],
)
def test_owners_last_matching_rule_wins(rules, path, owners):
    assert owners_of(path, rules) == owners


def test_no_rules_no_owners():
    assert owners_of("a.py", []) == []
    assert owners_of("a.py", parse_codeowners("# only a comment\n\n")) == []


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("src/**/*.py", "src/a.py", True),
        ("src/**/*.py", "src/x/y/a.py", True),
        ("src/**/*.py", "lib/src/a.py", False),
        ("src/*.py", "src/x/a.py", False),
        ("services/checkout", "services/checkout/api/x.py", True),
        ("services/checkout/", "services/checkout/x.py", True),
        ("services/checkout/**", "services/checkout/x.py", True),
        ("services/checkout", "services/checkout-v2/x.py", False),
        ("/services/cart/*.go", "services/cart/main.go", True),
        ("**/handlers/*.go", "a/b/handlers/h.go", True),
        ("**/handlers/*.go", "handlers/h.go", True),
        ("**", "anything/at/all", True),
        ("a?c.txt", "abc.txt", True),
        ("a?c.txt", "a/c.txt", False),
        ("file[1].txt", "file[1].txt", True),
        ("file[1].txt", "file1.txt", False),
    ],
)
def test_config_globs(pattern, path, expected):
    assert glob_match(path, pattern) is expected


def test_globs_compile_once_and_survive_pathological_stars():
    assert compile_globs(("a/**", "b/*.py")) is compile_globs(("a/**", "b/*.py"))
    assert codeowners_regex("*.js") is codeowners_regex("*.js")
    assert not glob_match("a" * 40 + "b", "*a*a*a*a*a*a*a*a*a*a*a*c")  # no catastrophic backtracking
    assert not compile_globs(()).fullmatch("x")


def test_services_owning_by_globs_and_by_codeowners(rules):
    services = [
        ServiceConfig(name="checkout", team="checkout", paths=["services/checkout/**"]),
        ServiceConfig(name="payments", team="acme/payments"),
        ServiceConfig(name="cart", team="shop"),
        ServiceConfig(name="frontend", team="@frontend"),
        ServiceConfig(name="search", paths=["services/search"]),
    ]
    assert services_owning("services/checkout/api.py", services, rules) == {"checkout"}
    assert services_owning("src/payments/api.py", services, rules) == {"payments"}
    assert services_owning("services/cart/main.go", services, rules) == {"cart"}  # @cart is the service name
    assert services_owning("web/App.js", services, rules) == {"frontend"}
    assert services_owning("services/search/index.py", services) == {"search"}
    assert services_owning("README.md", services, rules) == set()
    assert services_owning("services/checkout/api.py", services) == {"checkout"}  # globs need no CODEOWNERS


def test_services_owning_a_path_claimed_by_glob_and_owner_of_two_services():
    rules = parse_codeowners("shared/ @acme/Payments\n")
    services = [
        ServiceConfig(name="checkout", paths=["shared/**"]),
        ServiceConfig(name="payments", team="payments"),
    ]
    assert services_owning("shared/money.py", services, rules) == {"checkout", "payments"}


def test_routes_touched_with_a_route_map():
    service = ServiceConfig(
        name="checkout",
        routes={
            "/checkout/submit": ["src/checkout/submit*.py", "src/checkout/validators/**"],
            "/checkout/cart": ["src/checkout/cart.py"],
            "/health": [],
        },
    )
    assert routes_touched("src/checkout/submit_handler.py", service) == ["/checkout/submit"]
    assert routes_touched("src/checkout/validators/card.py", service) == ["/checkout/submit"]
    assert routes_touched("src/checkout/cart.py", service) == ["/checkout/cart"]
    assert routes_touched("src/other.py", service) == []
    assert routes_touched("src/health.py", service) == ["/health"]  # a route without globs falls back


@pytest.mark.parametrize(
    ("path", "touched"),
    [
        ("src/checkout/submit.py", ["/checkout/submit"]),
        ("svc/checkout_submit.go", ["/checkout/submit"]),
        ("src/Checkout/SubmitHandler.java", ["/checkout/submit"]),
        ("src/checkout/cart.py", []),  # "submit" is missing
        ("src/orders/place_order_handler.py", ["/api/v1/orders/{id}/place-order"]),
        ("src/submit.py", []),  # "checkout" is missing
        ("src/submitter/checkout.py", []),  # words match whole, not as prefixes
        ("src/api/v1/handlers.py", []),  # generic segments never match by themselves
    ],
)
def test_routes_touched_fallback_matches_segments_to_path_parts(path, touched):
    service = ServiceConfig(name="checkout")
    observed = ["/checkout/submit", "/api/v1/orders/{id}/place-order", "/api/v1", "/"]
    assert routes_touched(path, service, observed) == touched


def test_routes_touched_without_routes_is_empty():
    assert routes_touched("src/checkout/submit.py", ServiceConfig(name="checkout")) == []


def test_answers_are_remembered_per_services_and_rules_never_across_them():
    checkout = ServiceConfig(name="checkout", paths=["src/**"])
    cart = ServiceConfig(name="cart", team="shop")
    first = parse_codeowners("src/ @shop\n")
    second = parse_codeowners("src/ @other\n")
    for _ in range(2):  # the second round answers from the remembered index
        assert services_owning("src/a.py", [checkout, cart], first) == {"checkout", "cart"}
        assert services_owning("src/a.py", [checkout, cart], second) == {"checkout"}
        assert services_owning("src/a.py", [cart], first) == {"cart"}
        assert services_owning("src/a.py", [cart], ()) == set()
        assert owners_of("src/a.py", first) == ["@shop"] and owners_of("src/a.py", second) == ["@other"]
    result = services_owning("src/a.py", [checkout], first)
    result.add("mutated")  # callers get their own set
    assert services_owning("src/a.py", [checkout], first) == {"checkout"}
