"""Priority Support worker: Celery tasks, the pure policy core and the Jira gateway."""
