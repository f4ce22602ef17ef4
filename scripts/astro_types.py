"""Generate the Astro client's TypeScript types from the API, or check they have not drifted.

The OpenAPI document comes straight from ``create_full_app().openapi()``: no server and no
database are needed. ``openapi-typescript`` (a dev dependency of ``clients/astro``, so run
``npm ci`` there first) turns it into ``src/openapi.ts``; this script turns its component
schemas into the loaders' zod schemas, ``src/schemas.ts`` (``src/checks.ts`` proves at compile
time that both agree).

    python scripts/astro_types.py          # rewrite openapi.json, src/openapi.ts, src/schemas.ts
    python scripts/astro_types.py --check  # exit 1 with a diff when the committed files drifted
"""

from __future__ import annotations

import argparse
import difflib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["CLIENT_DIR", "generate", "main", "openapi_document", "zod_module"]

ROOT = Path(__file__).resolve().parent.parent
CLIENT_DIR = ROOT / "clients" / "astro"
SPEC_NAME = "openapi.json"
TYPES_NAME = "src/openapi.ts"
SCHEMAS_NAME = "src/schemas.ts"
API_PREFIX = "/api/v1/"
"""The client covers these paths; zod schemas are made for what they return (errors: types only)."""


def openapi_document() -> dict[str, Any]:
    """The public API's OpenAPI document, built in-process (the engine is never connected)."""
    sys.path.insert(0, str(ROOT))
    from cms.core.config import Settings
    from cms.main import create_full_app

    settings = Settings(
        environment="test", database_url="sqlite+aiosqlite:///:memory:", docs_enabled=True
    )
    return public_api(create_full_app(settings).openapi())


def public_api(document: dict[str, Any]) -> dict[str, Any]:
    """Only the public ``/api/v1`` paths, the schemas they use and the token schemes."""
    paths = {path: item for path, item in document["paths"].items() if path.startswith(API_PREFIX)}
    components = document.get("components", {})
    schemas = components.get("schemas", {})
    used: set[str] = set()
    pending = _dependencies(paths)
    while pending:
        name = pending.pop()
        if name not in used:
            used.add(name)
            pending |= _dependencies(schemas[name])
    return {
        **document,
        "paths": paths,
        "components": {
            "schemas": {name: schemas[name] for name in schemas if name in used},
            # The operations name them (a token is optional on reads, needed to write).
            "securitySchemes": components.get("securitySchemes", {}),
        },
    }


def _zod(schema: dict[str, Any]) -> str:
    """The zod expression for one JSON Schema node of the OpenAPI document."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"{name}Schema"
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        nullable = len(options) < len(schema["anyOf"])
        if len(options) == 1:
            inner = _zod(options[0])
        else:
            inner = f"z.union([{', '.join(_zod(option) for option in options)}])"
        return f"{inner}.nullable()" if nullable else inner
    kind = schema.get("type")
    if kind == "string":
        return "z.string()"
    if kind == "integer":
        return "z.number().int()"
    if kind == "number":
        return "z.number()"
    if kind == "boolean":
        return "z.boolean()"
    if kind == "array":
        return f"z.array({_zod(schema.get('items', {}))})"
    if kind == "object" and "properties" not in schema:
        return "z.record(z.string(), z.unknown())"
    if kind == "object":
        return _zod_object(schema)
    raise SystemExit(f"scripts/astro_types.py: no zod mapping for schema {schema!r}")


def _zod_object(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema["properties"].items():
        expression = _zod(prop)
        if name not in required:
            expression += ".optional()"
        fields.append(f"  {json.dumps(name)}: {expression},")
    body = "\n".join(fields)
    # Open documents (JSON Resume) keep unknown properties; the API's own models are closed.
    tail = ".passthrough()" if schema.get("additionalProperties") is True else ""
    return f"z.object({{\n{body}\n}}){tail}"


def _dependencies(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["$ref"].rsplit("/", 1)[-1]} if "$ref" in schema else set()
        return found.union(*(_dependencies(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_dependencies(value) for value in schema))
    return set()


def zod_module(document: dict[str, Any]) -> str:
    """TypeScript source of zod schemas for the API's response models (dependencies first)."""
    schemas = document["components"]["schemas"]
    roots = set().union(
        *(
            _dependencies(item["get"]["responses"]["200"])
            for path, item in document["paths"].items()
            if path.startswith(API_PREFIX) and "get" in item
        )
    )
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for dependency in sorted(_dependencies(schemas[name])):
            visit(dependency)
        ordered.append(name)

    for name in sorted(roots):
        visit(name)
    parts = [
        "/**\n * Generated by scripts/astro_types.py from the API's OpenAPI document.\n"
        " * Do not edit: run `python scripts/astro_types.py` after changing the API.\n */",
        'import { z } from "astro/zod";',
    ]
    for name in ordered:
        description = schemas[name].get("description", "").strip().splitlines()
        doc = f"/** {description[0]} */\n" if description else ""
        parts.append(f"{doc}export const {name}Schema = {_zod(schemas[name])};")
    return "\n\n".join(parts) + "\n"


def generate(out_dir: Path) -> tuple[Path, Path, Path]:
    """Write ``openapi.json``, ``openapi.ts`` and ``schemas.ts`` under ``out_dir``."""
    spec = out_dir / SPEC_NAME
    types = out_dir / TYPES_NAME
    zod = out_dir / SCHEMAS_NAME
    types.parent.mkdir(parents=True, exist_ok=True)
    document = openapi_document()
    spec.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    zod.write_text(zod_module(document), encoding="utf-8")
    cli = CLIENT_DIR / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
    node = shutil.which("node")
    if node is None or not cli.exists():
        raise SystemExit(
            f"openapi-typescript is not installed: run `npm ci` in {CLIENT_DIR} (needs Node.js)"
        )
    subprocess.run([node, str(cli), str(spec), "--output", str(types)], check=True, cwd=out_dir)
    return spec, types, zod


def _diff(committed: Path, fresh: Path) -> list[str]:
    old = committed.read_text(encoding="utf-8").splitlines() if committed.exists() else []
    new = fresh.read_text(encoding="utf-8").splitlines()
    return list(
        difflib.unified_diff(old, new, str(committed.relative_to(ROOT)), "generated", lineterm="")
    )


def main(argv: list[str] | None = None) -> int:
    """Regenerate the committed files, or with ``--check`` report whether they drifted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        names = (SPEC_NAME, TYPES_NAME, SCHEMAS_NAME)
        if not args.check:
            for name, path in zip(names, fresh, strict=True):
                shutil.copyfile(path, CLIENT_DIR / name)
            print(f"Wrote {', '.join(str(CLIENT_DIR / name) for name in names)}")
            return 0
        problems = [
            line
            for name, path in zip(names, fresh, strict=True)
            for line in _diff(CLIENT_DIR / name, path)
        ]
    if problems:
        print("\n".join(problems[:200]))
        print(
            "\nThe Astro client's types drifted from the API. Regenerate and commit them:\n"
            "  python scripts/astro_types.py && (cd clients/astro && npm run build)",
            file=sys.stderr,
        )
        return 1
    print("Astro client types match the API.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
