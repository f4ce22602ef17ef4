"""The deployment zip: built for the target, bytecode only, lean, and it serves requests."""

from __future__ import annotations

import asyncio
import importlib.util
import platform
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import babel
import pytest

from cms.content.publish import code_digest
from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from cms.core.models import AdminUser
from cms.core.security import hash_password
from tests.aws import lambda_helpers as helpers
from tests.databases import make_settings

ROOT = Path(__file__).resolve().parents[2]
ELF_MACHINES = {"x86_64": 0x3E, "arm64": 0xB7}  # e_machine: EM_X86_64, EM_AARCH64
HOST_ARCH = {"x86_64": "x86_64", "AMD64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine(), ""
)
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
PYC_MAGIC = {
    "312": (3531).to_bytes(2, "little") + b"\r\n",
    HOST_PYTHON.replace(".", ""): importlib.util.MAGIC_NUMBER,
}
"""The bytecode header of each interpreter the zips are built for."""
MAX_ARM64_MB = 19.2
"""A ceiling against regressions: the arm64 zip measured 18.9 MB, Babel's data for the default
``--locales`` (0.8 MB) included (the goal was 15)."""
LEFT_OUT = (
    # dev and test tools, the CLI, and what Lambda's Python runtime already has
    "tests/",
    "pytest/",
    "_pytest/",
    "moto/",
    "playwright/",
    "ruff/",
    "mypy/",
    "uvicorn/",
    "schemathesis/",
    "hypothesis/",
    "weasyprint/",
    "typer/",
    "rich/",
    "alembic/",
    "boto3/",
    "botocore/",
    "s3transfer/",
    "sqlalchemy/testing/",
    # parts no code path imports (scripts/build_lambda.py says why for each)
    "cffi/",
    "six.py",
    "sqlalchemy/ext/hybrid.pyc",
    "sqlalchemy/engine/_row_cy.cpython",
    "PIL/ImageMath.pyc",
    "anyio/_backends/_trio.pyc",
    # Babel's data of locales not asked for: regional variants ship only when named
    "babel/locale-data/en_GB.dat",
    "babel/locale-data/de_AT.dat",
)
PASSWORD = "a long owner passphrase for the zip"
IMAGES = """
import sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from cms.media.processing import process_image
from tests.media.images import jpeg_photo, png_image
for data in (jpeg_photo((1200, 900)), png_image((900, 500))):
    processed = process_image(data, name="upload", max_bytes=10 << 20)
    print(processed.width, len(processed.variants))
"""


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


def _sections(data: bytes) -> dict[str, int]:
    """Name → size in the file of each section of a 64-bit little-endian ELF file."""
    number = int.from_bytes
    offset, entry = number(data[0x28:0x30], "little"), number(data[0x3A:0x3C], "little")
    count, names_index = number(data[0x3C:0x3E], "little"), number(data[0x3E:0x40], "little")
    headers = [data[offset + i * entry : offset + (i + 1) * entry] for i in range(count)]
    table = headers[names_index]
    strings = data[number(table[0x18:0x20], "little") :][: number(table[0x20:0x28], "little")]
    return {
        strings[number(h[:4], "little") :].split(b"\0", 1)[0].decode(): (
            0 if number(h[4:8], "little") == 8 else number(h[0x20:0x28], "little")  # NOBITS
        )
        for h in headers
    }


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
        libraries = [n for n in names if n.endswith(".so") or ".so." in n]
        for name in libraries:  # no debug sections: half the zip otherwise
            sections = _sections(archive.read(name))  # (Pillow's are emptied, not removed)
            assert not [n for n, size in sections.items() if n.startswith(".debug") and size]
            assert not sections.get(".symtab"), name
        # Bytecode only, of the target's Python: no source beside it, no __pycache__.
        assert not [n for n in names if n.endswith(".py")]
        assert not [n for n in names if "__pycache__/" in n]
        compiled = [n for n in names if n.endswith(".pyc")]
        assert {archive.read(n)[:4] for n in compiled} == {PYC_MAGIC[version]}
        digest = archive.read("cms/content/rendering.digest").decode().strip()
        (pydantic,) = {n.split("/")[0] for n in names if n.startswith("pydantic-")}
    assert "lambda_handler.pyc" in names and "cms/main.pyc" in names
    assert any(n.startswith("templates/") for n in names)
    for left_out in LEFT_OUT:
        assert not any(n.startswith(left_out) for n in names), left_out
    # The rendering code's fingerprint is the sources' one: a release renders once, not per host.
    version_of_pydantic = pydantic.removeprefix("pydantic-").removesuffix(".dist-info")
    assert digest == code_digest(version_of_pydantic).hex()
    if which == "arm64":
        assert builds["arm64"].stat().st_size <= MAX_ARM64_MB * 1_000_000


@pytest.fixture
def owner(pooled_schema: str) -> str:
    """An owner account on the database the unpacked zip serves."""
    engine = create_engine(make_settings(pooled_schema))

    async def add() -> None:
        async with make_sessionmaker(engine)() as session, session.begin():
            session.add(
                AdminUser(username="owner", password_hash=hash_password(PASSWORD), is_active=True)
            )
        await engine.dispose()

    asyncio.run(add())
    return "owner"


def test_handler_serves_requests_from_the_unpacked_zip(
    builds: dict[str, Path], tmp_path: Path, pooled_schema: str, owner: str
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
        # The back office: SQLAdmin, its templates and statics, argon2 through cffi.
        {"event": helpers.make_event("http_api_v2_default", "GET", "/admin/login")},
        {"event": helpers.make_event("http_api_v2_default", "GET", "/admin/statics/css/main.css")},
        {
            "event": helpers.make_event(
                "http_api_v2_default",
                "POST",
                "/admin/login",
                body=urlencode({"username": owner, "password": PASSWORD}).encode(),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": "https://f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com",
                    "Sec-Fetch-Site": "same-origin",
                },
            )
        },
    ]
    driver = helpers.start_container(
        env, actions, script=task / "container_main.py", isolated=True, cwd=tmp_path
    )
    results = helpers.container_results(driver)
    assert [r["status"] for r in results] == [200, 200, 200, 200, 200, 302], results
    # An upload's processing (Pillow: JPEG and PNG in, WebP variants out) from the zip alone.
    images = subprocess.run(
        [sys.executable, "-I", "-S", "-c", IMAGES, str(task), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert images.returncode == 0, images.stderr[-3000:]
    assert [line.split()[0] for line in images.stdout.splitlines()] == ["1200", "900"]


def _build_module() -> Any:
    spec = importlib.util.spec_from_file_location("build_lambda", ROOT / "scripts/build_lambda.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_the_asked_locales_keep_their_locale_data(tmp_path: Path) -> None:
    # Babel's layout: one .dat per locale; a locale needs its parents' files up to root.
    shutil.copytree(Path(babel.__file__).parent, tmp_path / "babel")
    folder = tmp_path / "babel" / "locale-data"
    build = _build_module()
    build._prune_locales(tmp_path, ["de-AT", "en-GB", "pt"])
    kept = sorted(p.stem for p in folder.glob("*.dat"))
    # en-GB's parent is en-001 (CLDR's parent exceptions); en always ships (the app's fallback).
    assert kept == ["de", "de_AT", "en", "en_001", "en_GB", "pt", "root"]
    build._prune_locales(tmp_path, None)  # --locales all
    assert len(list(folder.glob("*.dat"))) == len(kept)
    with pytest.raises(SystemExit, match="no locale data for 'xx-YY'"):
        build._prune_locales(tmp_path, ["xx-YY"])
