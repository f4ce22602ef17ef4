"""The Astro integration, end to end: the npm package's own tests, the types drift check, a
real ``astro build`` of examples/astro-site against the product served by uvicorn, and the site's
preview pages rendered on request by its built Node server (live collections, drafts included).

The site is built with the current Astro major (its lock file) and with the previous one (a copy
of the site with that major's ``astro`` and ``@astrojs/node``): :data:`ASTRO_MAJORS`. Needs npm;
a Node.js new enough for the current Astro is taken from the npm registry when the machine's is
older (``scripts/astro_node.py``). Without npm these tests skip with a message, unless
``CMS_REQUIRE_ASTRO=1`` (CI), which turns a missing toolchain into a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cms.content import write
from cms.content.models import Basics, Project
from cms.content.seeding import SEED_DIR, SEED_FILE, seed_database
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.db import create_engine
from cms.core.migrate import upgrade
from cms.core.tokens import create_token, revoke_token
from cms.media.processing import process_image
from scripts.astro_node import node_bin, node_version
from tests.media.images import jpeg_photo, png_image

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "astro"
SITE = ROOT / "examples" / "astro-site"
REQUIRE = os.environ.get("CMS_REQUIRE_ASTRO") == "1"
NPM_CI = ["ci", "--prefer-offline", "--no-audit", "--no-fund"]
ACCESS_LINE = re.compile(r'"GET (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')
ASTRO_MAJORS = {
    "current": None,  # examples/astro-site as committed: astro 7 and @astrojs/node 11
    "previous": {"astro": "6.4.8", "@astrojs/node": "10.1.4"},
}
"""The Astro versions the site is built with (the client declares ``^5 || ^6 || ^7``)."""
LOCALES = "en,de"
"""The CMS's ``LOCALES`` in these tests: the site builds ``/`` and ``/de/``."""


@pytest.fixture(scope="module")
def npm() -> Iterator[str]:
    """npm, with a Node.js new enough for the current Astro first on PATH (for this module).

    A skip (a failure with CMS_REQUIRE_ASTRO=1) without npm or a usable Node.js.
    """
    folder = node_bin() if shutil.which("npm") else None
    if folder is None:
        message = (
            "npm and a Node.js >= 22.23.4 (or one from the npm registry) are needed: skipping "
            "the Astro tests (CMS_REQUIRE_ASTRO=1 makes this fail)"
        )
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
        version = ".".join(map(str, node_version(str(folder / "node")) or ()))
        print(f"Node.js {version} from {folder}")
        yield shutil.which("npm") or "npm"


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; fail the test with its output if it fails."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} failed in {cwd}:\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def client_package(npm: str) -> Path:
    """clients/astro installed from its lock file (``prepare`` builds dist/)."""
    run([npm, *NPM_CI], CLIENT)
    assert (CLIENT / "dist" / "index.js").exists()
    return CLIENT


