"""Every setting is read in worker/settings.py and listed in the README's configuration table.

Three checks: each variable worker/settings.py reads (and each a Procfile line's shell reads) is
in the table; each field of each settings class changes when some variable of the table does
(so no field is set from an undocumented variable, or from none); and no other module of the
service reads the environment, save the few that build a child process's environment.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from worker import settings as settings_module
from worker.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
ACCESSORS = {"_int", "_number", "_names", "_flag", "_port", "_positive"}  # worker/settings.py's readers: (env, "NAME", ...)
NAME = re.compile(r"[A-Z][A-Z0-9_]+")


def readme_table() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("## Configuration"):readme.index("## Admin tasks")]


def documented() -> set[str]:
    """The variables the table's rows name (first column)."""
    rows = [line.split("|")[1] for line in readme_table().splitlines() if line.startswith("| `")]
    return {name for cell in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def read_in_settings() -> set[str]:
    """The names worker/settings.py reads: `env.get("NAME")`, `env["NAME"]`, `_int(env, "NAME", ...)`."""
    names = set()
    for node in ast.walk(ast.parse((ROOT / "worker" / "settings.py").read_text())):
        arg = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "env" and node.args:
            arg = node.args[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ACCESSORS:
            arg = node.args[1]
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "env":
            arg = node.slice
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and NAME.fullmatch(arg.value):
            names.add(arg.value)
    return names


def test_every_variable_read_in_settings_or_the_procfile_is_in_the_readme_configuration_table():
    names = read_in_settings()
    assert {"REDIS_URL", "PORT", "WEB_THREADS", "MAPPING_CONFIG", "REQUESTS_CA_BUNDLE"} <= names  # the walk finds them
    missing = sorted(names - documented())
    assert not missing, f"read in worker/settings.py but not in README's configuration table: {missing}"
    assert {"WORKER_CONCURRENCY", "TIME_WORKER_CONCURRENCY", "PSW_VAR_DIR"} <= names
    # The Procfile's lines read no setting of their own (the worker's lane concurrency and beat's
    # schedule file come from worker/settings.py through worker/celery_app.py).
    procfile = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", (ROOT / "Procfile").read_text()))
    assert not procfile, f"the Procfile reads {sorted(procfile)} itself: read it in worker/settings.py"
    # The test suite's Redis is described with `make test`, not among the service's settings.
    assert "`TEST_REDIS_URL`" in (ROOT / "README.md").read_text()


# Fields no variable sets, with the reason.
FIXED: dict[tuple[str, str], str] = {
    ("JiraConcurrencySettings", "decrease"): "the limit's factor on a 429, a constant of the algorithm",
}
# A valid environment every field exists in (a Jira site, Flower and the console behind proxies
# with what their other settings require), and values to try for each documented variable: each
# from_env refuses some (a port, a network, user:password), each it takes is compared.
BASE = {"JIRA_URL": "https://jira.example", "JIRA_EMAIL": "bot@example.com", "JIRA_API_TOKEN": "token",
        "JIRA_PAT": "pat", "FLOWER_BASIC_AUTH": "user:password", "TRUSTED_PROXIES": "10.0.0.0/8",
        "REDIS_SENTINELS": "sentinel:26379", "REDIS_SENTINEL_MASTER": "primary"}
TRIES = ("7", "70", "100000", "1", "datacenter", "other:secret", "other:7", "192.168.0.0/16", "redis://other:1/2")


def settings_classes() -> list[type]:
    return [c for c in vars(settings_module).values()
            if dataclasses.is_dataclass(c) and isinstance(c, type) and c.__module__ == settings_module.__name__]


def reader(cls):
    """How `cls` is read from an environment: its own from_env, or as a field of a class that has one."""
    if hasattr(cls, "from_env"):
        return cls.from_env
    for outer in settings_classes():
        for f in dataclasses.fields(outer) if hasattr(outer, "from_env") else ():
            if re.search(rf"\b{cls.__name__}\b", str(f.type)):
                return lambda env, outer=outer, name=f.name: getattr(outer.from_env(env), name)
    raise AssertionError(f"{cls.__name__} has no from_env and is no field of a class that has one")


def fields_moved_by(variable: str, read, base) -> set[str]:
    moved = set()
    for value in TRIES:
        try:
            changed = read({**BASE, variable: value})
        except SettingsError:
            continue
        moved |= {f.name for f in dataclasses.fields(base) if getattr(changed, f.name) != getattr(base, f.name)}
    return moved


def test_every_field_of_every_settings_class_is_set_by_a_variable_in_the_readme():
    classes = settings_classes()
    assert settings_module.RunSettings in classes and settings_module.JiraSite in classes
    variables = sorted(documented())
    unset = []
    for cls in classes:
        read = reader(cls)
        base = read(BASE)
        assert base is not None, f"{cls.__name__} is None in BASE: add to BASE what makes it exist"
        moved = set().union(*(fields_moved_by(v, read, base) for v in variables))
        unset += [f"{cls.__name__}.{f.name}" for f in dataclasses.fields(cls)
                  if f.name not in moved and (cls.__name__, f.name) not in FIXED]
    assert not unset, f"fields no variable in README's configuration table sets: {unset}"


# Where the service's own code handles the environment outside worker/settings.py, and why: each
# builds the environment of processes it starts (and reads settings through worker/settings.py).
CHILD_ENVIRONMENTS = {
    ("worker/cli/run.py", "command"): "the environment of the processes `psw run` starts",
    ("worker/cli/where.py", "command_env"): "a `psw` command's environment, a running `psw run`'s filled in",
    ("worker/cli/flower.py", "command"): "Flower's environment, before it replaces this process",
}
SERVICE = ("app", "worker", "jirasim")  # bench/ and tests/ set up the environments of what they start


def environment_uses(path: Path) -> list[tuple[str, int, str]]:
    """(enclosing function, line, what) for each use of os.environ, os.getenv or a click envvar."""
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            what = None
            if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name) and child.value.id == "os" \
                    and child.attr in {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}:
                what = f"os.{child.attr}"
            elif isinstance(child, ast.ImportFrom) and child.module == "os" and \
                    any(a.name in {"environ", "environb", "getenv", "getenvb"} for a in child.names):
                what = "from os import " + ", ".join(a.name for a in child.names)
            elif isinstance(child, ast.keyword) and child.arg in {"envvar", "auto_envvar_prefix"}:
                what = f"click's {child.arg}="
            if what:
                found.append((function, child.lineno if hasattr(child, "lineno") else node.lineno, what))
            visit(child, inner)

    visit(ast.parse(path.read_text(), str(path)), "<module>")
    return found


def test_no_module_but_settings_reads_the_environment():
    allowed_seen, stray = set(), []
    for package in SERVICE:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "worker/settings.py":
                continue
            for function, line, what in environment_uses(path):
                if (relative, function) in CHILD_ENVIRONMENTS:
                    allowed_seen.add((relative, function))
                else:
                    stray.append(f"{relative}:{line} ({function}): {what}")
    assert not stray, ("read settings through worker/settings.py (and list them in README's configuration "
                       f"table), not from the environment: {stray}")
    stale = sorted(set(CHILD_ENVIRONMENTS) - allowed_seen)
    assert not stale, f"allowed to build a child environment but no longer do: drop them: {stale}"


def test_the_walk_finds_each_kind_of_environment_use(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom os import getenv\n\n\ndef f():\n    return os.environ.get('A'), os.getenv('B')\n\n"
                      "@click.option('--x', envvar='X')\ndef g(x):\n    pass\n")
    assert [(fn, what) for fn, _, what in environment_uses(sample)] == [
        ("<module>", "from os import getenv"), ("f", "os.environ"), ("f", "os.getenv"), ("g", "click's envvar=")]


def test_a_worker_nodes_concurrency_comes_from_the_settings_of_its_lane_unless_its_command_gives_one():
    from types import SimpleNamespace

    from worker.celery_app import _lane_concurrency

    settings = Settings.from_env({"WORKER_CONCURRENCY": "5", "TIME_WORKER_CONCURRENCY": "3"})
    for queues, given, expected in ((["psw"], None, 5), ("psw-time", None, 3), ("psw,psw-time", None, 3),
                                    (None, None, 5), (["psw-time"], 7, None)):
        conf = SimpleNamespace(psw_settings=settings, worker_concurrency=None)
        _lane_concurrency(conf=conf, options={"queues": queues, "concurrency": given})
        assert conf.worker_concurrency == expected, (queues, given)
    for bad in ("0", "-1", "many"):
        with pytest.raises(SettingsError, match="WORKER_CONCURRENCY"):
            Settings.from_env({"WORKER_CONCURRENCY": bad})
