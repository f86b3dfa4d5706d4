"""gunicorn settings for the web process (`gunicorn --config python:app.gunicorn_conf`)."""
from worker import logsafe
from worker.settings import WebSettings, log_secrets, metrics_dir

# No secret in gunicorn's error or access log (a malformed request line is logged verbatim).
logsafe.install(log_secrets())
_web = WebSettings.from_env()

bind = f"127.0.0.1:{_web.port}"
workers = _web.processes
# Slow or hostile clients must not stop the intake (issue 11): see app/gunicorn_worker.py.
worker_class = _web.worker_class
worker_connections = _web.worker_connections
threads = _web.threads
timeout = 30
# No access log by default: a Data Center webhook URL may carry ?token=, which must not be logged.
accesslog = None
# gunicorn's control socket is one per user ($HOME/.gunicorn/gunicorn.ctl): a second gunicorn on
# the machine (a second run, the tests) takes it over and removes it on exit. Nothing here uses
# gunicornc.
control_socket_disable = True


def child_exit(server, worker):
    # Prometheus multiprocess mode: drop a dead worker's live gauges.
    if metrics_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
