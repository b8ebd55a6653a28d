"""``firstfifteen init``: write a commented starter ``firstfifteen.yaml`` for a real stack.

The starter names Prometheus, Alertmanager, a deploy source (GitHub deployments, with Argo CD as the
commented alternative), Slack and Statuspage. Every secret is a ``${VAR}`` reference and every outside
write is off. An existing file is never replaced unless asked (``force``), and the file appears whole
or not at all (written beside it, then renamed).
"""

from __future__ import annotations

from pathlib import Path

from adapters.errors import ConfigError
from mcp_server.files import write_whole

STARTER_ENV = ("GITHUB_TOKEN", "SLACK_BOT_TOKEN", "STATUSPAGE_PAGE_ID", "STATUSPAGE_API_KEY")
"""The variables the starter references without a default: set them before `firstfifteen doctor`."""

STARTER = """\
# firstfifteen.yaml: a starter for a real stack. Replace every example value marked EDIT, export
# the variables named in ${...}, then run `firstfifteen doctor` to check each part.
# Every key is described in docs/configuration.md; each adapter's settings in docs/adapters.md.

services:                              # EDIT: the services triage judges, as your metrics name them
  - name: frontend
    depends_on: [checkout]             # services it calls: tells likely roots from symptoms
    health_url: https://frontend.example.com/healthz
    status_component: Website          # the public status-page component it maps to
    repo: example-org/frontend         # where its deploys come from (owner/name)
  - name: checkout
    repo: example-org/checkout

signals:
  preset: classic                      # EDIT: classic | otel | istio | ingress-nginx (your metric convention)
  # service_label: service             # the label naming the service, if not the preset's
  # selector: 'namespace="prod"'       # extra matchers for every query

adapters:
  prometheus:                          # metrics (also Thanos, Mimir, VictoriaMetrics)
    url: ${PROMETHEUS_URL:-http://prometheus.example.internal:9090}   # EDIT
    # bearer_token: ${PROMETHEUS_TOKEN}
  alertmanager:                        # firing alerts
    url: ${ALERTMANAGER_URL:-http://alertmanager.example.internal:9093}   # EDIT
  http: {timeout_s: 3}                 # the health checks of services[].health_url

  github:                              # deploys: GitHub deployments of each repo
    token: ${GITHUB_TOKEN}             # a fine-grained token with read access to deployments
    repos:
      - {repo: example-org/frontend, service: frontend}   # EDIT
      - {repo: example-org/checkout, service: checkout}
  # argocd:                            # or deploys from Argo CD applications instead of GitHub
  #   url: https://argocd.example.com
  #   token: ${ARGOCD_TOKEN}
  #   applications:
  #     - {name: checkout, environment: production}

  slack:                               # the incident channel: timeline capture, and chat posts if allowed
    token: ${SLACK_BOT_TOKEN}          # bot token (xoxb-...) with channels:history, chat:write
    workspace_url: https://example.slack.com   # EDIT: for permalinks
  statuspage_api:                      # the public status page (Atlassian Statuspage)
    page_id: ${STATUSPAGE_PAGE_ID}
    api_key: ${STATUSPAGE_API_KEY}
    components: {}                     # EDIT: component name -> its Statuspage id, e.g. {Website: kctbh9vrtdwd}

comms:
  chat_channel: "#incidents"           # EDIT: the internal incident channel (name or C0123 id)
  writes:                              # every outside write is off until you turn it on here
    status_page: false
    chat: false
    email: false

# store:                               # the incident record; default: a SQLite file in the user data dir
#   path: /var/lib/firstfifteen/incidents.sqlite3
"""


def write_starter(path: str | Path, *, force: bool = False) -> Path:
    """Write the starter config at ``path``; refuse to replace an existing file unless ``force``."""
    target = Path(path)
    if target.exists() and not force:
        raise ConfigError(
            f"{target} already exists; nothing was written",
            hint="Pass --force to replace it, or --path to write the starter elsewhere.",
        )
    if not target.parent.is_dir():
        raise ConfigError(f"directory {target.parent} does not exist", hint="Create it first, or pass another --path.")
    write_whole(target, STARTER)
    return target
