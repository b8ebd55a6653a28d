"""``python -m mcp_server.cli``: the same command as the ``firstfifteen`` console script."""

from __future__ import annotations

import sys

from mcp_server.cli.main import main

sys.exit(main())
