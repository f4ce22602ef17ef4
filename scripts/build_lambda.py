"""Build the Lambda deployment zip: ``python scripts/build_lambda.py [--arch arm64|x86_64]``.

Runtime dependencies come as manylinux2014 wheels for the target (``--only-binary=:all:``),
so no wheel needs a newer glibc than Lambda has, and nothing is compiled for this machine.
The zip ships ``.pyc`` files compiled by the target's Python version with
``unchecked-hash`` invalidation: Lambda's code directory is read-only, and zip timestamps
(2-second resolution) would make timestamp-checked bytecode look stale, so without this
every cold start would recompile everything in memory. Left out: tests, dev tools, the CLI
(typer/rich, alembic: run those from your machine), botocore/boto3 (the runtime has them).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

__all__ = ["build", "main"]

ROOT = Path(__file__).resolve().parents[1]
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Not needed inside Lambda: the CLI and migrations run from a workstation or CI.
EXCLUDED_REQUIREMENTS = {"typer", "alembic"}
# Pulled in transitively by some packages but never imported by the app on Lambda.
EXCLUDED_TOP_LEVEL = {
    "boto3",
    "botocore",
    "s3transfer",
    "pip",
    "setuptools",
    "wheel",
    "_pytest",
    "pytest",
    "typer",
    "rich",
    "alembic",
    "mako",
    "pygments",
}
# Parts of packages the app never imports (checked by tests/lambda/test_package.py, which
# imports the handler from the zip and serves requests with it).
PRUNED_PATHS = [
    "sqlalchemy/testing",
    "sqlalchemy/dialects/mssql",
    "sqlalchemy/dialects/mysql",
    "sqlalchemy/dialects/oracle",
    "sqlalchemy/ext/mypy",
    "aws_lambda_powertools/event_handler",
    "aws_lambda_powertools/utilities/*",
]
KEPT_PATHS = {
    "aws_lambda_powertools/utilities/__init__.py",
    "aws_lambda_powertools/utilities/typing",
    "aws_lambda_powertools/utilities/jmespath_utils",
}
APP_PATHS = ["lambda_handler.py", "cms", "templates", "static"]


def _requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    keep = []
    for requirement in project["dependencies"]:
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()
        if name not in EXCLUDED_REQUIREMENTS:
            keep.append(requirement)
    return keep


def _find_python(version: str) -> str:
    """An interpreter of ``version`` (e.g. ``3.12``) to compile bytecode with."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    candidates = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")))
    candidates.append(shutil.which(f"python{version}") or "")
    for candidate in candidates:
        # pyenv shims exist for versions that are not active: check that it really runs.
        if candidate and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    raise SystemExit(
        f"No Python {version} found to compile .pyc files for the Lambda runtime; install one "
        f"(e.g. `pyenv install {version}`) or pass --python-version matching this interpreter."
    )


def _prune(target: Path) -> None:
    for name in EXCLUDED_TOP_LEVEL:
        for path in target.glob(name):
            shutil.rmtree(path, ignore_errors=True)
        for info in target.glob(f"{name}-*.dist-info"):
            shutil.rmtree(info, ignore_errors=True)
    for pattern in PRUNED_PATHS:
        for path in target.glob(pattern):
            if path.relative_to(target).as_posix() in KEPT_PATHS:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    for pattern in ("**/__pycache__", "**/tests", "**/*.pyi", "bin"):
        for path in target.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
    for path in target.glob("*.dist-info/RECORD"):
        path.unlink()  # lists hashes of files we pruned: a lie once pruned


def _copy_app(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.db", ".DS_Store")
    for relative in APP_PATHS:
        source = ROOT / relative
        if source.is_dir():
            shutil.copytree(source, target / relative, ignore=ignore, dirs_exist_ok=True)
        elif source.exists():
            shutil.copy2(source, target / relative)


def build(arch: str, python_version: str, output: Path, *, pyc: bool = True) -> Path:
    """Build the zip for ``arch`` and Python ``python_version`` at ``output``; return it."""
    if arch not in PLATFORMS:
        raise SystemExit(f"--arch must be one of {', '.join(PLATFORMS)}")
    with tempfile.TemporaryDirectory(prefix="cms-lambda-") as workdir:
        target = Path(workdir) / "package"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(target),
                "--platform",
                PLATFORMS[arch],
                "--implementation",
                "cp",
                "--python-version",
                python_version,
                "--only-binary=:all:",
                "--upgrade",
                *_requirements(),
            ],
            check=True,
        )
        _prune(target)
        _copy_app(target)
        if pyc:
            subprocess.run(
                [
                    _find_python(python_version),
                    "-m",
                    "compileall",
                    "-q",
                    "-j",
                    "0",
                    "--invalidation-mode",
                    "unchecked-hash",
                    str(target),
                ],
                check=True,
            )
        output.parent.mkdir(parents=True, exist_ok=True)
        output.unlink(missing_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(target.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(target).as_posix())
    return output


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build, and print the zip's size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64")
    parser.add_argument(
        "--python-version", default="3.12", help="Lambda runtime's Python (python3.12 → 3.12)"
    )
    parser.add_argument("--output", type=Path, help="default: dist/lambda-ARCH.zip")
    parser.add_argument("--no-pyc", action="store_true", help="skip bytecode (slower cold starts)")
    args = parser.parse_args(argv)
    output = args.output or ROOT / "dist" / f"lambda-{args.arch}.zip"
    build(args.arch, args.python_version, output, pyc=not args.no_pyc)
    with zipfile.ZipFile(output) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    size = output.stat().st_size
    print(
        f"{output}: {size / 1_000_000:.1f} MB zipped, {unpacked / 1_000_000:.1f} MB unpacked "
        f"({args.arch}, Python {args.python_version})"
    )


if __name__ == "__main__":
    main()
