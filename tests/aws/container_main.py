"""A Lambda container in a fresh process: ``python container_main.py < actions.json``.

Imports ``lambda_handler`` the way the Lambda runtime does (configured by the environment),
then runs the actions from stdin in order on one thread and prints one JSON result per line.
Actions: ``{"event": {...}}`` invokes the handler; ``{"poll": {...}, "until": text, "timeout":
seconds}`` invokes it until the body holds ``text`` and says when (``time.time()``);
``{"call": "before_snapshot"}`` calls a module-level function; ``{"connections": "app-name",
"admin_url": "..."}`` counts the server connections with that ``application_name``.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any


def main() -> None:
    """Run the actions read from stdin."""
    here = Path(__file__).resolve().parent
    # Next to lambda_handler.pyc in an unpacked deployment zip, or in the repository's tests.
    root = here if (here / "lambda_handler.pyc").exists() else here.parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import lambda_handler

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        context = SimpleNamespace(
            function_name="portfolio-cms",
            memory_limit_in_mb=512,
            invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:cms",
            aws_request_id=str(uuid.uuid4()),
        )
        response: dict[str, Any] = lambda_handler.handler(event, context)
        return response

    for action in json.load(sys.stdin):
        result: dict[str, Any]
        if "event" in action:
            response = invoke(action["event"])
            result = {"status": response["statusCode"], "body": response.get("body", "")[:300]}
        elif "poll" in action:
            deadline = time.monotonic() + action["timeout"]
            while action["until"] not in invoke(action["poll"]).get("body", ""):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            result = {"seen_at": time.time(), "seen": time.monotonic() <= deadline}
        elif "call" in action:
            getattr(lambda_handler, action["call"])()
            result = {"called": action["call"]}
        else:
            import asyncpg

            async def count(
                name: str = action["connections"], admin_url: str = action["admin_url"]
            ) -> int:
                admin = await asyncpg.connect(admin_url)
                try:
                    return int(
                        await admin.fetchval(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                            name,
                        )
                    )
                finally:
                    await admin.close()

            result = {"connections": lambda_handler.loop.run_until_complete(count())}
        sys.stdout.write("RESULT " + json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
