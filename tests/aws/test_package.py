"""The deployment zip: built for the target, bytecode for the runtime, and it serves requests."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.aws import lambda_helpers as helpers

ROOT = Path(__file__).resolve().parents[2]
ELF_MACHINES = {"x86_64": 0x3E, "arm64": 0xB7}  # e_machine: EM_X86_64, EM_AARCH64
HOST_ARCH = {"x86_64": "x86_64", "AMD64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine(), ""
)
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _build(arch: str, python_version: str, output: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_lambda.py"),
            "--arch",
            arch,
            "--python-version",
            python_version,
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return output


def _elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF", "not an ELF file"
    byteorder = "little" if data[5] == 1 else "big"
    return int.from_bytes(data[18:20], byteorder)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The arm64 zip for Lambda's python3.12 and one for this machine and interpreter."""
    directory = tmp_path_factory.mktemp("dist")
    zips = {"arm64": _build("arm64", "3.12", directory / "arm64.zip")}
    if HOST_ARCH:
        zips["host"] = _build(HOST_ARCH, HOST_PYTHON, directory / "host.zip")
    yield zips


@pytest.mark.parametrize("which", ["arm64", "host"])
def test_every_extension_is_built_for_the_target(builds: dict[str, Path], which: str) -> None:
    if which not in builds:
        pytest.skip(f"no wheels for this machine's architecture ({platform.machine()})")
    arch = "arm64" if which == "arm64" else HOST_ARCH
    version = "312" if which == "arm64" else HOST_PYTHON.replace(".", "")
    with zipfile.ZipFile(builds[which]) as archive:
        names = archive.namelist()
        extensions = [n for n in names if n.endswith(".so")]
        assert len(extensions) >= 5, extensions
        for name in extensions:
            assert _elf_machine(archive.read(name)) == ELF_MACHINES[arch], name
            tag = name.rsplit("/", 1)[-1]
            assert ".abi3." in tag or f"cpython-{version}" in tag, name
    sources = [n for n in names if n.endswith(".py")]
    compiled = {n for n in names if n.endswith(f".cpython-{version}.pyc")}
    missing = []
    for source in sources:
        folder, _, filename = source.rpartition("/")
        pyc = f"{folder}/__pycache__/{filename[:-3]}.cpython-{version}.pyc".lstrip("/")
        if pyc not in compiled:
            missing.append(source)
    assert not missing, missing[:5]
    assert "lambda_handler.py" in names and "cms/main.py" in names
    assert any(n.startswith("templates/") for n in names)
    for left_out in ("tests/", "botocore/", "pytest/", "typer/", "alembic/", "sqlalchemy/testing/"):
        assert not any(n.startswith(left_out) for n in names), left_out


def test_handler_serves_requests_from_the_unpacked_zip(
    builds: dict[str, Path], tmp_path: Path, pooled_schema: str
) -> None:
    if "host" not in builds:
        pytest.skip(f"no wheels for this machine's architecture ({platform.machine()})")
    with zipfile.ZipFile(builds["host"]) as archive:
        archive.extractall(tmp_path / "task")
    task = tmp_path / "task"
    shutil.copy(helpers.CONTAINER_MAIN, task / "container_main.py")
    for path in (task, *task.rglob("*")):  # Lambda's /var/task is read-only
        path.chmod(0o555 if path.is_dir() else 0o444)
    env = helpers.container_env(DATABASE_URL=pooled_schema, ENVIRONMENT="test")
    actions = [
        {"event": helpers.make_event("http_api_v2_default", "GET", "/health")},
        {"event": helpers.make_event("rest_api_v1_stage", "GET", "/api/v1/resume")},
        {"event": helpers.make_event("function_url", "GET", "/docs")},
    ]
    driver = helpers.start_container(
        env, actions, script=task / "container_main.py", isolated=True, cwd=tmp_path
    )
    results = helpers.container_results(driver)
    assert [r["status"] for r in results] == [200, 200, 200], results
