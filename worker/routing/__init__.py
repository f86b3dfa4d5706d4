"""Routing to the team on shift and warm handoffs (docs/POLICY.md section 6).

`rota` holds the pure rules (who holds a request when, and the handoffs between holders);
`writes` turns a holding into the Jira values of the team field and the assignee.
"""
from worker.routing.rota import Engineer, Handoff, Holding, Rota, rota_for

__all__ = ["Engineer", "Handoff", "Holding", "Rota", "rota_for"]
