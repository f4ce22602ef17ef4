"""Cold start and warm throughput of ``lambda_handler`` against a bare FastAPI + Mangum handler.

    .venv/bin/python bench/cold_start.py [--runs 9] [--database-url URL]

Cold start: a fresh interpreter imports the handler module and answers its first
``GET /api/v1/resume`` (HTTP API event), after the database was warmed once through the full app
(the document exists in ``documents``, as in a deployment that served it before, so
the fast path answers it); medians over ``--runs``, measured inside the child
(import + first response) and outside (process start to exit). Then an import-time breakdown
(``-X importtime``, cumulative per top-level package), which heavy packages the public path
imported, and warm ``GET /health`` invocations per second for both handlers.
Targets: cold start ≤ 1.6× the baseline; warm /health ≥ 0.9× the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["fastapi", "sqlalchemy", "sqlmodel", "sqladmin", "wtforms", "jinja2", "passlib", "jose"]

EVENT = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/api/v1/resume",
    "rawQueryString": "",
    "headers": {
        "host": "abc.execute-api.eu-west-1.amazonaws.com",
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "accept": "application/json",
    },
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "abc",
        "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
        "http": {
            "method": "GET",
            "path": "/api/v1/resume",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10",
            "userAgent": "bench",
        },
        "requestId": "bench",
        "routeKey": "$default",
        "stage": "$default",
    },
    "isBase64Encoded": False,
}

CHILD = """
import time
t0 = time.perf_counter()
import json, sys, types
sys.path[:0] = {paths!r}
module = __import__({module!r})
t1 = time.perf_counter()
context = types.SimpleNamespace(function_name="bench", memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:bench",
    aws_request_id="bench")
event = json.loads({event!r})
response = module.handler(event, context)
t2 = time.perf_counter()
heavy = [name for name in {heavy!r} if name in sys.modules]
sys.stderr.write("BENCH " + json.dumps({{"import": t1 - t0, "first": t2 - t0,
    "status": response["statusCode"], "heavy": heavy}}) + "\\n")
"""

WARM = """
import json, sys, time, types
sys.path[:0] = {paths!r}
module = __import__({module!r})
context = types.SimpleNamespace(function_name="bench", memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:bench",
    aws_request_id="bench")
event = json.loads({event!r})
event["rawPath"] = event["requestContext"]["http"]["path"] = {path!r}
for _ in range(50):
    module.handler(event, context)
started = time.perf_counter()
for _ in range({count}):
    assert module.handler(event, context)["statusCode"] == 200
