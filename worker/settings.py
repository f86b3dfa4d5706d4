"""Runtime settings, read from the environment in one place.

Everything an operator sets is read here, and listed in the README's configuration table
(tests/unit/test_settings_documented.py checks both). Two kinds of environment handling live
elsewhere, on purpose: building a child process's environment (`psw run`, `psw flower`, the
environment a `psw` command fills in from a running `psw run`), and the standard proxy
variables, which requests reads itself per Jira session (worker/jira/client.py).
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _flag(env: dict[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _names(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class ReminderSettings:
    dispatch_interval: float = 1.0  # seconds between two claims of due reminders (beat's clock loop)
    late_after: float = 30.0  # a reminder fired later than this after its instant counts as late
    dispatch_batch: int = 500  # reminders claimed and queued per Redis script call
    lease: float = 300.0  # seconds a claimed reminder may take before it is handed out again
    reconcile_interval: float = 600.0
    untriaged_lookback_minutes: int = 24 * 60  # how far back the sweep looks for missed webhooks
    untriaged_grace_minutes: int = 5  # younger requests may still have their webhook in flight
    open_lookback_days: int = 14  # open triaged requests this young get their reminders rebuilt
    reconcile_max_issues: int = 5000
    reconcile_scope_jql: str = ""  # e.g. 'project = PS', ANDed into both sweeps
    first_response_sla: str = "Time to first response"
    responded_statuses: tuple[str, ...] = ("Waiting for customer",)
    chat_timeout: float = 5.0
    chat_attempts: int = 3  # after this many tries a failing chat webhook no longer holds up a reminder

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReminderSettings:
        env = os.environ if env is None else env
        d = cls()
        return cls(
            dispatch_interval=_number(env, "DISPATCH_INTERVAL_SECONDS", d.dispatch_interval, 0.1),
            dispatch_batch=int(_number(env, "REMINDER_DISPATCH_BATCH", d.dispatch_batch, 1)),
            late_after=_number(env, "REMINDER_LATE_AFTER_SECONDS", d.late_after, 1),
            lease=_number(env, "REMINDER_LEASE_SECONDS", d.lease, 1),
            reconcile_interval=_number(env, "RECONCILE_INTERVAL_SECONDS", d.reconcile_interval, 1),
            untriaged_lookback_minutes=int(_number(env, "RECONCILE_UNTRIAGED_LOOKBACK_MINUTES",
                                                   d.untriaged_lookback_minutes, 1)),
            untriaged_grace_minutes=int(_number(env, "RECONCILE_GRACE_MINUTES", d.untriaged_grace_minutes, 0)),
            open_lookback_days=int(_number(env, "RECONCILE_OPEN_LOOKBACK_DAYS", d.open_lookback_days, 1)),
            reconcile_max_issues=int(_number(env, "RECONCILE_MAX_ISSUES", d.reconcile_max_issues, 1)),
            reconcile_scope_jql=env.get("RECONCILE_SCOPE_JQL", "").strip(),
            first_response_sla=env.get("FIRST_RESPONSE_SLA_NAME", "").strip() or d.first_response_sla,
            responded_statuses=_names(env, "RESPONDED_STATUSES", d.responded_statuses),
            chat_timeout=_number(env, "REMINDER_CHAT_TIMEOUT_SECONDS", d.chat_timeout, 0.1),
            chat_attempts=int(_number(env, "REMINDER_CHAT_ATTEMPTS", d.chat_attempts, 1)),
        )


@dataclass(frozen=True)
class LivenessSettings:
    """Heartbeats and the readiness limits (worker/liveness.py, `/readyz`, deploy/alerts/)."""

    heartbeat_interval: float = 5.0  # seconds between two heartbeats of a worker's consumer loop
    worker_max_age: float = 30.0  # no worker heartbeat this old: not ready
    beat_max_age: float = 30.0  # beat has not ticked for this long: not ready
    queue_stall: float = 60.0  # tasks queued and nothing consumed for this long: not ready
    oldest_task_max_age: float = 300.0  # the oldest queued task has waited this long: not ready
    reminder_max_wait: float = 60.0  # a due reminder unclaimed, or queued unfired, this long: not ready
    watchdog: float = 30.0  # a worker whose consumer loop has not turned for this long exits (code 70)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LivenessSettings:
        env = os.environ if env is None else env
        d = cls()
        interval = _number(env, "HEARTBEAT_INTERVAL_SECONDS", d.heartbeat_interval, 0.1)
        limits = cls(
            heartbeat_interval=interval,
            worker_max_age=_number(env, "READY_WORKER_MAX_AGE_SECONDS", d.worker_max_age, 1),
            beat_max_age=_number(env, "READY_BEAT_MAX_AGE_SECONDS", d.beat_max_age, 1),
            queue_stall=_number(env, "READY_QUEUE_STALL_SECONDS", d.queue_stall, 1),
            oldest_task_max_age=_number(env, "READY_OLDEST_TASK_SECONDS", d.oldest_task_max_age, 1),
            reminder_max_wait=_number(env, "READY_REMINDER_WAIT_SECONDS", d.reminder_max_wait, 1),
            watchdog=_number(env, "WORKER_WATCHDOG_SECONDS", d.watchdog, 1),
        )
        for name, value in (("READY_WORKER_MAX_AGE_SECONDS", limits.worker_max_age),
                            ("READY_BEAT_MAX_AGE_SECONDS", limits.beat_max_age),
                            ("WORKER_WATCHDOG_SECONDS", limits.watchdog)):
            if value <= interval:
                raise SettingsError(f"{name} ({value:g}) must be above HEARTBEAT_INTERVAL_SECONDS ({interval:g})")
        return limits


@dataclass(frozen=True)
class WebSettings:
    """How the web process meets its clients (app/gunicorn_conf.py, app/gunicorn_worker.py)."""

    worker_class: str = "app.gunicorn_worker.SlowClientWorker"  # gevent, with per-connection deadlines
    worker_connections: int = 1000  # connections one web process holds at once
    client_idle: float = 10.0  # seconds a client may send nothing mid-request
    client_timeout: float = 30.0  # seconds a connection may take for its request, slow or not
    port: int = 8000  # gunicorn binds 127.0.0.1 on it (a proxy in front reaches it: deploy/)
    processes: int = 2  # gunicorn worker processes
    threads: int = 1  # threads per gunicorn worker process (gevent's workers ignore it)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if env is None else env
        d = cls()
        return cls(
            port=_port(env, "PORT", d.port),
            processes=int(_number(env, "WEB_CONCURRENCY", d.processes, 1)),
            threads=int(_number(env, "WEB_THREADS", d.threads, 1)),
            worker_class=env.get("WEB_WORKER_CLASS", "").strip() or d.worker_class,
            worker_connections=int(_number(env, "WEB_WORKER_CONNECTIONS", d.worker_connections, 10)),
            client_idle=_number(env, "WEB_CLIENT_IDLE_SECONDS", d.client_idle, 0.5),
            client_timeout=_number(env, "WEB_CLIENT_TIMEOUT_SECONDS", d.client_timeout, 1),
        )


# Variables whose values never appear in a log line (worker/logsafe.py): the named secrets, and
# any variable named like one (the chat webhook URL lives in whichever variable the config names).
SECRET_VARIABLES = ("WEBHOOK_SECRET", "JIRA_API_TOKEN", "JIRA_PAT", "ADMIN_TOKEN")
SECRET_SUFFIXES = ("_SECRET", "_TOKEN", "_PAT", "_PASSWORD", "_WEBHOOK_URL")


def log_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The values no log line may show: every secret setting, Flower's passwords, a Redis URL's password."""
    env = os.environ if env is None else env
    values = [env.get(name, "").strip() for name in env
              if name in SECRET_VARIABLES or name.endswith(SECRET_SUFFIXES)]
    values += [pair.split(":", 1)[1] for pair in env.get("FLOWER_BASIC_AUTH", "").split(",") if ":" in pair]
    for name in ("REDIS_URL", "TEST_REDIS_URL"):
        password = urlsplit(env.get(name, "").strip()).password
        if password:
            values.append(password)
    return [v for v in values if v]


