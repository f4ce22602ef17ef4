"""The baseline for bench/cold_start.py: a bare FastAPI app behind Mangum."""

from __future__ import annotations

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/api/v1/resume")
async def resume() -> dict[str, str]:
    """A constant answer."""
    return {"hello": "world"}


@app.get("/health")
async def health() -> dict[str, str]:
    """A constant answer."""
    return {"status": "ok"}


handler = Mangum(app, lifespan="off")
