"""gunicorn settings for the web process (`gunicorn --config python:app.gunicorn_conf`)."""
import os

from worker import logsafe
from worker.settings import WebSettings, log_secrets

# No secret in gunicorn's error or access log (a malformed request line is logged verbatim).
logsafe.install(log_secrets())
_web = WebSettings.from_env()

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Slow or hostile clients must not stop the intake (issue 11): see app/gunicorn_worker.py.
worker_class = _web.worker_class
worker_connections = _web.worker_connections
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = 30
# No access log by default: a Data Center webhook URL may carry ?token=, which must not be logged.
accesslog = None
# gunicorn's control socket is one per user ($HOME/.gunicorn/gunicorn.ctl): a second gunicorn on
# the machine (a second run, the tests) takes it over and removes it on exit. Nothing here uses
# gunicornc.
control_socket_disable = True


def child_exit(server, worker):
    # Prometheus multiprocess mode: drop a dead worker's live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
