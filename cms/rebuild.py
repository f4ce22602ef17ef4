"""Rebuild: POST the site's build hooks after content changes.

Netlify, Vercel and Cloudflare Pages deploy hooks and GitHub ``repository_dispatch`` all take a
POST. Every hook gets the same small JSON body, the shape ``repository_dispatch`` requires (the
others ignore it): ``{"event_type": "cms-content-published", "client_payload": {...}}``.

Nothing here runs in the background of a request, because on Lambda nothing may run after the
response. Instead, three callers share one state row (:class:`cms.content.models.RebuildState`):

- :func:`rebuild_if_changed` — the scheduled check. It rebuilds when the content version moved
  past what every hook has accepted and the last edit is older than the debounce window, so a
  burst of edits triggers one build. Callers: an EventBridge schedule on Lambda, ``cms rebuild``
  from cron, and :func:`run_rebuild_poller` (a poll loop for a long-running uvicorn server).
- :func:`rebuild_now` — the admin's "Rebuild site" button: every hook, at once.
- :func:`rebuild_status` — what the admin shows.

A lease in the row (``locked_until``) lets one instance at a time call the hooks. Each POST is
retried with exponential backoff on network errors, 429 and 5xx; each hook's last accepted version
is kept, so a retry after a partial failure calls only the hooks that failed. Hook URLs carry
secrets: they are stored nowhere and shown only as host plus a short hash.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from cms.core.config import Settings
from cms.core.models import ContentVersion, RebuildState, as_utc, utcnow

if TYPE_CHECKING:  # imported by the POSTs: httpx stays off the app's start
    import httpx

__all__ = [
    "EVENT_TYPE",
    "HookResult",
    "RebuildResult",
    "RebuildStatus",
    "hook_key",
    "rebuild_if_changed",
    "rebuild_lifespan",
    "rebuild_now",
    "rebuild_status",
    "redact_hook_url",
    "run_rebuild_poller",
    "scheduled_rebuild",
]

EVENT_TYPE = "cms-content-published"
"""``event_type`` of the POST body; a GitHub workflow listens with ``repository_dispatch``.

Its value predates the word "rebuild" and stays: users' workflows match on it.
"""

Status = Literal["success", "partial", "failed", "skipped"]
Trigger = Literal["button", "schedule", "cli", "poller"]

logger = logging.getLogger(__name__)

_STATE_ID = 1
_GITHUB_DISPATCH = re.compile(r"/repos/[^/]+/[^/]+/dispatches/?$")


def hook_key(url: str) -> str:
    """A stable, non-secret key for one hook URL."""
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def redact_hook_url(url: str) -> str:
    """What a person may see of a hook URL: its host and a short hash (paths hold the secret)."""
    host = urlsplit(url).hostname or "invalid-url"
    return f"{host} #{hook_key(url)[:6]}"


@dataclass
class HookResult:
    """The outcome of POSTing one hook, retries included."""

    hook: str
    """The redacted hook (host and hash)."""
    ok: bool
    attempts: int
    status_code: int | None = None
    error: str | None = None
    elapsed_ms: int = 0


@dataclass
class RebuildResult:
    """What one rebuild did: which content version, which hooks, how it went."""

    status: Status
    reason: str
    content_version: int
    trigger: str
    hooks: list[HookResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every hook that was called accepted the POST (or nothing was due)."""
        return self.status in {"success", "skipped"}


@dataclass
class RebuildStatus:
    """The state the admin shows: what is rebuilt, what is pending, the last attempt."""

    content_version: int
    rebuilt_version: int
    """The newest content version every configured hook has accepted."""
    pending: bool
    last_status: str | None
    last_trigger: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_results: list[dict[str, Any]]


async def _content(session: AsyncSession) -> tuple[int, datetime | None]:
    row = (
        await session.execute(
            select(col(ContentVersion.version), col(ContentVersion.updated_at)).where(
                col(ContentVersion.id) == 1
            )
        )
    ).first()
    if row is None:
        return 0, None
    return row[0], as_utc(row[1])


async def _state(session: AsyncSession) -> RebuildState:
    state = await session.get(RebuildState, _STATE_ID, populate_existing=True)
    if state is not None:
        return state
    session.add(RebuildState(id=_STATE_ID))
    try:
        await session.commit()
    except IntegrityError:  # another instance created it first
        await session.rollback()
    state = await session.get(RebuildState, _STATE_ID, populate_existing=True)
    assert state is not None
    return state


def _lease_seconds(settings: Settings) -> float:
    tries = settings.build_hook_retries + 1
    backoff = settings.build_hook_retry_backoff * (2**settings.build_hook_retries - 1)
    return settings.build_hook_timeout * tries + backoff + 30.0


