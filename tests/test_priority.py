"""Pool pages give way to the other pages (publish/plugins/priority.py)."""

import asyncio
import time
from typing import Any

import pytest

from publish.plugins import priority


async def test_a_pool_request_waits_for_the_pages_in_flight() -> None:
    order: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        order.append(f"start {scope['path']}")
        await asyncio.sleep(0.05 if scope["path"] == "/evidence/responses/1" else 0)
        order.append(f"end {scope['path']}")

    wrapped = priority.asgi_wrapper()(app)
    row = asyncio.create_task(wrapped({"type": "http", "path": "/evidence/responses/1"}, None, None))
    await asyncio.sleep(0)
    await asyncio.gather(wrapped({"type": "http", "path": "/-/pool"}, None, None), row)
    assert order == ["start /evidence/responses/1", "end /evidence/responses/1", "start /-/pool", "end /-/pool"]


async def test_pages_other_than_pools_never_wait() -> None:
    order: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        order.append(scope["path"])
        await asyncio.sleep(0.02)

    wrapped = priority.asgi_wrapper()(app)
    await asyncio.gather(*(wrapped({"type": "http", "path": f"/evidence/t{i}"}, None, None) for i in range(3)))
    assert order == ["/evidence/t0", "/evidence/t1", "/evidence/t2"]


async def test_a_pool_request_is_never_starved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(priority, "MAX_WAIT_S", 0.05)
    busy = priority.Priority()
    busy.interactive = 1  # a page that never ends
    start = time.perf_counter()
    await busy.give_way()
    assert 0.04 <= time.perf_counter() - start < 1.0
