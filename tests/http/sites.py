"""Jira sites for the HTTP tests. The tokens are fake but distinctive, so a test can search any
text for them."""
from __future__ import annotations

import base64

from worker.settings import JiraSite

CLOUD_TOKEN = "cloud-api-token-7f3a9c"
DC_PAT = "dc-personal-token-b81e44"
CLOUD = JiraSite(url="https://acme.atlassian.net", deployment="cloud", email="bot@acme.example",
                 api_token=CLOUD_TOKEN, timeout=7.5)
# A Data Center site under a context path, as many are.
DATACENTER = JiraSite(url="https://jira.acme.example/jira", deployment="datacenter",
                      personal_access_token=DC_PAT, timeout=4.0)
CLOUD_BASIC = base64.b64encode(f"bot@acme.example:{CLOUD_TOKEN}".encode()).decode()
SECRETS = (CLOUD_TOKEN, DC_PAT, CLOUD_BASIC)
AUTH_HEADER = {"cloud": f"Basic {CLOUD_BASIC}", "datacenter": f"Bearer {DC_PAT}"}