rate = {count} / (time.perf_counter() - started)
sys.stderr.write("BENCH " + json.dumps({{"rps": rate}}) + "\\n")
"""


def _run(code: str, env: dict[str, str], *extra: str) -> tuple[dict[str, object], str, float]:
    started = time.perf_counter()
    # stdout (Powertools' log lines and EMF metrics) is discarded, as CloudWatch would take it.
    result = subprocess.run(
        [sys.executable, *extra, "-c", code],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    lines = [line for line in result.stderr.splitlines() if line.startswith("BENCH ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"child failed:\n{result.stderr[-3000:]}")
    return json.loads(lines[-1][6:]), result.stderr, wall


def _importtime(stderr: str, top: int = 15) -> list[tuple[str, float]]:
    """Self time per top-level package from ``-X importtime`` output, in ms."""
    totals: dict[str, float] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[12:].split("|"))
        package = name.split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(self_us) / 1000
    return sorted(totals.items(), key=lambda item: -item[1])[:top]


def _prepare_database(url: str | None) -> str:
    """A migrated database with the sample CV whose public documents were rendered once."""
    sys.path.insert(0, str(ROOT))
    import httpx

    from cms.content.seeding import SEED_DIR, seed_database
    from cms.content.session import make_sessionmaker
    from cms.core.config import Settings
    from cms.core.db import create_engine
    from cms.core.migrate import upgrade_async
    from cms.main import create_app

    if not url:
        path = Path(tempfile.mkdtemp(prefix="cms-bench-")) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"

    async def prepare() -> None:
        settings = Settings(database_url=url, environment="test")
        engine = create_engine(settings)
        await upgrade_async(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_database(session, SEED_DIR)
        # What a deployed API has: the documents the public reads hit, rendered once by the
        # full app (any instance) into documents, where the fast path reads them.
        transport = httpx.ASGITransport(app=create_app(settings, engine))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            response = await client.get(str(EVENT["rawPath"]))
            assert response.status_code == 200, response.text
        await engine.dispose()

    asyncio.run(prepare())
    return url


def main() -> None:
    """Run the benchmark and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--warm", type=int, default=2000, help="warm invocations to time")
    parser.add_argument(
        "--database-url", help="an empty or migrated database (default: a fresh SQLite file)"
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(DATABASE_URL=_prepare_database(args.database_url), ENVIRONMENT="test")
    event = json.dumps(EVENT)
    targets = {
        "baseline": ([str(ROOT / "bench")], "baseline_handler"),
        "cms": ([str(ROOT)], "lambda_handler"),
    }
    cold: dict[str, dict[str, list[float]]] = {}
    heavy: list[str] = []
    for run in range(args.runs):
        for name, (paths, module) in targets.items():  # interleaved: same machine state
            code = CHILD.format(paths=paths, module=module, event=event, heavy=HEAVY)
            result, _, wall = _run(code, env)
            assert result["status"] == 200, result
            samples = cold.setdefault(name, {"import": [], "first": [], "wall": []})
            samples["import"].append(float(result["import"]))  # type: ignore[arg-type]
            samples["first"].append(float(result["first"]))  # type: ignore[arg-type]
            samples["wall"].append(wall)
            if name == "cms" and run == 0:
                heavy = list(result["heavy"])  # type: ignore[call-overload]
    print(f"Cold start, median of {args.runs} fresh processes (ms):")
    print(f"{'':10} {'import':>8} {'first response':>15} {'process wall':>13}")
    medians = {n: {k: statistics.median(v) * 1000 for k, v in s.items()} for n, s in cold.items()}
    for name, values in medians.items():
        print(f"{name:10} {values['import']:8.0f} {values['first']:15.0f} {values['wall']:13.0f}")
    ratio = medians["cms"]["first"] / medians["baseline"]["first"]
    wall_ratio = medians["cms"]["wall"] / medians["baseline"]["wall"]
    print(
        f"ratio cms/baseline: first response {ratio:.2f}x, process wall {wall_ratio:.2f}x "
        f"(target <= 1.6x)"
    )
    print(f"heavy packages imported on the public cold path: {heavy or 'none'}")
    print(
        "(the store was warmed first: /api/v1/resume rendered once by the full app into "
        "documents, as in a deployment that has served it before)"
    )

    code = CHILD.format(paths=[str(ROOT)], module="lambda_handler", event=event, heavy=[])
    _, stderr, _ = _run(code, env, "-X", "importtime")
    print("\nImport time of lambda_handler by top-level package (self ms, one run):")
    for package, ms in _importtime(stderr):
        print(f"  {package:28} {ms:7.1f}")

    print()
    for path in ("/health", "/api/v1/resume"):
        rps = {}
        for name, (paths, module) in targets.items():
            code = WARM.format(paths=paths, module=module, event=event, count=args.warm, path=path)
            rps[name] = float(_run(code, env)[0]["rps"])  # type: ignore[arg-type]
        print(
            f"Warm GET {path} through the handler: cms {rps['cms']:.0f}/s, baseline "
            f"{rps['baseline']:.0f}/s, ratio {rps['cms'] / rps['baseline']:.2f}x "
            "(target >= 0.9x)"
        )
    print(
        "(/health checks the content version at most once per cache_version_check_interval, "
        "like the API; the baseline answers a constant.)"
    )


if __name__ == "__main__":
    main()
