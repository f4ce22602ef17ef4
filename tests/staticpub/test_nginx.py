"""End to end: Debian's nginx serves the published folder with the README's snippet
(``examples/nginx/cms-static.conf``), and every document has the API's bytes and headers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Project
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.main import create_app
from tests.media.helpers import add_with_image, photo
from tests.servers import free_port, serving_app
from tests.staticpub.conftest import seed
from tests.staticpub.helpers import folder_copy

SNIPPET = Path(__file__).parents[2] / "examples" / "nginx" / "cms-static.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def nginx_binary() -> str:
    if not Path(NGINX).is_file():
        pytest.skip("Debian's nginx is not installed (`apt-get install nginx`; .ci/run does)")
    return NGINX


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {process.stderr and process.stderr.read()!r}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nginx did not start")


@pytest.fixture
def nginx(
    nginx_binary: str, folder_settings: Settings, publish_dir: Path, tmp_path: Path
) -> Iterator[str]:
    """nginx on the folder (the snippet as shipped), the app under uvicorn behind it."""
    with serving_app(create_app(folder_settings)) as app_url:
        port = free_port()
        server = (
            SNIPPET.read_text()
            .replace("/srv/cms-static", str(publish_dir))
            .replace("127.0.0.1:8000", app_url.removeprefix("http://"))
            .replace("listen 8080;", f"listen 127.0.0.1:{port};")
        )
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        (prefix / "nginx.conf").write_text(
            "daemon off;\nmaster_process off;\nerror_log stderr error;\npid nginx.pid;\n"
            "events { worker_connections 64; }\n"
            "http {\n  include /etc/nginx/mime.types;\n  access_log off;\n"
            f"  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
            f"  fastcgi_temp_path {prefix}/fcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n"
            f"  scgi_temp_path {prefix}/scgi;\n{server}\n}}\n"
        )
        process = subprocess.Popen(
            [nginx_binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
            stderr=subprocess.PIPE,
        )
        try:
            _wait_for(port, process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()


async def test_nginx_serves_every_document_as_the_api_answers(
    folder_engine: AsyncEngine,
    publish_dir: Path,
    nginx_binary: str,
    request: pytest.FixtureRequest,
    client: httpx.AsyncClient,
) -> None:
    await seed(folder_engine)
    async with make_sessionmaker(folder_engine)() as session:
        await add_with_image(session, Project(name="Lens", slug="lens"), photo())
    copy = folder_copy(publish_dir)
    base = request.getfixturevalue("nginx")
    async with httpx.AsyncClient(base_url=base) as web:
        for path in copy:
            static, api = await web.get(path), await client.get(path)
            assert static.status_code == 200, path
            assert "x-cache" not in static.headers, path  # from the folder, not the app
            assert static.content == api.content, path
            assert static.headers["content-type"] == api.headers["content-type"], path
            assert static.headers["cache-control"] == api.headers["cache-control"], path
        page = await web.get("/cv")
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert (await web.head("/api/v1/resume")).headers["content-length"] == str(
            len(copy["/api/v1/resume"][0])
        )

        # The rest goes to the app: filters, writes, the back office, what the copy lacks.
        filtered = await web.get("/api/v1/projects", params={"featured": "true"})
        assert filtered.headers["x-cache"] in {"HIT", "MISS"}
        assert filtered.content == (await client.get("/api/v1/projects?featured=true")).content
        for token in ({"Authorization": "Bearer not-ours"}, {"X-Api-Key": "not-ours"}):
            held = await web.get("/api/v1/resume", headers=token)  # the app decides
            assert "x-cache" in held.headers and held.content == copy["/api/v1/resume"][0]
        write = await web.put("/api/v1/resume", content=b"{}")
        assert write.status_code == 405 and "GET" in write.headers["allow"]
        assert (await web.get("/admin/", follow_redirects=False)).status_code in {302, 303}
        assert (await web.get("/health")).json()["status"] == "ok"
        assert (await web.get("/api/v1/nothing-here")).status_code == 404
        manifest = (await web.get("/manifest.json")).json()
        assert manifest["paths"]["/api/v1/resume"]["etag"] == copy["/api/v1/resume"][1]["etag"]
