"""The Celery app of the worker, beat and Flower processes, built from the environment:
`celery --app worker.celery_main worker|beat|flower` (Procfile, deploy/, worker/cli/flower.py).

Celery's `--app` takes a module and finds its `app` attribute; it does not call a factory, so
this entry module is the one place that builds the app at import (Flask's examples/celery does
the same with its `make_celery.py`). Nothing else imports it.
"""
from worker import logsafe
from worker.celery_app import make_celery
from worker.settings import Settings, log_secrets

# Before Celery sets up its logging: no secret in the worker's, beat's or Flower's log lines.
logsafe.install(log_secrets())

app = make_celery(Settings.from_env())