@dataclass(frozen=True)
class RunSettings:
    """What `psw run` listens on and keeps (worker/cli/run.py): checked free before anything starts."""

    var_dir: Path = Path("var")  # run lock and run file, embedded Redis data, metrics, generated secret
    web_port: int = 8000
    flower_port: int = 5555
    simulator_port: int = 8081
    embedded_redis_port: int = 6390

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RunSettings:
        env = os.environ if env is None else env
        d = cls()
        return cls(
            var_dir=var_dir(env),
            web_port=_port(env, "PORT", d.web_port),
            flower_port=_port(env, "FLOWER_PORT", d.flower_port),
            simulator_port=_port(env, "JIRA_SIM_PORT", d.simulator_port),
            embedded_redis_port=_port(env, "EMBEDDED_REDIS_PORT", d.embedded_redis_port),
        )


def var_dir(env: Mapping[str, str] | None = None) -> Path:
    """PSW_VAR_DIR: where `psw run` keeps its state, and where `psw` commands look for one."""
    env = os.environ if env is None else env
    return Path(env.get("PSW_VAR_DIR", "").strip() or "var")


def metrics_dir(env: Mapping[str, str] | None = None) -> str:
    """PROMETHEUS_MULTIPROC_DIR: the directory every process writes its metric samples to ("": each
    process keeps its own). prometheus_client reads the same variable itself when it is imported."""
    env = os.environ if env is None else env
    return env.get("PROMETHEUS_MULTIPROC_DIR", "").strip()


