"""Images: peak memory of processing the largest accepted images, upload-to-public time, serving.

    .venv/bin/python -m bench.media [--rounds 5] [--requests 5000] [--memory-only]

1. **Peak memory** (target ≤ 300 MB for any accepted image: the function has 512 MB): for each
   case (a 24-megapixel photo; the largest PNG, WebP and JPEG the default limits accept; the
   largest JPEG that cannot be decoded reduced) a fresh child process reads the file and
   processes it (:func:`cms.media.processing.process_image`); its ``VmHWM`` (peak resident
   memory, ``/proc/self/status``) is the figure. A child that only imports the module and reads
   the file gives the baseline, so the processing's own share is printed too. The files are
   made by children of their own (a parent's peak would carry over into the figures).
2. **Upload to visible** (target ≤ 1 s at seed size): a ~5 MB phone JPEG saved through the
   personal-info edit form of the whole app (httpx over ASGI, SQLite, the seed loaded), then
   ``/api/v1/personal-info`` read until it names the new image and its ``full`` variant
   fetched from ``/media``; the median of ``--rounds``.
3. **Serving from memory** (target ≥ 1.5×): ``GET /media/<id>/640.webp`` answered by the read
   path from its memory, against a bare FastAPI route returning the same bytes with the same
   headers, both called in-process as ASGI apps, interleaved rounds; requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import PIL
from PIL import Image

from bench.conditions import conditions

USERNAME, PASSWORD = "bench", "lantern orchard copper meadow quietly"
ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import sys
sys.path.insert(0, {root!r})
from cms.media.processing import process_image
data = open(sys.argv[1], "rb").read()
if sys.argv[2] == "process":
    image = process_image(data, max_bytes=len(data))
    assert max(image.width, image.height) == 2560, image.width
status = open("/proc/self/status").read()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
"""
_MAKE = """
import sys
sys.path.insert(0, {root!r})
from bench.media import make_case
open(sys.argv[1], "wb").write(make_case(sys.argv[2]))
"""
# name: (format, width, height): the largest of each kind the default limits accept.
CASES = {
    "24-megapixel photo": ("JPEG", 6000, 4000),
    "largest JPEG (50 MP, decoded at 1/2)": ("JPEG", 8660, 5773),
    "largest JPEG decoded whole (26 MP)": ("JPEG", 5119, 5119),
    "reported PNG (49 MP RGB)": ("PNG", 7000, 7000),
    "largest PNG (50 MP RGBA)": ("PNGA", 7071, 7071),
    "largest WebP (12 MP RGBA)": ("WEBP", 4000, 3000),
}


def photo(size: tuple[int, int], quality: int) -> bytes:
    """A photo-like JPEG: smooth colour with grain (about as big as a phone's, 12 MP ≈ 5 MB)."""
    grain = Image.effect_noise(size, 20).convert("L")
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    channels = (Image.blend(grain, red, 0.6), Image.blend(grain, green, 0.6), grain)
    image = Image.merge("RGB", channels)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    image.close()
    return buffer.getvalue()


def make_case(name: str) -> bytes:
    """The file of case ``name`` (see ``CASES``): a photo for JPEG, a gradient otherwise."""
    kind, width, height = CASES[name]
    if kind == "JPEG":
        return photo((width, height), 90)
    grey = Image.linear_gradient("L").resize((width, height))
    bands = [grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grey]
    image = Image.merge("RGB", bands) if kind == "PNG" else Image.merge("RGBA", [*bands, grey])
    buffer = io.BytesIO()
    image.save(buffer, "WEBP" if kind == "WEBP" else "PNG", quality=80)
    return buffer.getvalue()


