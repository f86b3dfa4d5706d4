"""docs/BENCHMARKS.md: each benchmark rewrites its own section and leaves the others alone."""
from __future__ import annotations

import os
import platform
import re
from datetime import date
from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"
HEADER = ("# Benchmarks\n\nEach section is written by its benchmark (`make bench` runs them all). "
          "Figures come from one run on the machine named in the section; compare rows within a "
          "section (same run, same machine), not absolute times across machines.\n")


def machine() -> str:
    return (f"{date.today().isoformat()}, {platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} cores, {platform.machine()}")


def write_section(title: str, body: str) -> None:
    text = PATH.read_text() if PATH.exists() else HEADER
    block = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + block
    PATH.parent.mkdir(parents=True, exist_ok=True)
    PATH.write_text(text)
