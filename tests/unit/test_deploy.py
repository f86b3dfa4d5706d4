"""deploy/: compose, Kubernetes manifests and alert rules are whole and agree with the code."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from worker.cli.health import HOSTNAMES
from worker.liveness import CHECKS
from worker.queues import QUEUE, QUEUES, TIME_QUEUE

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROCESSES = {"web", "worker", "worker-time", "beat", "flower"}
LANES = {"worker": QUEUE, "worker-time": TIME_QUEUE}  # which queue each worker process consumes


def manifests() -> list[dict]:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    docs = []
    for resource in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((DEPLOY / resource).read_text()) if d]
    return docs


def of_kind(kind: str) -> list[dict]:
    return [d for d in manifests() if d["kind"] == kind]


def app_routes() -> set[str]:
    from app import create_app
    from worker.settings import Settings

    app = create_app(Settings.from_env({"REDIS_URL": "redis://127.0.0.1:1/0", "WEBHOOK_SECRET": "x" * 32}))
    return {rule.rule for rule in app.url_map.iter_rules()}


def probe_targets(probe: dict) -> str:
    if "httpGet" in probe:
        return probe["httpGet"]["path"]
    if "exec" in probe:
        return " ".join(probe["exec"]["command"])
    return "tcp"


def test_every_process_has_a_deployment_with_probes_and_resource_requests():
    deployments = {d["metadata"]["labels"]["process"]: d for d in of_kind("Deployment")}
    assert set(deployments) == PROCESSES
    for name, deployment in deployments.items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            where = f"{name}/{container['name']}"
            assert {"livenessProbe", "readinessProbe"} <= set(container), where
            requests = container["resources"]["requests"]
            assert requests.get("cpu") and requests.get("memory"), where
            assert container["resources"]["limits"].get("memory"), where


def test_probes_point_at_what_exists():
    routes = app_routes()
    psw_health = re.compile(r"^psw health (worker|worker-time|beat|service)$")
    for deployment in of_kind("Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for key in ("startupProbe", "livenessProbe", "readinessProbe"):
                if key not in container:
                    continue
                target = probe_targets(container[key])
                if target.startswith("/"):
                    assert target in routes, (container["name"], target)
                elif target.startswith("psw "):
                    assert psw_health.match(target), target
                elif target.startswith("python -c"):
                    assert re.search(r"127\.0\.0\.1:8000(/\w+)", target).group(1) in routes, target


def test_workers_and_beat_are_probed_by_their_own_heartbeat():
    by_process = {d["metadata"]["labels"]["process"]: d for d in of_kind("Deployment")}
    for process in ("worker", "worker-time", "beat"):
        container = by_process[process]["spec"]["template"]["spec"]["containers"][0]
        assert probe_targets(container["livenessProbe"]) == f"psw health {process}"
    beat = by_process["beat"]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate"


def test_disruption_budgets_select_running_deployments():
    labels = [d["spec"]["template"]["metadata"]["labels"] for d in of_kind("Deployment")]
    budgets = of_kind("PodDisruptionBudget")
    assert {b["spec"]["selector"]["matchLabels"]["process"] for b in budgets} >= {"web", "worker"}
    for budget in budgets:
        selector = budget["spec"]["selector"]["matchLabels"]
        matched = [lab for lab in labels if selector.items() <= lab.items()]
        assert matched, budget["metadata"]["name"]
        replicas = next(d["spec"]["replicas"] for d in of_kind("Deployment")
                        if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items())
        assert budget["spec"]["minAvailable"] < replicas, "a budget that blocks every drain"


def test_gunicorn_is_reached_only_through_the_buffering_proxy():
    web = next(d for d in of_kind("Deployment") if d["metadata"]["labels"]["process"] == "web")
    containers = {c["name"]: c for c in web["spec"]["template"]["spec"]["containers"]}
    assert "--bind" not in containers["web"]["command"]  # app/gunicorn_conf.py binds loopback
    assert "ports" not in containers["web"]
    service = next(s for s in of_kind("Service") if s["metadata"]["name"] == "psw-web")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert containers["proxy"]["ports"][0]["name"] == "http"
    conf = (DEPLOY / "nginx.conf").read_text()
    for directive in ("client_header_timeout", "client_body_timeout", "proxy_request_buffering on"):
        assert directive in conf
    assert "$request_uri" not in conf and "$args" not in conf  # ?token= never logged


def test_compose_restarts_and_health_checks_every_process_and_hides_gunicorn_and_flower():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert PROCESSES | {"redis", "proxy"} == set(services)
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        assert service.get("healthcheck", {}).get("test"), name
    assert "ports" not in services["web"]
    assert services["proxy"]["ports"] == ["8000:8080"]
    assert all(port.startswith("127.0.0.1:") for port in services["flower"]["ports"])
    assert "FLOWER_BASIC_AUTH" in services["flower"]["environment"]
    for process in ("worker", "worker-time", "beat"):
        assert services[process]["healthcheck"]["test"] == ["CMD", "psw", "health", process]


def queues_of(command: list[str]) -> str:
    [flag] = [part for part in command if part.startswith("--queues=")]
    return flag.removeprefix("--queues=")


def test_each_lane_has_its_worker_in_the_procfile_compose_and_kubernetes():
    """The queue names of worker/queues.py, each consumed by its own worker process everywhere:
    a reminder firing never waits behind triage."""
    procfile = dict(line.split(": ", 1) for line in (DEPLOY.parent / "Procfile").read_text().splitlines() if line)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    deployments = {d["metadata"]["labels"]["process"]: d for d in of_kind("Deployment")}
    for process, queue in LANES.items():
        assert queues_of(procfile[process].split()) == queue, process
        assert queues_of(compose[process]["command"]) == queue, process
        [container] = deployments[process]["spec"]["template"]["spec"]["containers"]
        assert queues_of(container["command"]) == queue, process
        hostname = f"--hostname={HOSTNAMES[process]}@%h"  # the heartbeat `psw health` looks for
        for command in (procfile[process].split(), compose[process]["command"], container["command"]):
            assert hostname in command, process
    assert set(LANES.values()) == set(QUEUES)


@pytest.fixture(scope="module")
def alerts() -> list[dict]:
    rules = yaml.safe_load((DEPLOY / "alerts" / "psw.rules.yaml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_every_readiness_check_has_an_alert_with_a_runbook_line(alerts):
    alerted = {m.group(1) for rule in alerts for m in [re.search(r'check="(\w+)"', rule["expr"])] if m}
    assert alerted == set(CHECKS)
    for rule in alerts:
        assert rule["annotations"]["runbook"].strip(), rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]


def test_readme_explains_every_alert(alerts):
    readme = (DEPLOY.parent / "README.md").read_text()
    for rule in alerts:
        assert f"`{rule['alert']}`" in readme, rule["alert"]


def test_late_reminders_are_alerted_on_the_counter_the_firing_keeps(alerts):
    from worker.metrics import REMINDERS_LATE

    [rule] = [r for r in alerts if r["alert"] == "PSWRemindersLate"]
    assert f"{REMINDERS_LATE._name}_total" in rule["expr"]



def test_a_broken_config_is_alerted_on_the_gauge_the_web_exposes(alerts, client):
    # psw_config_errors is computed at scrape time and clears when a good file loads
    # (tests/component/test_metrics_meaning.py), so the alert resolves by itself.
    [rule] = [r for r in alerts if r["alert"] == "PSWConfigBroken"]
    assert "psw_config_errors" in rule["expr"] and "> 0" in rule["expr"]
    assert "\npsw_config_errors " in client.get("/metrics").get_data(as_text=True)
