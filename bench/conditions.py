"""The conditions a benchmark ran under, printed beside its figures.

Figures are compared again on other machines: the load, the CPUs, the interpreter and the
database say how far a figure can be trusted.
"""

from __future__ import annotations

import os
import platform
import sys

__all__ = ["conditions"]


def conditions(database_url: str = "") -> str:
    """One line: load average, CPUs, interpreter and database kind."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    database = database_url.split(":", 1)[0] or "none"
    return (
        f"conditions: load average {load} (1/5/15 min), {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {sys.version.split()[0]}, database {database}"
    )