async def _acquire(session: AsyncSession, settings: Settings, now: datetime) -> bool:
    """Take the lease if no other instance holds it (one conditional UPDATE, then commit)."""
    result = await session.execute(
        update(RebuildState)
        .where(col(RebuildState.id) == _STATE_ID)
        .where(or_(col(RebuildState.locked_until).is_(None), col(RebuildState.locked_until) < now))
        .values(locked_until=now + timedelta(seconds=_lease_seconds(settings)))
        # The row is re-read with populate_existing; no in-Python evaluation (SQLite's
        # naive datetimes cannot be compared with aware ones).
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(getattr(result, "rowcount", 0))


def _headers(url: str, settings: Settings) -> dict[str, str]:
    headers = {"User-Agent": f"{settings.service_name}-rebuild"}
    # GitHub (and GitHub Enterprise, under /api/v3) repository_dispatch wants a token.
    if _GITHUB_DISPATCH.search(urlsplit(url).path):
        headers["Accept"] = "application/vnd.github+json"
        if settings.build_hook_github_token is not None:
            token = settings.build_hook_github_token.get_secret_value()
            headers["Authorization"] = f"Bearer {token}"
    return headers


async def _post(
    client: httpx.AsyncClient, url: str, payload: dict[str, Any], settings: Settings
) -> HookResult:
    """POST one hook, retrying network errors, 429 and 5xx with exponential backoff."""
    import httpx

    started = time.perf_counter()
    result = HookResult(hook=redact_hook_url(url), ok=False, attempts=0)
    for attempt in range(settings.build_hook_retries + 1):
        if attempt:
            await asyncio.sleep(settings.build_hook_retry_backoff * 2 ** (attempt - 1))
        result.attempts = attempt + 1
        try:
            response = await client.post(url, json=payload, headers=_headers(url, settings))
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            # A misconfigured URL: asking again cannot help. InvalidURL is no HTTPError, and
            # escaping here would abandon the other hooks' POSTs mid-gather.
            result.status_code, result.error = None, f"{type(exc).__name__} (not called)"
            break
        except httpx.HTTPError as exc:
            # The exception text can contain the URL (and so the secret): keep only its type.
            result.status_code, result.error = None, f"{type(exc).__name__} (no answer)"
            continue
        result.status_code = response.status_code
        if response.is_success:
            result.ok, result.error = True, None
            break
        result.error = f"HTTP {response.status_code}"
        if response.status_code != 429 and response.status_code < 500:
            break  # a wrong URL or token does not get better by asking again
    result.elapsed_ms = round((time.perf_counter() - started) * 1000)
    return result


async def _call_hooks(
    session: AsyncSession,
    settings: Settings,
    urls: Sequence[str],
    *,
    version: int,
    trigger: Trigger,
    now: datetime,
    only_due: bool,
) -> RebuildResult:
    if not await _acquire(session, settings, now):
        return RebuildResult("skipped", "another instance is rebuilding", version, trigger)
    state = await _state(session)
    if only_due:
        # Another instance may have rebuilt between our first look and the lease.
        accepted = state.hook_versions or {}
        urls = [url for url in urls if accepted.get(hook_key(url), -1) < version]
        if not urls:
            state.locked_until = None
            await session.commit()
            return RebuildResult(
                "skipped", f"content version {version} is already rebuilt", version, trigger
            )
    payload = {
        "event_type": EVENT_TYPE,
        "client_payload": {"content_version": version, "trigger": trigger},
    }
    import httpx

    try:
        async with httpx.AsyncClient(
            timeout=settings.build_hook_timeout, follow_redirects=False
        ) as client:
            hooks = list(await asyncio.gather(*(_post(client, u, payload, settings) for u in urls)))
    except BaseException:
        await session.rollback()
        state = await _state(session)
        state.locked_until = None
        await session.commit()
        raise
    state = await _state(session)
    accepted = dict(state.hook_versions or {})
    for url, hook in zip(urls, hooks, strict=True):
        if hook.ok:
            accepted[hook_key(url)] = max(version, accepted.get(hook_key(url), 0))
    configured = [hook_key(url) for url in settings.build_hook_urls]
    if all(accepted.get(key, -1) >= version for key in configured):
        state.rebuilt_version = max(state.rebuilt_version, version)
    succeeded = sum(hook.ok for hook in hooks)
    status: Status = (
        "success" if succeeded == len(hooks) else "failed" if succeeded == 0 else "partial"
    )
    finished = utcnow()
    state.hook_versions = accepted
    state.attempt_version = version
    state.last_attempt_at = finished
    if status == "success":
        state.last_success_at = finished
    state.last_status = status
    state.last_trigger = trigger
    state.last_results = [asdict(hook) for hook in hooks]
    state.locked_until = None  # released in the same commit that records the outcome
    await session.commit()
    reason = f"{succeeded} of {len(hooks)} build hook(s) accepted content version {version}"
    log = logger.info if status == "success" else logger.warning
    log("rebuild %s: %s (%s)", status, reason, "; ".join(_describe(hook) for hook in hooks))
    return RebuildResult(status, reason, version, trigger, hooks)


def _describe(hook: HookResult) -> str:
    outcome = "ok" if hook.ok else hook.error
    return f"{hook.hook}: {outcome} after {hook.attempts} attempt(s)"


async def rebuild_now(
    session: AsyncSession, settings: Settings, *, trigger: Trigger = "button"
) -> RebuildResult:
    """POST every build hook at once (the admin's "Rebuild site" button). Commits on ``session``."""
    version, _ = await _content(session)
    if not settings.build_hook_urls:
        return RebuildResult("skipped", "no build hooks are configured", version, trigger)
    await _state(session)
    return await _call_hooks(
        session,
        settings,
        settings.build_hook_urls,
        version=version,
        trigger=trigger,
        now=utcnow(),
        only_due=False,
    )


async def rebuild_if_changed(
    session: AsyncSession,
    settings: Settings,
    *,
    trigger: Trigger = "schedule",
    now: datetime | None = None,
) -> RebuildResult:
    """Rebuild if content changed since the hooks last accepted it and the edits have settled.

    Safe to call often and from many instances (a schedule, cron, a poll loop): it does nothing
    while the last edit is younger than ``build_hook_debounce_seconds``, after a failure within
    ``build_hook_failure_backoff_seconds``, or while another instance holds the lease.
    Commits on ``session``.
    """
    now = now or utcnow()
    version, changed_at = await _content(session)
    if not settings.build_hook_urls:
        return RebuildResult("skipped", "no build hooks are configured", version, trigger)
    state = await _state(session)
    accepted = state.hook_versions or {}
    due = [url for url in settings.build_hook_urls if accepted.get(hook_key(url), -1) < version]
    if version == 0 or not due:
        return RebuildResult(
            "skipped", f"content version {version} is already rebuilt", version, trigger
        )
    if changed_at is not None:
        quiet = (now - changed_at).total_seconds()
        if quiet < settings.build_hook_debounce_seconds:
            left = settings.build_hook_debounce_seconds - quiet
            return RebuildResult(
                "skipped", f"waiting for edits to settle ({left:.0f} s left)", version, trigger
            )
    last_attempt = as_utc(state.last_attempt_at)
    if (
        state.last_status in {"failed", "partial"}
        and state.attempt_version == version
        and last_attempt is not None
        and (now - last_attempt).total_seconds() < settings.build_hook_failure_backoff_seconds
    ):
        return RebuildResult(
            "skipped", "the last attempt failed; backing off before retrying", version, trigger
        )
    return await _call_hooks(
        session, settings, due, version=version, trigger=trigger, now=now, only_due=True
    )


async def rebuild_status(session: AsyncSession) -> RebuildStatus:
    """The rebuild state for display (read-only: nothing is written)."""
    version, _ = await _content(session)
    state = await session.get(RebuildState, _STATE_ID, populate_existing=True)
    rebuilt = state.rebuilt_version if state else 0
    return RebuildStatus(
        content_version=version,
        rebuilt_version=rebuilt,
        pending=version > rebuilt,
        last_status=state.last_status if state else None,
        last_trigger=state.last_trigger if state else None,
        last_attempt_at=as_utc(state.last_attempt_at) if state else None,
        last_success_at=as_utc(state.last_success_at) if state else None,
        last_results=list(state.last_results or []) if state else [],
    )


async def run_rebuild_poller(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
) -> None:
    """Call :func:`rebuild_if_changed` every ``build_hook_poll_seconds`` until ``stop`` is set.

    For long-running servers (uvicorn): start it from the app's lifespan. Never on Lambda,
    where Mangum runs without lifespan and a schedule calls the check instead.
    """
    interval = settings.build_hook_poll_seconds
    if interval <= 0 or not settings.build_hook_urls:
        return
    while not stop.is_set():
        try:
            async with sessionmaker() as session:
                await rebuild_if_changed(session, settings, trigger="poller")
        except Exception:  # a database hiccup must not end the loop
            logger.exception("scheduled rebuild check failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


async def scheduled_rebuild(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> dict[str, Any]:
    """One scheduled check (an EventBridge rule invoking the Lambda); JSON-ready result."""
    async with sessionmaker() as session:
        result = await rebuild_if_changed(session, settings, trigger="schedule")
    return {
        "status": result.status,
        "reason": result.reason,
        "content_version": result.content_version,
        "hooks": [asdict(hook) for hook in result.hooks],
    }


@asynccontextmanager
async def rebuild_lifespan(app: Any) -> AsyncIterator[None]:
    """Run :func:`run_rebuild_poller` beside a uvicorn-served app (state from ``create_app``)."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_rebuild_poller(app.state.sessionmaker, app.state.settings, stop))
    try:
        yield
    finally:
        stop.set()
        await task
