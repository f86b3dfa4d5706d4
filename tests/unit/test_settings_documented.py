"""Every setting worker/settings.py reads is in the README's configuration table."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_read_in_settings_is_in_the_readme_configuration_table():
    source = (ROOT / "worker" / "settings.py").read_text()
    names = set(re.findall(r'(?:env\.get|_int|_number|_names|_flag|_port)\((?:env, )?"([A-Z][A-Z0-9_]+)"', source))
    assert {"REDIS_URL", "PSW_VAR_DIR", "EMBEDDED_REDIS_PORT", "WEBHOOK_SECRET"} <= names  # the pattern reads them
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration"):readme.index("## Admin tasks")]
    # TEST_REDIS_URL is the test suite's, described with `make test`, not a service setting.
    missing = sorted(n for n in names - {"TEST_REDIS_URL"} if f"`{n}`" not in table)
    assert not missing, f"read in worker/settings.py but not in README's configuration table: {missing}"
    assert "`TEST_REDIS_URL`" in readme
