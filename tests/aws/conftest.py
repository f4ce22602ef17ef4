"""Lambda fixtures: the session's container, handlers around fresh apps, a real PgBouncer.

Each test builds its own app and engine on the database under test; the session's ``engine``
fixture only creates the schema and empties the tables.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cms.core.config import Settings
from cms.main import create_app
from tests.aws.lambda_helpers import Invoker, LambdaContainer, PgBouncer, free_port
from tests.databases import POSTGRES_ADMIN_URL, REQUIRE_POSTGRES, make_settings

PGBOUNCER = os.environ.get("CMS_PGBOUNCER", "/usr/sbin/pgbouncer")


@pytest.fixture(scope="session")
def container() -> Iterator[LambdaContainer]:
    """The session's Lambda container."""
    container = LambdaContainer()
    yield container
    container.close()


@pytest.fixture
def lambda_settings(database_url: str) -> Settings:
    """Settings with a unique service name (= PostgreSQL application_name) per test.

    Every request checks the content version (interval 0), so every invocation, cached or
    not, uses a database connection: what these tests are about.
    """
    return make_settings(
        database_url,
        service_name=f"cms-lambda-{uuid.uuid4().hex[:8]}",
        cache_version_check_interval=0,
    )


@pytest.fixture
def invoke(container: LambdaContainer, lambda_settings: Settings, engine: Any) -> Iterator[Invoker]:
    """Invoke a fresh app (own engine, on the container loop) through the Lambda handler."""
    invoker = Invoker(container, create_app(lambda_settings))
    yield invoker
    container.run(invoker.app.state.engine.dispose())


@pytest.fixture(scope="session")
def pooled_schema(container: LambdaContainer, postgresql_url: str) -> str:
    """The PostgreSQL test database with the schema (created directly, not via a pooler)."""
    from sqlmodel import SQLModel

    from cms.core.db import create_engine

    engine = create_engine(make_settings(postgresql_url))

    async def create() -> None:
        async with engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        await engine.dispose()

    container.run(create())
    return postgresql_url


@pytest.fixture(scope="session")
def pgbouncer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgBouncer]:
    """A real PgBouncer in transaction mode in front of the test PostgreSQL."""
    if not (Path(PGBOUNCER).exists() or shutil.which("pgbouncer")):
        message = (
            f"pgbouncer not found at {PGBOUNCER}: `apt-get install pgbouncer` "
            "(or set CMS_PGBOUNCER) to run the pooler tests"
        )
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    upstream = urlsplit(POSTGRES_ADMIN_URL)
    user = upstream.username or "postgres"
    workdir = tmp_path_factory.mktemp("pgbouncer")
    workdir.chmod(0o755)  # pgbouncer drops root privileges and must still read its files
    port = free_port()
    auth = workdir / "users.txt"
    auth.write_text(f'"{user}" "{upstream.password or ""}"\n')
    ini = workdir / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"* = host={upstream.hostname or '127.0.0.1'} port={upstream.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {auth}\n"
        "pool_mode = transaction\nmax_client_conn = 200\ndefault_pool_size = 3\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    tls = ""
    if shutil.which("openssl"):  # TLS like Neon's pooler: lets sslmode=require URLs connect
        key, cert = workdir / "server.key", workdir / "server.crt"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        key.chmod(0o644)
        tls = (
            f"client_tls_sslmode = allow\nclient_tls_key_file = {key}\n"
            f"client_tls_cert_file = {cert}\n"
        )
    with ini.open("a") as config:
        config.write(tls)
    for path in (auth, ini):
        path.chmod(0o644)
    command = [shutil.which("pgbouncer") or PGBOUNCER, str(ini)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", user if user != "root" else "nobody"]
    log = (workdir / "pgbouncer.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail(f"pgbouncer did not start: {(workdir / 'pgbouncer.log').read_text()}")
            time.sleep(0.05)
    yield PgBouncer(port=port, user=user, tls=bool(tls))
    process.terminate()
    process.wait(timeout=10)
    log.close()
