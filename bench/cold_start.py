"""Cold start and warm hits of ``lambda_handler`` against bare Starlette/FastAPI + Mangum.

    .venv/bin/python bench/cold_start.py [--runs 9] [--warm 3000] [--database-url URL]
                                         [--zip PATH | --source]

Cold start: a fresh interpreter imports the handler module and answers its first request (HTTP
API event) on a migrated, seeded database (responses stored by the seed's write, as in any
deployment); medians over ``--runs``, measured inside the child (import + first response).
What is imported is the deployment zip, unpacked, as Lambda runs it: built for this machine's
architecture and Python by ``scripts/build_lambda.py`` (or ``--zip PATH``, a zip built so),
and every child (the baselines too, whose Starlette, FastAPI and Mangum come from the same
folder) runs with ``-I -S``: nothing but that folder is importable. ``--source`` measures the
working tree instead (its ``.pyc`` files, with the virtualenv's packages).
Cases: ``/api/v1/resume``, ``/api/v1/skills?category=Backend``, ``/api/v1/projects/<slug>``, and
``/api/v1/resume`` right after an edit (a write through the admin's sessions before each run).
Baseline: a bare Starlette app behind Mangum answering the same path. Target: each ≤ 1.5×.
And the first ``/admin/login`` (the back office's login page, answered before the back office is
built: :mod:`cms.admin.loginpage`) against a bare FastAPI app behind Mangum answering that path
(target ≤ 2×); then, for the record, a first sign-in (a ``POST`` of a wrong password: the back
office is built for it, argon2 runs) against the same baseline.
Warm: invocations per second of a hit through the deployed handler (Powertools on) against a
bare FastAPI app behind Mangum sending the same bytes (target ≥ 1.8×), and the cost of Powertools
per request (the same read path behind Mangum alone; target ≤ 10 µs).
Then an import-time breakdown (``-X importtime``) and which heavy packages the public path imported.
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
sys.path.insert(0, str(ROOT))

from bench.conditions import conditions  # noqa: E402

HEAVY = [
    "fastapi",
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "pydantic_settings",
    "sqladmin",
    "wtforms",
    "jinja2",
    "passlib",
    "jose",
]
SLUG = "ledgerline"
CASES = {
    "resume": "/api/v1/resume",
    "skills?category": "/api/v1/skills?category=Backend",
    "project by slug": f"/api/v1/projects/{SLUG}",
    "resume after edit": "/api/v1/resume",
    "admin login": "/admin/login",
    "admin sign-in": "POST /admin/login",
}
ADMIN_CASES = {"admin login", "admin sign-in"}
"""Compared with a bare FastAPI app behind Mangum (the back office is the full app)."""
STATUS = {"admin sign-in": 400}
"""What the CMS answers where it is not 200: a wrong password is refused."""
FORM = "username=nobody{run}&password=not-the-password"
"""The sign-in's form: another account and address each run, so that the login throttle (a few
failures per address and per account) never answers instead."""

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
method, _, url = {target!r}.rpartition(" ")
path, _, query = url.partition("?")
event["rawPath"] = event["requestContext"]["http"]["path"] = path
event["rawQueryString"] = query
if method == "POST":
    event["requestContext"]["http"]["method"] = method
    event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    event["body"] = {form!r}
    event["requestContext"]["http"]["sourceIp"] = {source!r}
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
handlers = {{"handler": module.handler}}
if hasattr(module, "app") and hasattr(module.app, "cache"):  # the CMS: its read path, no Powertools
    from mangum import Mangum
    from cms.core.stage import StagePrefixMiddleware
    handlers["bare"] = Mangum(StagePrefixMiddleware(module.app), lifespan="off",
        custom_handlers=module.SCOPE_ONCE_HANDLERS)
rates = {{}}
for name, handle in handlers.items():
    for _ in range(200):
        assert handle(event, context)["statusCode"] == 200
rounds = {{}}
for _ in range(5):  # interleaved rounds, the median of each
    for name, handle in handlers.items():
        started = time.perf_counter()
        for _ in range({count}):
            handle(event, context)
        rounds.setdefault(name, []).append((time.perf_counter() - started) / {count})
median = {{name: sorted(values)[len(values) // 2] for name, values in rounds.items()}}
sys.stderr.write("BENCH " + json.dumps(median) + "\\n")
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
    """A migrated database with the sample CV; its documents were stored by the seed's write."""
    sys.path.insert(0, str(ROOT))
    from cms.content.publish import ensure_published
    from cms.content.seeding import SEED_DIR, seed_database
    from cms.content.session import make_sessionmaker
    from cms.core.config import Settings
    from cms.core.db import create_engine
    from cms.core.migrate import upgrade_async

    if not url:
        path = Path(tempfile.mkdtemp(prefix="cms-bench-")) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"

    async def prepare() -> None:
        engine = create_engine(Settings(database_url=url, environment="test"))
        await upgrade_async(engine)
        await ensure_published(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_database(session, SEED_DIR)
        await engine.dispose()

    asyncio.run(prepare())
    return url


def _edit(url: str, number: int) -> None:
    """What an admin save does: change one skill through the write rules' sessions."""
    from sqlalchemy import select

    from cms.content.models import Skill
    from cms.content.session import make_sessionmaker
    from cms.core.config import Settings
    from cms.core.db import create_engine

    async def edit() -> None:
        engine = create_engine(Settings(database_url=url, environment="test"))
        async with make_sessionmaker(engine)() as session, session.begin():
            skill = (await session.scalars(select(Skill).limit(1))).one()
            skill.keywords = [*skill.keywords[:2], f"edit {number}"]
        await engine.dispose()

    asyncio.run(edit())


def _document(url: str, path: str) -> Path:
    """The stored bytes of ``path`` in a file, for the baselines to send."""
    import sqlite3

    from cms.core.dburl import sqlite_path

    database = sqlite_path(url.replace("sqlite://", "sqlite+aiosqlite://", 1))
    assert database, "the warm comparison reads the document from a SQLite file"
    with sqlite3.connect(database) as connection:
        (body,) = connection.execute(
            "SELECT body FROM stored_responses WHERE path = ? ORDER BY version DESC LIMIT 1",
            (path,),
        ).fetchone()
    file = Path(tempfile.mkdtemp(prefix="cms-bench-")) / "body.json"
    file.write_bytes(body)
    return file


def _unpacked(zip_path: Path | None) -> Path:
    """The deployment zip for this machine, unpacked read-only into a temporary folder."""
    import platform
    import zipfile

    folder = Path(tempfile.mkdtemp(prefix="cms-bench-task-"))
    if zip_path is None:
        arch = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
        zip_path = folder.with_suffix(".zip")
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        command = [sys.executable, str(ROOT / "scripts" / "build_lambda.py"), "--arch", arch]
        command += ["--python-version", version, "--output", str(zip_path)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    for path in (folder, *folder.rglob("*")):  # Lambda's /var/task is read-only
        path.chmod(0o555 if path.is_dir() else 0o444)
    return folder


def main() -> None:
    """Run the benchmark and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--warm", type=int, default=3000, help="warm invocations per round")
    parser.add_argument(
        "--database-url", help="an empty or migrated database (default: a fresh SQLite file)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--zip", type=Path, help="a deployment zip built for this machine")
    where.add_argument("--source", action="store_true", help="the working tree, not the zip")
    args = parser.parse_args()
    # As deployed: the zip ships .pyc files (scripts/build_lambda.py), so compile them once here
    # and let the children use them, whatever PYTHONDONTWRITEBYTECODE says in this shell.
    compiled = [str(ROOT / "cms"), str(ROOT / "lambda_handler.py"), str(ROOT / "bench")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *compiled], check=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "POWERTOOLS_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    url = _prepare_database(args.database_url)
    env.update(DATABASE_URL=url, ENVIRONMENT="test")
    event = json.dumps(EVENT)
    baseline = ([str(ROOT / "bench")], "baseline_handler")
    cms = ([str(ROOT)], "lambda_handler")
    isolated: tuple[str, ...] = ()
    if not args.source:
        task = str(_unpacked(args.zip))
        baseline = ([str(ROOT / "bench"), task], "baseline_handler")
        cms = ([task], "lambda_handler")
        isolated = ("-I", "-S")
    print(f"imported from: {'the working tree' if args.source else 'the unpacked zip ' + task}")
    cold: dict[str, dict[str, list[float]]] = {}
    heavy: dict[str, list[str]] = {}
    edits = 0
    for run in range(args.runs):
        for case, target in CASES.items():  # interleaved: same machine state for both
            for name, (paths, module) in (("baseline", baseline), ("cms", cms)):
                if name == "cms" and case == "resume after edit":
                    edits += 1
                    _edit(url, edits)
                code = CHILD.format(
                    paths=paths,
                    module=module,
                    event=event,
                    heavy=HEAVY,
                    target=target,
                    form=FORM.format(run=run),
                    source=f"198.51.100.{run % 250 + 1}",
                )
                fastapi = name == "baseline" and case in ADMIN_CASES
                child_env = {**env, "BENCH_BASELINE": "fastapi"} if fastapi else env
                result, _, _ = _run(code, child_env, *isolated)
                expected = STATUS.get(case, 200) if name == "cms" else 200
                assert result["status"] == expected, (case, result)
                cold.setdefault(case, {}).setdefault(name, []).append(float(result["first"]))  # type: ignore[arg-type]
                if name == "cms":
                    heavy[case] = list(result["heavy"])  # type: ignore[call-overload]
    print(conditions(url))
    print(f"Cold start: fresh process, import + first response, median of {args.runs} (ms)")
    print(f"{'case':22} {'baseline':>15} {'cms':>8} {'ratio':>7}   heavy imports")
    for case, samples in cold.items():
        base, ours = (statistics.median(samples[n]) * 1000 for n in ("baseline", "cms"))
        kind = "FastAPI" if case in ADMIN_CASES else "Starlette"
        imported = ", ".join(heavy[case]) or "none"
        print(f"{case:22} {kind:>9} {base:5.1f} {ours:8.1f} {ours / base:6.2f}x   {imported}")
    print(
        "target: public paths <= 1.5x bare Starlette; admin login <= 2x bare FastAPI "
        "(admin sign-in: no target, the back office is built for it)"
    )

    body = _document(url, "/api/v1/resume")
    warm_env = {**env, "BENCH_BODY_FILE": str(body), "BENCH_BASELINE": "fastapi"}
    code = WARM.format(paths=baseline[0], module=baseline[1], event=event, count=args.warm)
    fastapi_seconds = float(_run(code, warm_env, *isolated)[0]["handler"])  # type: ignore[arg-type]
    code = WARM.format(paths=cms[0], module=cms[1], event=event, count=args.warm)
    ours = _run(code, env, *isolated)[0]
    handler_seconds = float(ours["handler"])  # type: ignore[arg-type]
    bare_seconds = float(ours["bare"])  # type: ignore[arg-type]
    print("\nWarm GET /api/v1/resume (a hit), median of 5 rounds of", args.warm, "invocations")
    print(f"  bare FastAPI + Mangum, same bytes   {fastapi_seconds * 1e6:7.1f} µs")
    print(f"  lambda_handler.handler (Powertools) {handler_seconds * 1e6:7.1f} µs")
    print(f"  the same read path, Mangum only     {bare_seconds * 1e6:7.1f} µs")
    print(
        f"  speed vs bare FastAPI: {fastapi_seconds / handler_seconds:.2f}x (target >= 1.8x); "
        f"Powertools: {(handler_seconds - bare_seconds) * 1e6:.1f} µs per request (target <= 10)"
    )

    code = CHILD.format(
        paths=cms[0],
        module=cms[1],
        event=event,
        heavy=[],
        target=CASES["resume"],
        form="",
        source="",
    )
    _, stderr, _ = _run(code, env, *isolated, "-X", "importtime")
    print("\nImport time of lambda_handler by top-level package (self ms, one run):")
    for package, ms in _importtime(stderr):
        print(f"  {package:28} {ms:7.1f}")


if __name__ == "__main__":
    main()