def configured_mapping(env: Mapping[str, str] | None = None) -> str | None:
    """MAPPING_CONFIG: the admin mapping config's path, None for the shipped one."""
    env = os.environ if env is None else env
    return env.get("MAPPING_CONFIG", "").strip() or None


def chat_webhook_url(variable: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """The chat webhook URL held by the variable the mapping config names (a secret: never log it)."""
    if not variable:
        return None
    env = os.environ if env is None else env
    return env.get(variable, "").strip() or None


@dataclass(frozen=True)
class ExplicitSettings:
    """Settings as set, with nothing filled in, for the code that fills in what is unset: a `psw`
    command takes a running `psw run`'s Redis and Jira (worker/cli/where.py), the supervisor hands
    a dead worker's tasks back only to a Redis it was given (worker/supervise.py)."""

    redis_url: str = ""  # REDIS_URL as set
    jira_url: str = ""  # JIRA_URL as set
    simulator_url: str = ""  # JIRA_SIM_URL: the bundled simulator `psw sim` talks to

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ExplicitSettings:
        env = os.environ if env is None else env
        return cls(redis_url=env.get("REDIS_URL", "").strip(), jira_url=env.get("JIRA_URL", "").strip(),
                   simulator_url=env.get("JIRA_SIM_URL", "").strip())


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SettingsError(f"{name} must be 1 or more, got {value}")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if not 1 <= value <= 65535:
        raise SettingsError(f"{name} must be a port number (1-65535), got {value}")
    return value


@dataclass(frozen=True)
class ConsoleSettings:
    """The web console (app/console): its session, and what a reverse proxy in front may assert."""

    session_hours: float = 8.0  # a console sign-in lasts this long (server-side session in Redis)
    trusted_proxies: tuple[str, ...] = ()  # networks of the reverse proxies in front (CIDR or address)
    proxy_user_header: str = ""  # header a trusted proxy sets to the signed-in user (its own sign-in)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        env = os.environ if env is None else env
        d = cls()
        proxies = _names(env, "TRUSTED_PROXIES", ())
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(f"TRUSTED_PROXIES: {proxy!r} is not an address or network such as 10.0.0.0/8") from None
        header = env.get("CONSOLE_PROXY_USER_HEADER", "").strip()
        if header and not proxies:
            raise SettingsError("CONSOLE_PROXY_USER_HEADER is set but TRUSTED_PROXIES is not: anyone reaching the "
                                "web port could name themselves in that header; list the proxies' addresses")
        return cls(session_hours=_number(env, "CONSOLE_SESSION_HOURS", d.session_hours, 0.05),
                   trusted_proxies=proxies, proxy_user_header=header)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class FlowerSettings:
    """Flower, as `psw flower` starts it. Beyond loopback it needs basic auth, or it refuses to start."""

    address: str = "127.0.0.1"
    port: int = 5555
    basic_auth: str = field(default="", repr=False)  # user:password[,user:password...]
    max_tasks: int = 10000  # tasks Flower keeps in memory (oldest dropped first)

    @property
    def loopback_only(self) -> bool:
        return self.address in LOOPBACK or self.address.startswith("127.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FlowerSettings:
        env = os.environ if env is None else env
        d = cls()
        flower = cls(
            address=env.get("FLOWER_ADDRESS", "").strip() or d.address,
            port=_port(env, "FLOWER_PORT", d.port),
            basic_auth=env.get("FLOWER_BASIC_AUTH", "").strip(),
            max_tasks=int(_number(env, "FLOWER_MAX_TASKS", d.max_tasks, 1)),
        )
        if flower.basic_auth and not all(":" in pair and pair.split(":", 1)[1] for pair in
                                         flower.basic_auth.split(",")):
            raise SettingsError("FLOWER_BASIC_AUTH must be user:password (comma-separated for several)")
        if not flower.loopback_only and not flower.basic_auth:
            raise SettingsError(f"FLOWER_ADDRESS is {flower.address}, beyond loopback: set FLOWER_BASIC_AUTH "
                                "(user:password), or Flower would show and control every task unauthenticated")
        return flower


@dataclass(frozen=True)
class JiraSite:
    """Where Jira is and how to authenticate. Cloud: email + API token. Data Center: PAT."""

    url: str
    deployment: str  # "cloud" or "datacenter"
    email: str = ""
    api_token: str = field(default="", repr=False)
    personal_access_token: str = field(default="", repr=False)
    timeout: float = 10.0
    ca_bundle: str = ""  # certificates to check the site's against (a file or directory); "": certifi's

    @property
    def is_cloud(self) -> bool:
        return self.deployment == "cloud"


@dataclass(frozen=True)
class RedisSentinel:
    """Redis Sentinel in front of a replicated Redis (worker/redis_connect.py)."""

    hosts: tuple[tuple[str, int], ...]  # REDIS_SENTINELS
    master: str  # REDIS_SENTINEL_MASTER: the name the Sentinels know the primary by
    password: str = field(default="", repr=False)  # REDIS_SENTINEL_PASSWORD: the Sentinels' own


CERT_REQS = ("required", "optional", "none")


def _redis_url(env: Mapping[str, str]) -> str:
    url = env.get("REDIS_URL", "").strip() or "redis://127.0.0.1:6379/0"
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(f"REDIS_URL must start redis://, rediss:// (TLS) or unix://, got {parts.scheme}://")
    reqs = [v.split("=", 1)[1] for v in parts.query.split("&") if v.startswith("ssl_cert_reqs=")]
    if any(r not in CERT_REQS for r in reqs):
        raise SettingsError(f"REDIS_URL's ssl_cert_reqs must be one of {', '.join(CERT_REQS)}")
    return url


def _redis_sentinel(env: Mapping[str, str]) -> RedisSentinel | None:
    raw = env.get("REDIS_SENTINELS", "").strip()
    master = env.get("REDIS_SENTINEL_MASTER", "").strip()
    if not raw:
        if master:
            raise SettingsError("REDIS_SENTINEL_MASTER is set but REDIS_SENTINELS is not: list the Sentinels "
                                "as host:port,host:port")
        return None
    hosts = []
    for item in (part.strip() for part in raw.split(",") if part.strip()):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise SettingsError(f"REDIS_SENTINELS: {item!r} is not host:port")
        hosts.append((host.strip("[]"), int(port)))
    if not master:
        raise SettingsError("REDIS_SENTINELS is set: name the primary with REDIS_SENTINEL_MASTER")
    return RedisSentinel(hosts=tuple(hosts), master=master, password=env.get("REDIS_SENTINEL_PASSWORD", ""))


@dataclass(frozen=True)
class JiraConcurrencySettings:
    """The adaptive limit on Jira calls under way at once per site, shared by every worker
    through Redis (worker/jira/concurrency.py)."""

    # JIRA_CONCURRENCY_MAX: the limit never grows past it; 0 (the default): no shared limit. Off by
    # default: it holds every worker for each 429's Retry-After, which suits a site-wide quota (Jira
    # Cloud's) but stalls the service where 429s come at random (the chaos run: 20 % of calls).
    ceiling: int = 0
    floor: int = 1  # JIRA_CONCURRENCY_MIN: a 429 never takes it below this
    decrease: float = 0.5  # the limit's factor on a 429
    slot_wait: float = 2.0  # JIRA_SLOT_WAIT_SECONDS: longest wait for a free slot before the task retries later

    @property
    def enabled(self) -> bool:
        return self.ceiling > 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JiraConcurrencySettings:
        env = os.environ if env is None else env
        d = cls()
        ceiling = _int(env, "JIRA_CONCURRENCY_MAX", d.ceiling)
        floor = _int(env, "JIRA_CONCURRENCY_MIN", d.floor)
        if ceiling < 0:
            raise SettingsError(f"JIRA_CONCURRENCY_MAX must be 0 (no limit) or more, got {ceiling}")
        if floor < 1 or (ceiling and floor > ceiling):
            raise SettingsError(f"JIRA_CONCURRENCY_MIN must be at least 1 and at most JIRA_CONCURRENCY_MAX "
                                f"({ceiling}), got {floor}")
        return cls(ceiling=ceiling, floor=floor,
                   slot_wait=_number(env, "JIRA_SLOT_WAIT_SECONDS", d.slot_wait, 0))


@dataclass(frozen=True)
class Settings:
    redis_url: str
    webhook_secret: str = field(default="", repr=False)
    allow_unsigned_webhooks: bool = False
    webhook_max_bytes: int = 1024 * 1024
    webhook_max_age_seconds: int = 3600  # 0: no limit
    dedupe_ttl_seconds: int = 48 * 3600
    delivery_ttl_seconds: int = 24 * 3600
    visibility_timeout: int = 3600
    task_time_limit: int = 300
    jira: JiraSite | None = None
    admin_token: str = field(default="", repr=False)
    mapping_config: str = ""
    shadow_mode: bool = False
    # A request the triage cannot decide (a fact unreadable or unknown) is tried again this many
    # times, the first after this many seconds and each later one after twice as long as the
    # last (capped, docs/DESIGN.md decision 4), before it is marked for a person.
    undecided_retries: int = 3
    undecided_retry_seconds: int = 120
    var_dir: Path = Path("var")  # beat's schedule file is kept here too
    # Processes per worker node, by lane (`celery worker --queues`): the triage lane's and the time
    # lane's (worker/celery_app.py, when the command line gives no --concurrency).
    worker_concurrency: int = 2
    time_worker_concurrency: int = 2
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    liveness: LivenessSettings = field(default_factory=LivenessSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    jira_concurrency: JiraConcurrencySettings = field(default_factory=JiraConcurrencySettings)
    redis_sentinel: RedisSentinel | None = None
    redis_replica_acks: int = 0  # the intake answers 202 only once a delivery is on this many replicas

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        visibility = _int(env, "CELERY_VISIBILITY_TIMEOUT", 3600)
        # Time limits must stay under the visibility timeout, or a slow task is redelivered
        # while it still runs (Celery docs, "Redis caveats").
        time_limit = _int(env, "CELERY_TASK_TIME_LIMIT", min(300, max(1, visibility - 5)))
        if time_limit >= visibility:
            raise SettingsError(
                f"CELERY_TASK_TIME_LIMIT ({time_limit}) must be below CELERY_VISIBILITY_TIMEOUT ({visibility})"
            )
        return cls(
            redis_url=_redis_url(env),
            webhook_secret=env.get("WEBHOOK_SECRET", ""),
            allow_unsigned_webhooks=_flag(env, "ALLOW_UNSIGNED_WEBHOOKS"),
            webhook_max_bytes=_int(env, "WEBHOOK_MAX_BYTES", 1024 * 1024),
            webhook_max_age_seconds=max(0, _int(env, "WEBHOOK_MAX_AGE_SECONDS", 3600)),
            dedupe_ttl_seconds=max(24 * 3600, _int(env, "DEDUPE_TTL_SECONDS", 48 * 3600)),
            delivery_ttl_seconds=_int(env, "DELIVERY_TTL_SECONDS", 24 * 3600),
            visibility_timeout=visibility,
            task_time_limit=time_limit,
            jira=_jira_site(env),
            admin_token=env.get("ADMIN_TOKEN", ""),
            mapping_config=configured_mapping(env) or "",
            shadow_mode=_flag(env, "SHADOW_MODE"),
            undecided_retries=max(0, _int(env, "UNDECIDED_RETRIES", 3)),
            undecided_retry_seconds=max(1, _int(env, "UNDECIDED_RETRY_SECONDS", 120)),
            var_dir=var_dir(env),
            worker_concurrency=_positive(env, "WORKER_CONCURRENCY", 2),
            time_worker_concurrency=_positive(env, "TIME_WORKER_CONCURRENCY", 2),
            reminders=ReminderSettings.from_env(env),
            liveness=LivenessSettings.from_env(env),
            console=ConsoleSettings.from_env(env),
            jira_concurrency=JiraConcurrencySettings.from_env(env),
            redis_sentinel=_redis_sentinel(env),
            redis_replica_acks=max(0, _int(env, "REDIS_REPLICA_ACKS", 0)),
        )


def _jira_site(env: dict[str, str]) -> JiraSite | None:
    url = env.get("JIRA_URL", "").strip().rstrip("/")
    if not url:
        return None
    email = env.get("JIRA_EMAIL", "").strip()
    api_token = env.get("JIRA_API_TOKEN", "")
    pat = env.get("JIRA_PAT", "")
    deployment = env.get("JIRA_DEPLOYMENT", "").strip().lower()
    if not deployment:
        deployment = "datacenter" if pat and not api_token else "cloud"
    if deployment not in {"cloud", "datacenter"}:
        raise SettingsError(f"JIRA_DEPLOYMENT must be 'cloud' or 'datacenter', got {deployment!r}")
    if deployment == "cloud" and not (email and api_token):
        raise SettingsError("a Cloud site needs JIRA_EMAIL and JIRA_API_TOKEN")
    if deployment == "datacenter" and not pat:
        raise SettingsError("a Data Center site needs JIRA_PAT (a personal access token)")
    try:
        timeout = float(env.get("JIRA_TIMEOUT", "10"))
    except ValueError:
        raise SettingsError("JIRA_TIMEOUT must be a number of seconds") from None
    # The variables requests and curl use, read once per process rather than on every request.
    ca_bundle = env.get("REQUESTS_CA_BUNDLE", "").strip() or env.get("CURL_CA_BUNDLE", "").strip()
    return JiraSite(url=url, deployment=deployment, email=email, api_token=api_token,
                    personal_access_token=pat, timeout=timeout, ca_bundle=ca_bundle)
