"""Conformance cases of the adapters with a local backend: files, a git clone, an SMTP server, a scenario.

deploy_file and static_status get temp files (and broken ones), git a real repository built by
tests/gitrepo.py, smtp a real aiosmtpd server on 127.0.0.1 (as tests/unit/adapters/test_smtp_email.py),
and replay a bundled scenario.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import test_deploy_file as deploy_file_api
import test_smtp_email as smtp_api
from aiosmtpd.controller import Controller
from gitrepo import build_repo

from adapters.errors import (
    AuthError,
    BackendTimeoutError,
    BadResponseError,
    ConfigError,
    NotFoundError,
    QueryError,
    UnavailableError,
)
from adapters.models import HealthTarget, TimeWindow
from adapters.replay.adapter import load_scenario
from adapters.replay.scenario import scenario_path
from adapters.testing import EMAIL, ConformanceCase, Env, Fault, Limit, silent_port

# --- deploy_file ------------------------------------------------------------------------------------


def _write(name: str, content: str | bytes) -> Any:
    def install(env: Env) -> None:
        path = env.tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())

    return install


NAIVE = "- {id: d-9, service: cart, started_at: '2026-03-14T02:30:00'}\n"

DEPLOY_FILE = ConformanceCase(
    entry_point="deploy_file",
    standard_faults=(),
    # YAML_LOG holds d-old and d-late, outside the window: the window check sees them left out.
    settings=lambda env: {"path": "deploys.yaml"},
    backend=_write("deploys.yaml", deploy_file_api.YAML_LOG),
    faults=(
        Fault("missing-file", lambda env: None, ConfigError),
        Fault("not-a-list", _write("deploys.yaml", "deploys: none\n"), BadResponseError),
        Fault("not-yaml", _write("deploys.yaml", "- {id: [unclosed\n"), BadResponseError),
        Fault("not-utf8", _write("deploys.yaml", b"\xff\xfe\x00garbage"), ConfigError),
        Fault("time-without-zone", _write("deploys.yaml", NAIVE), BadResponseError),
    ),
)

# --- git --------------------------------------------------------------------------------------------------

COMMITS = [
    {"message": "Start", "write": {"src/app.py": "print(0)\n"}},
    {"message": "Add retry", "write": {"src/retry.py": "RETRIES = 3\n"}},
    {"message": "Pool size", "write": {"config/pool.yaml": "size: 20\n"}},
    {"message": "Index", "write": {"db/migrations/0042.sql": "create index i on t(c);\n"}},
    {"message": "Bump", "write": {"requirements.txt": "httpx==0.28\n"}},
]


def _git_backend(env: Env) -> None:
    shas = build_repo(env.tmp / "shop", COMMITS)
    env.data.update(repo="acme/shop", base=shas[0], head=shas[-1])


def _no_clone(env: Env) -> None:
    env.data.update(repo="acme/shop", base="a" * 40, head="b" * 40)


def _plain_directory(env: Env) -> None:
    (env.tmp / "shop").mkdir()
    _no_clone(env)


async def _git_caps(adapter: Any, env: Env) -> None:
    changes = await adapter.get_changes("acme/shop", env.data["base"], env.data["head"])
    # Four commits and four files in the range, capped at two each, and said so.
    assert changes.truncated and len(changes.commits) == 2 and len(changes.files) == 2


GIT = ConformanceCase(
    entry_point="git",
    standard_faults=(),
    settings=lambda env: {"repos": {"acme/shop": "shop"}},
    backend=_git_backend,
    faults=(
        Fault("no-clone", _no_clone, ConfigError),
        Fault("not-a-repository", _plain_directory, ConfigError),
        Fault(
            "missing-commit",
            _git_backend,
            NotFoundError,
            methods=("get_changes",),
            args={"get_changes": lambda env: ("acme/shop", env.data["base"], "f" * 40)},
        ),
        Fault(
            "option-as-commit",
            _git_backend,
            QueryError,
            methods=("get_changes",),
            args={"get_changes": lambda env: ("acme/shop", "--output=/tmp/x", env.data["head"])},
        ),
        Fault(
            "unknown-repo",
            _git_backend,
            NotFoundError,
            methods=("get_changes",),
            args={"get_changes": lambda env: ("acme/other", env.data["base"], env.data["head"])},
        ),
        # The git process is killed at the deadline: the resource check sees it ended.
        Fault("timeout", _git_backend, BackendTimeoutError, settings={"timeout_s": 1e-6}),
    ),
    limits=(Limit("max-commits-and-files", _git_caps, {"max_commits": 2, "max_files": 2}),),
)

# --- static_status ---------------------------------------------------------------------------------------


def _state(content: str | bytes) -> Any:
    def install(env: Env) -> None:
        (env.tmp / "status-page").mkdir()
        _write("status-page/state.json", content)(env)

    return install


STATIC_STATUS = ConformanceCase(
    entry_point="static_status",
    standard_faults=(),
    settings=lambda env: {"directory": "status-page", "components": ["Checkout", "Search"]},
    backend=lambda env: None,
    faults=(
        Fault("damaged-state", _state("{not json"), ConfigError, methods=("post_update",)),
        Fault("state-not-utf8", _state(b"\xff\xfe\x00garbage"), ConfigError, methods=("post_update",)),
        Fault("directory-is-a-file", _write("status-page", "x"), UnavailableError, methods=("post_update",)),
        Fault("directory-is-a-file-check", _write("status-page", "x"), ConfigError, methods=("check",)),
    ),
)

# --- smtp -------------------------------------------------------------------------------------------------


def _smtp_backend(env: Env) -> None:
    capture, port = smtp_api.Capture(), smtp_api.free_port()
    controller = Controller(
        capture, hostname="127.0.0.1", port=port, authenticator=smtp_api.authenticate, auth_require_tls=False
    )
    controller.start()
    env.stack.callback(controller.stop)
    env.data.update(port=port, received=capture.received)


def _silent_server(env: Env) -> None:
    env.data["port"] = env.stack.enter_context(silent_port())


SMTP = ConformanceCase(
    entry_point="smtp",
    standard_faults=(),
    settings=lambda env: {
        "host": "127.0.0.1",
        "port": env.data["port"],
        "timeout_s": 5,
        "username": smtp_api.USER,
        "password": smtp_api.PASSWORD,
    },
    backend=_smtp_backend,
    faults=(
        Fault("down", lambda env: env.data.update(port=smtp_api.free_port()), UnavailableError),
        Fault("never-greets", _silent_server, BackendTimeoutError, settings={"timeout_s": 0.3}),
        Fault("wrong-password", _smtp_backend, AuthError, settings={"password": "wrong-password"}),
        Fault("no-starttls", _smtp_backend, ConfigError, settings={"starttls": True}),
        Fault(
            "every-recipient-refused",
            _smtp_backend,
            QueryError,
            methods=("send",),
            args={"send": lambda env: (EMAIL.model_copy(update={"to": [smtp_api.REFUSED]}),)},
        ),
    ),
)

# --- replay -------------------------------------------------------------------------------------------------

SCENARIO = "provider-outage"  # deploys (one before the window), alerts, a provider incident, a repository


def _replay_backend(env: Env) -> None:
    scenario = load_scenario(scenario_path(SCENARIO))
    env.at = scenario.anchor
    env.window = TimeWindow.ending_at(scenario.anchor, timedelta(hours=1))
    env.oldest = env.window.start
    deploy = next(d for d in scenario.deploys if scenario.repos.deploys.get(d.id))
    ref = scenario.repos.deploys[deploy.id]
    env.data.update(repo=ref.repo, base=ref.previous_sha, head=ref.sha)
    env.data["targets"] = [HealthTarget(service=s.name, url=f"replay://{s.name}") for s in scenario.services]


REPLAY = ConformanceCase(
    entry_point="replay",
    standard_faults=(),
    settings=lambda env: {"scenario": SCENARIO},
    backend=_replay_backend,
    faults=(
        Fault(
            "unknown-scenario", lambda env: None, NotFoundError, methods=("__init__",), settings={"scenario": "nope"}
        ),
        Fault(
            "scenario-not-yaml",
            _write("broken.yaml", "services: [\n"),
            ConfigError,
            methods=("__init__",),
            settings={"scenario": "broken.yaml"},
        ),
        Fault(
            "scenario-not-utf8",
            _write("broken.yaml", b"\xff\xfe\x00garbage"),
            ConfigError,
            methods=("__init__",),
            settings={"scenario": "broken.yaml"},
        ),
        Fault(
            "unknown-repo",
            _replay_backend,
            NotFoundError,
            methods=("get_changes",),
            args={"get_changes": lambda env: ("acme/other", env.data["base"], env.data["head"])},
        ),
        Fault(
            "unknown-commit",
            _replay_backend,
            NotFoundError,
            methods=("get_changes",),
            args={"get_changes": lambda env: (env.data["repo"], env.data["base"], "f" * 40)},
        ),
    ),
)
