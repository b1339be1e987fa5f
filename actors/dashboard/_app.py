"""The dashboard's ASGI app (Starlette): the page, its event stream, a JSON
snapshot, the replay action, ``/metrics``, ``/alive`` and ``/ready``.

Handlers run on uvicorn's event loop; whatever blocks (reading statistics,
SQLite) runs on the actor system's pool through :func:`actors.arun_blocking`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

import prometheus_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import actors
from actors import metrics
from actors.dashboard._page import PAGE
from actors.dashboard._sources import FileSource, SystemSource

__all__ = ["create_app"]


def create_app(
    source: SystemSource | FileSource,
    pool: actors.ActorSystem,
    *,
    allow_actions: bool = False,
    interval: float = 1.0,
    stores: Sequence[Any] = (),
    stopping: threading.Event | None = None,
) -> Starlette:
    """The app for ``source``; ``pool`` is the system whose workers run the
    blocking reads (the observed system itself, or the dashboard's own).

    Args:
        allow_actions: enable the mutating actions (replay parked); off by
            default, refused with 403.
        interval: seconds between snapshots on the event stream.
        stopping: set when the server shuts down (ends open streams).
    """
    closing = stopping if stopping is not None else threading.Event()
    page = PAGE.replace("__ALLOW_ACTIONS__", "true" if allow_actions else "false")
    registry = (
        metrics.registry_for(source.system, stores) if isinstance(source, SystemSource) else None
    )

    async def snapshot(after: int) -> dict[str, Any]:
        result: dict[str, Any] = await actors.arun_blocking(source.snapshot, after, system=pool)
        result["allow_actions"] = allow_actions
        return result

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def api_snapshot(request: Request) -> JSONResponse:
        return JSONResponse(await snapshot(_after(request)))

    async def events(request: Request) -> StreamingResponse:
        after = _after(request)

        async def stream() -> AsyncIterator[str]:
            nonlocal after
            yield "retry: 2000\n\n"
            while not closing.is_set():
                snap = await snapshot(after)
                if snap["lifecycle"]:
                    after = snap["lifecycle"][-1]["seq"]
                yield f"event: snapshot\ndata: {json.dumps(snap, default=str)}\n\n"
                await asyncio.sleep(interval)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    async def replay(request: Request) -> JSONResponse:
        if not allow_actions:
            return JSONResponse(
                {"error": "actions are off: start the dashboard with --allow-actions"},
                status_code=403,
            )
        try:
            body = await request.json()
            store, stream, group = (str(body[key]) for key in ("store", "stream", "group"))
        except (ValueError, KeyError, TypeError):
            return JSONResponse(
                {"error": "give a JSON object with store, stream and group"}, status_code=400
            )
        try:
            count = await actors.arun_blocking(
                source.replay_parked, store, stream, group, system=pool
            )
        except PermissionError as exc:
            return JSONResponse({"error": str(exc)}, status_code=403)
        except (LookupError, actors.ActorError, Exception) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=404)
        return JSONResponse({"replayed": count})

    async def metrics_endpoint(request: Request) -> Response:
        if registry is None:
            return Response("no actor system attached (reading files)\n", status_code=404)
        body = await actors.arun_blocking(prometheus_client.generate_latest, registry, system=pool)
        return Response(body, media_type=prometheus_client.CONTENT_TYPE_LATEST)

    async def alive(request: Request) -> JSONResponse:
        ok = not closing.is_set() and pool.running
        return JSONResponse({"alive": ok}, status_code=200 if ok else 503)

    async def ready(request: Request) -> JSONResponse:
        if not isinstance(source, SystemSource):
            return JSONResponse({"ready": False, "checks": {"system": False}}, status_code=503)
        checks = await actors.arun_blocking(metrics.readiness, source.system, stores, system=pool)
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    return Starlette(
        routes=[
            Route("/", index),
            Route("/events", events),
            Route("/api/snapshot", api_snapshot),
            Route("/api/replay-parked", replay, methods=["POST"]),
            Route("/metrics", metrics_endpoint),
            Route("/alive", alive),
            Route("/ready", ready),
        ]
    )


def _after(request: Request) -> int:
    try:
        return max(0, int(request.query_params.get("after", "0")))
    except ValueError:
        return 0