def _peak_kib(path: Path, mode: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD.format(root=str(ROOT)), str(path), mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def peak_memory() -> None:
    """Part 1: each case's peak resident memory in a child process of its own."""
    print(f"peak memory (target <= 300 MB), Pillow {PIL.__version__}; {conditions()}")
    with tempfile.TemporaryDirectory() as directory:
        for name, (kind, width, height) in CASES.items():
            path = Path(directory) / "case"
            make = _MAKE.format(root=str(ROOT))
            subprocess.run([sys.executable, "-c", make, str(path), name], check=True)
            size = path.stat().st_size
            baseline = _peak_kib(path, "read")
            started = time.perf_counter()
            peak = _peak_kib(path, "process")
            elapsed = time.perf_counter() - started
            print(
                f"  {name}: {kind[:4]} {width} × {height}, {size / 1e6:.2f} MB file: peak RSS "
                f"{peak / 1024:.0f} MB (imports and file {baseline / 1024:.0f} MB, processing "
                f"+{(peak - baseline) / 1024:.0f} MB), {elapsed:.2f} s"
            )


async def upload_to_visible(rounds: int) -> tuple[Any, str, bytes]:
    """Part 2; returns the app, a variant's path and its bytes for part 3."""
    from cms.admin.accounts import create_admin
    from cms.content.publish import ensure_published
    from cms.content.seeding import SEED_DIR, seed_database
    from cms.content.session import make_sessionmaker
    from cms.core.config import Settings
    from cms.core.db import create_engine
    from cms.core.migrate import upgrade_async
    from cms.main import create_app

    database = Path(tempfile.mkdtemp()) / "bench.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{database}", environment="test")
    engine = create_engine(settings)
    await upgrade_async(engine)
    await ensure_published(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        await seed_database(session, SEED_DIR)
        await create_admin(session, USERNAME, PASSWORD)
    app = create_app(settings, engine)
    uploads = [photo((4000, 3000), 92 + n % 3) for n in range(rounds)]
    timings: list[float] = []
    path = ""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        login = await client.post("/admin/login", data={"username": USERNAME, "password": PASSWORD})
        assert login.status_code == 302, login.text[-2000:]
        info = (await client.get("/api/v1/personal-info")).json()
        form = {"name": info["name"], "image": "", "save": "Save"}
        for n, upload in enumerate(uploads):
            form["image_alt"] = f"Portrait {n}"
            started = time.perf_counter()
            saved = await client.post(
                "/admin/basics/edit/1",
                data=form,
                files={"image_upload": (f"IMG_{n}.jpg", upload, "image/jpeg")},
            )
            assert saved.status_code == 302, saved.text[-2000:]
            image = (await client.get("/api/v1/personal-info")).json()["image"]
            assert image["alt"] == f"Portrait {n}"
            full = await client.get(image["url"])
            assert full.status_code == 200
            timings.append(time.perf_counter() - started)
            path = image["url"].replace("full.webp", "640.webp")
        body = (await client.get(path)).content
    sizes = ", ".join(f"{len(upload) / 1e6:.1f}" for upload in uploads)
    print(
        f"upload to visible ({sizes} MB JPEGs, 4000 × 3000): median "
        f"{statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms; "
        "target <= 1000 ms"
    )
    return app, path, body


async def _call(app: Any, scope: dict[str, Any]) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }


async def serving(app: Any, path: str, body: bytes, requests: int) -> None:
    """Part 3: requests per second, read path from memory vs a bare FastAPI route."""
    from fastapi import FastAPI
    from fastapi.responses import Response

    bare = FastAPI()
    headers = {
        "etag": '"bench"',
        "cache-control": "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
    }

    @bare.get("/media/{media_id}/{variant}")
    async def variant(media_id: str, variant: str) -> Response:
        return Response(body, media_type="image/webp", headers=headers)

    contenders = {"read path": (app, _scope(path)), "bare FastAPI": (bare, _scope(path))}
    for target, scope in contenders.values():  # warm up: the read path loads the variant once
        assert await _call(target, scope) == 200
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(5):
        for name, (target, scope) in contenders.items():
            started = time.perf_counter()
            for _ in range(requests):
                await _call(target, scope)
            rates[name].append(requests / (time.perf_counter() - started))
    ours, theirs = (statistics.median(rates[name]) for name in contenders)
    print(
        f"serving a variant from memory: {ours:,.0f} req/s vs bare FastAPI {theirs:,.0f} req/s: "
        f"{ours / theirs:.2f}x; target >= 1.5x"
    )


async def main(rounds: int, requests: int) -> None:
    """Run the three parts and print their figures."""
    peak_memory()
    app, path, body = await upload_to_visible(rounds)
    try:
        await serving(app, path, body, requests)
    finally:
        await app.database.close()
        await app.state.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--memory-only", action="store_true", help="part 1 only")
    args = parser.parse_args()
    if args.memory_only:
        peak_memory()
    else:
        asyncio.run(main(args.rounds, args.requests))
