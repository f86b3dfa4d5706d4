"""The web process's gunicorn worker: gevent, so a slow client holds a greenlet, not the worker.

gunicorn's deployment docs: sync workers must sit behind a proxy that buffers slow clients, or
else use an async worker class. Jira Cloud calls us straight from the internet in many setups,
so the worker itself must survive clients that trickle their headers: each connection is a
greenlet (up to `worker_connections` per process), and each one has deadlines of its own. A
client that sends nothing for WEB_CLIENT_IDLE_SECONDS, or has not finished its request within
WEB_CLIENT_TIMEOUT_SECONDS, is cut off. deploy/ still puts nginx in front (buffering, TLS).
"""
from __future__ import annotations

import gevent
from gunicorn.workers.ggevent import GeventWorker

from worker.settings import WebSettings


class SlowClientWorker(GeventWorker):
    def init_process(self):
        self.limits = WebSettings.from_env()
        super().init_process()

    def handle(self, listener, client, addr):
        try:
            with gevent.Timeout(self.limits.client_timeout):
                client.setblocking(1)
                client.settimeout(self.limits.client_idle)
                super(GeventWorker, self).handle(listener, client, addr)
        except gevent.Timeout:
            self.log.info("closed a connection from %s: request not complete within %g s",
                          addr[0] if isinstance(addr, tuple) else addr, self.limits.client_timeout)
            try:
                client.close()
            except OSError:
                pass
