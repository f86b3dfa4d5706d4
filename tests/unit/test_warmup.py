"""The language model is loaded in the worker's parent process, and only for a config that uses it."""
from __future__ import annotations

from celery.signals import worker_init

from worker import warmup
from worker.config import default_config_path


def test_loaded_at_worker_init_when_the_config_has_a_language_rule(monkeypatch):
    calls = []
    monkeypatch.setattr(warmup, "identify", lambda text: calls.append(text))
    monkeypatch.setenv("MAPPING_CONFIG", str(default_config_path()))
    worker_init.send(sender=None)
    assert calls == ["warm up"]


def test_not_loaded_without_a_language_rule(monkeypatch, tmp_path):
    text = default_config_path().read_text()
    start = text.index("    # The summary and description identified by py3langid")
    end = text.index("# End of Life, Beta")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text[:start] + "\n" + text[end:])
    (tmp_path / "entitlements.yaml").write_text((default_config_path().parent / "entitlements.yaml").read_text())
    calls = []
    monkeypatch.setattr(warmup, "identify", lambda text: calls.append(text))
    monkeypatch.setenv("MAPPING_CONFIG", str(mapping))
    warmup.load_language_model()
    assert calls == []


def test_a_broken_config_is_left_to_the_live_config(monkeypatch, tmp_path):
    (tmp_path / "mapping.yaml").write_text("levels: [")
    monkeypatch.setattr(warmup, "identify", lambda text: (_ for _ in ()).throw(AssertionError("loaded")))
    monkeypatch.setenv("MAPPING_CONFIG", str(tmp_path / "mapping.yaml"))
    warmup.load_language_model()