@pytest.fixture(scope="module", params=list(ASTRO_MAJORS))
def site(
    request: pytest.FixtureRequest,
    npm: str,
    client_package: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """examples/astro-site installed with each Astro major of :data:`ASTRO_MAJORS`.

    The current one from the site's lock file (a copy of the freshly built client); the previous
    one in a copy of the site whose ``package.json`` names that major's packages.
    """
    versions = ASTRO_MAJORS[request.param]
    if versions is None:
        run([npm, *NPM_CI], SITE)
        folder = SITE
    else:
        folder = tmp_path_factory.mktemp(f"astro-{request.param}") / "site"
        shutil.copytree(
            SITE, folder, ignore=shutil.ignore_patterns("node_modules", "dist", ".astro")
        )
        (folder / "package-lock.json").unlink()
        manifest = json.loads((folder / "package.json").read_text())
        manifest["dependencies"] |= {**versions, "@portfolio-cms/astro": f"file:{CLIENT}"}
        (folder / "package.json").write_text(json.dumps(manifest, indent=2))
        run([npm, "install", "--no-audit", "--no-fund"], folder)
    installed = json.loads((folder / "node_modules" / "astro" / "package.json").read_text())
    print(f"Astro {installed['version']} ({request.param} major) in {folder}")
    return folder


def fresh_store(site: Path) -> None:
    """Forget the content layer's store (entries and ETags) of earlier builds."""
    shutil.rmtree(site / "node_modules" / ".astro", ignore_errors=True)


def test_client_package_tests_pass(client_package: Path) -> None:
    # dist/ was just built by `npm ci` (prepare): run the node:test suite on it directly.
    tests = sorted(str(path.relative_to(client_package)) for path in CLIENT.glob("test/*.test.mjs"))
    node = shutil.which("node") or "node"
    output = run([node, "--test", "--test-reporter=tap", *tests], client_package)
    assert re.search(r"^# fail 0$", output, re.MULTILINE), output[-2000:]
    assert re.search(r"^# pass [1-9]\d*$", output, re.MULTILINE)


def test_committed_types_match_the_api(client_package: Path) -> None:
    output = run([sys.executable, str(ROOT / "scripts" / "astro_types.py"), "--check"], ROOT)
    assert "Astro client types match the API." in output


# --- the end-to-end build --------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """The product under `cms serve` (uvicorn) in a subprocess, its access log in a file."""

    def __init__(self, database_url: str, log: Path, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._offset = 0
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ENVIRONMENT": "test",
            # Edits come from another process: check the content version on every request.
            "CACHE_VERSION_CHECK_INTERVAL": "0",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            "LOCALES": LOCALES,
            "PYTHONUNBUFFERED": "1",
        }
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            # `cms serve`, as a user would start it (the console script of this interpreter).
            [str(Path(sys.executable).with_name("cms")), "serve"]
            + ["--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    break
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the CMS did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def api_requests(self, *, every_locale: bool = False) -> Counter[tuple[str, int]]:
        """(path, status) of the API requests logged since the last call.

        Only the default locale's collections (no ``locale=``, not the list of locales) unless
        ``every_locale``.
        """
        text = self.log.read_text()
        new, self._offset = text[self._offset :], len(text)
        return Counter(
            (match["path"], int(match["status"]))
            for match in ACCESS_LINE.finditer(new)
            if match["path"].startswith("/api/")
            and (
                every_locale
                or ("locale=" not in match["path"] and match["path"] != "/api/v1/locales")
            )
        )

    def stop(self) -> None:
        """Stop uvicorn (it was started by this test only)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log_file.close()


PHOTO_ALT = "The owner at a desk"
SCREENSHOT_ALT = "The project's dashboard"


async def _prepare_database(database_url: str, public_url: str) -> None:
    """Seed, then make the seed's draft project featured: a leak would show on the page.

    The owner's photo and the first featured project's screenshot are uploads (WebP variants
    with their sizes), whose absolute URLs name ``public_url``.
    """
    settings = Settings(
        environment="test", locales=LOCALES, database_url=database_url, public_base_url=public_url
    )
    engine = create_engine(settings)
    photo = process_image(jpeg_photo((1200, 900)), name="me.jpg", max_bytes=10 << 20)
    shot = process_image(png_image((900, 500)), name="shot.png", max_bytes=10 << 20)
    featured = seed_facts()["featured"][0]["slug"]
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_database(session, SEED_DIR)
        async with make_sessionmaker(engine)() as session, session.begin():
            drafts = await session.scalars(select(Project).where(~Project.is_published))  # type: ignore[arg-type]
            for project in drafts:
                project.is_featured = True
            session.add_all(await write.new_images(session, [photo, shot]))
            basics = (await session.scalars(select(Basics))).one()
            basics.image_media_id, basics.image_alt = photo.id, PHOTO_ALT
            project = (await session.scalars(select(Project).where(Project.slug == featured))).one()
            project.image_media_id, project.image_alt = shot.id, SCREENSHOT_ALT
    finally:
        await engine.dispose()


async def _rename_project(server: Server, database_url: str, slug: str, name: str) -> None:
    """An owner's edit, through the product's own models (bumps the content version)."""
    # Documents are rendered by the write: with the server's URL for the images, as it serves them.
    settings = Settings(
        environment="test", locales=LOCALES, database_url=database_url, public_base_url=server.url
    )
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            project = await session.scalar(select(Project).where(Project.slug == slug))
            assert project is not None
            project.name = name
    finally:
        await engine.dispose()


@pytest.fixture
def seeded_server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    """The product on a fresh, migrated, seeded SQLite database."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'cms.db'}"
    upgrade(Settings(environment="test", locales=LOCALES, database_url=database_url))
    port = free_port()
    asyncio.run(_prepare_database(database_url, f"http://127.0.0.1:{port}"))
    server = Server(database_url, tmp_path / "access.log", port=port)
    try:
        yield server, database_url
    finally:
        server.stop()


def seed_facts() -> dict[str, Any]:
    """What the page must show (and must not) according to seed/resume.json."""
    document = json.loads((SEED_DIR / SEED_FILE).read_text(encoding="utf-8"))
    published = [p for p in document["projects"] if p.get("published", True)]
    featured = [p for p in published if p.get("featured")]
    drafts = [
        item.get("name")
        for section in ("work", "projects", "skills")
        for item in document[section]
        if item.get("published") is False
    ]
    return {
        "name": document["basics"]["name"],
        "company": next(w for w in document["work"] if w.get("published", True))["name"],
        "featured": featured,
        "not_featured": [p["name"] for p in published if not p.get("featured")],
        "technology": featured[0]["keywords"][0],
        "skill": next(s for s in document["skills"] if s.get("published", True))["name"],
        "drafts": drafts,
    }


def heading(text: str) -> str:
    """A project's heading in the page, as index.astro renders it."""
    return f"<h3>{text}</h3>"


def build(
    npm: str, site: Path, api_url: str, preview_token: str | None = None
) -> tuple[subprocess.CompletedProcess[str], str]:
    """``npm run build`` (astro build) of the site at ``site``; returns the process and the page."""
    env = {k: v for k, v in os.environ.items() if k != "CMS_PREVIEW_TOKEN"}
    env |= {"CMS_API_URL": api_url, "ASTRO_TELEMETRY_DISABLED": "1"}
    if preview_token is not None:
        env["CMS_PREVIEW_TOKEN"] = preview_token
    done = subprocess.run(
        [npm, "run", "build"], cwd=site, env=env, capture_output=True, text=True, timeout=300
    )
    # With the Node adapter, prerendered pages go to dist/client/ and the server to dist/server/.
    page = site / "dist" / "client" / "index.html"
    text = html.unescape(page.read_text(encoding="utf-8")) if page.exists() else ""
    return done, text


def test_astro_build_end_to_end(npm: str, site: Path, seeded_server: tuple[Server, str]) -> None:
    server, database_url = seeded_server
    facts = seed_facts()
    assert facts["drafts"], "the seed should hold drafts for this test to mean something"
    fresh_store(site)

    # 1. First build: everything fetched (200), seeded content on the page, no draft.
    done, page = build(npm, site, server.url)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    for text in (facts["name"], facts["company"], facts["technology"], facts["skill"]):
        assert text in page, f"{text!r} missing from the built page"
    for project in facts["featured"]:
        assert heading(project["name"]) in page
    # The uploads through Astro's <Image>: optimised at build, with their width and height.
    for alt in (PHOTO_ALT, SCREENSHOT_ALT):
        (tag,) = re.findall(rf'<img[^>]*alt="{re.escape(alt)}"[^>]*>', page)
        assert 'src="/_astro/' in tag and re.search(r'width="\d+"', tag), tag
        assert re.search(r'height="\d+"', tag), tag
    for name in facts["not_featured"] + facts["drafts"]:
        assert name not in page, f"{name!r} must not be on the page"
    first = server.api_requests()
    assert {status for _, status in first} == {200}, first
    assert len(first) == 4  # personal info, experience, featured projects, skills

    # 2. The owner renames a featured project: the next build shows it. Only that answer
    #    changed; the other collections are revalidated with 304.
    slug, old_name = facts["featured"][0]["slug"], facts["featured"][0]["name"]
    new_name = f"{old_name} (renamed for the e2e test)"
    asyncio.run(_rename_project(server, database_url, slug, new_name))
    done, page = build(npm, site, server.url)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert heading(new_name) in page
    assert heading(old_name) not in page
    second = server.api_requests()
    assert second[("/api/v1/projects?featured=true", 200)] == 1, second
    assert sum(count for (_, status), count in second.items() if status == 304) == 3, second

    # 3. A build without changes: every collection answered 304, the page is the same.
    done, again = build(npm, site, server.url)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert again == page
    third = server.api_requests()
    assert {status for _, status in third} == {304} and sum(third.values()) == 4, third
    assert "304 Not Modified" in done.stdout

    # 4. The API unreachable: the build fails with a readable message, not an empty site.
    done, _ = build(npm, site, f"http://127.0.0.1:{free_port()}")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Portfolio CMS: cannot reach http://127.0.0.1:" in output
    assert "CMS_API_URL" in output


# --- the preview pages, rendered on request --------------------------------------------------


async def _read_drafts_token(database_url: str, name: str) -> str:
    """A new read-drafts token, as ``cms token create NAME --scope read-drafts`` prints it."""
    engine = create_engine(Settings(environment="test", locales=LOCALES, database_url=database_url))
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            _, token = await create_token(
                session, name=name, scope="read-drafts", expires_in_days=None, actor="owner"
            )
    finally:
        await engine.dispose()
    return token


async def _revoke_token(database_url: str, name: str) -> None:
    """The owner revokes a token."""
    engine = create_engine(Settings(environment="test", locales=LOCALES, database_url=database_url))
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await revoke_token(session, name=name, actor="owner")
    finally:
        await engine.dispose()


@contextlib.contextmanager
def serving_site(site: Path, api_url: str, token: str, log: Path) -> Iterator[str]:
    """The built site's own server (``node dist/server/entry.mjs``); yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    env |= {"CMS_API_URL": api_url, "CMS_PREVIEW_TOKEN": token}
    with log.open("w") as out:
        process = subprocess.Popen(
            [shutil.which("node") or "node", "dist/server/entry.mjs"],
            cwd=site,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    httpx.get(url, timeout=1)
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the site's server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def draft_project() -> dict[str, Any]:
    """The seed's first unpublished project (made featured by ``_prepare_database``)."""
    document = json.loads((SEED_DIR / SEED_FILE).read_text(encoding="utf-8"))
    project: dict[str, Any] = next(p for p in document["projects"] if p.get("published") is False)
    return project


def test_preview_pages_show_drafts_on_request(
    npm: str, site: Path, seeded_server: tuple[Server, str], tmp_path: Path
) -> None:
    server, database_url = seeded_server
    draft, published = draft_project(), seed_facts()["featured"][0]
    token = asyncio.run(_read_drafts_token(database_url, "site-preview"))
    fresh_store(site)

    # 1. The static build (no token) publishes no draft, even one marked featured.
    done, page = build(npm, site, server.url)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert heading(published["name"]) in page
    assert draft["name"] not in page
    server.api_requests()

    site_log = tmp_path / "site.log"
    with serving_site(site, server.url, token, site_log) as url:
        # 2. The preview pages read the API on request with the token: the draft is there, marked.
        preview = httpx.get(f"{url}/preview/", timeout=30)
        text = html.unescape(preview.text)
        assert preview.status_code == 200, text[-2000:]
        assert preview.headers["cache-control"] == "private, no-store"
        assert preview.headers["x-robots-tag"] == "noindex"
        assert f'<article class="project draft" id="project-{draft["slug"]}">' in text
        assert draft["name"] in text
        assert f'<article class="project" id="project-{published["slug"]}">' in text
        detail = httpx.get(f"{url}/preview/projects/{draft['slug']}", timeout=30)
        assert detail.status_code == 200
        assert f"<h1>{draft['name']}</h1>" in html.unescape(detail.text)
        assert httpx.get(f"{url}/preview/projects/no-such-project", timeout=30).status_code == 404

        # The same server still serves the prerendered home page, without drafts.
        home = httpx.get(url, timeout=30)
        assert home.status_code == 200 and draft["name"] not in html.unescape(home.text)

        # 3. An edit shows on the next request: no rebuild. (The admin's "Preview on the site"
        #    link ends with a slash: the same page.)
        renamed = f"{draft['name']} (edited for the preview test)"
        asyncio.run(_rename_project(server, database_url, draft["slug"], renamed))
        detail = httpx.get(f"{url}/preview/projects/{draft['slug']}/", timeout=30)
        assert f"<h1>{renamed}</h1>" in html.unescape(detail.text)

        # 4. A revoked token shows nothing more: the API refuses it and the page says so.
        asyncio.run(_revoke_token(database_url, "site-preview"))
        refused = httpx.get(f"{url}/preview/", timeout=30)
        assert refused.status_code == 502
        assert draft["name"] not in refused.text
        assert "answered 401" in html.unescape(refused.text)

    requests = server.api_requests()
    assert requests[(f"/api/v1/projects/{draft['slug']}", 200)] == 2, requests
    assert requests[("/api/v1/projects/no-such-project", 404)] == 1, requests
    assert requests[("/api/v1/personal-info", 401)] >= 1, requests

    # 5. A preview build: CMS_PREVIEW_TOKEN at build time puts drafts on the static pages.
    build_token = asyncio.run(_read_drafts_token(database_url, "preview-build"))
    done, page = build(npm, site, server.url, preview_token=build_token)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert heading(renamed) in page
    assert "(preview: drafts included)" in done.stdout
    assert {status for _, status in server.api_requests()} == {200}

    # The tokens are never logged, by the API, the site's server or the build.
    logs = server.log.read_text() + site_log.read_text() + done.stdout + done.stderr
    assert token not in logs and build_token not in logs


# --- one page per locale -----------------------------------------------------------------------


def test_site_builds_each_locale(npm: str, site: Path, seeded_server: tuple[Server, str]) -> None:
    """With ``LOCALES=en,de`` the site builds ``/`` and ``/de/``, each from its own collections.

    Needs the CMS's locales (``GET /api/v1/locales``, ``?locale=`` on every public GET).
    """
    server, _ = seeded_server
    fresh_store(site)

    done, page = build(npm, site, server.url)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    german = site / "dist" / "client" / "de" / "index.html"
    requests = server.api_requests(every_locale=True)
    assert requests[("/api/v1/locales", 200)] >= 1, requests
    assert german.exists(), "no /de/ page was built"
    text = html.unescape(german.read_text(encoding="utf-8"))
    assert '<html lang="en">' in page and '<html lang="de">' in text
    # Nothing is translated in the seed: every text falls back to the default locale's.
    assert seed_facts()["name"] in text
    for project in seed_facts()["featured"]:
        assert heading(project["name"]) in text
    for path in ("personal-info", "experience", "skills", "projects?featured=true&"):
        asked = f"/api/v1/{path}{'' if path.endswith('&') else '?'}locale=de"
        assert requests[(asked, 200)] == 1, (asked, requests)
