"""A replicated Redis watched by Sentinel, on free loopback ports: a primary, a replica and one
Sentinel (quorum 1), each a real redis-server (the embedded binary), for the Sentinel tests and
benchmarks. Never port 6379; everything under one temporary folder, stopped together."""
from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import redis

from worker.embedded_redis import free_port, server_binary

MASTER = "psw"


class SentinelCluster:
    def __init__(self, folder: Path, down_after_ms: int = 1000):
        self.folder = Path(folder)
        self.down_after_ms = down_after_ms
        self.ports = {"a": free_port(), "b": free_port()}
        self.sentinel_port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}

    def _server(self, name: str, *extra: str) -> None:
        data = self.folder / name
        data.mkdir(parents=True, exist_ok=True)
        argv = [server_binary(), "--port", str(self.ports[name]), "--bind", "127.0.0.1", "--dir", str(data),
                "--appendonly", "yes", "--save", "", "--daemonize", "no", "--loglevel", "warning", *extra]
        self.processes[name] = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def start(self) -> "SentinelCluster":
        self._server("a")
        self._wait(self.ports["a"])
        self._server("b", "--replicaof", "127.0.0.1", str(self.ports["a"]))
        self._wait(self.ports["b"])
        conf = self.folder / "sentinel.conf"  # Sentinel rewrites its file: one of its own
        conf.write_text("\n".join([
            f"port {self.sentinel_port}", "bind 127.0.0.1", f"dir {self.folder}",
            f"sentinel monitor {MASTER} 127.0.0.1 {self.ports['a']} 1",
            f"sentinel down-after-milliseconds {MASTER} {self.down_after_ms}",
            f"sentinel failover-timeout {MASTER} 10000", f"sentinel parallel-syncs {MASTER} 1", ""]))
        self.processes["sentinel"] = subprocess.Popen([server_binary(), str(conf), "--sentinel"],
                                                      stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self._wait(self.sentinel_port)
        deadline = time.monotonic() + 20
        while self.replicas_in_sync() < 1:  # the replica has caught up, and Sentinel knows it
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not come in sync")
            time.sleep(0.1)
        return self

    def replicas_in_sync(self) -> int:
        try:
            info = redis.Redis(port=self.primary_port(), socket_timeout=1).info("replication")
            known = redis.Redis(port=self.sentinel_port, socket_timeout=1).sentinel_slaves(MASTER)
        except (redis.RedisError, OSError):
            return 0
        return min(int(info.get("connected_slaves", 0)), len(known))

    def primary_port(self) -> int:
        host, port = redis.Redis(port=self.sentinel_port, socket_timeout=1).sentinel_get_master_addr_by_name(MASTER)
        return int(port)

    def kill_primary(self) -> int:
        """SIGKILL the current primary; its port."""
        port = self.primary_port()
        name = next(n for n, p in self.ports.items() if p == port)
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(5)
        return port

    @property
    def env(self) -> dict[str, str]:
        """The service's settings for this cluster (REDIS_URL's host is Sentinel's to choose)."""
        return {"REDIS_URL": "redis://sentinel-chooses/0", "REDIS_SENTINELS": f"127.0.0.1:{self.sentinel_port}",
                "REDIS_SENTINEL_MASTER": MASTER}

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()

    @staticmethod
    def _wait(port: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5).ping():
                    return
            except (redis.RedisError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on {port}") from None
                time.sleep(0.05)
