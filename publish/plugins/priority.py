"""Pool pages give way to every other page: a flood of /-/pool requests never slows a row page down.

The server answers all requests on one event loop. A pool answer comes from a cache
in about a millisecond, but eight clients asking for pool pages in a loop keep the
loop busy with them, and a row page (a dozen awaits, each queued behind the pool
requests) took 100–150 ms. Here a pool request waits, before Datasette handles it,
while any other request is in flight (at most MAX_WAIT_S, so pool pages are never
starved): the other pages are answered as if the pool clients were not there.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from datasette import hookimpl

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

# Paths answered after the other pages (prefixes).
BULK_PATHS = ("/-/pool",)
POLL_S = 0.002
MAX_WAIT_S = 2.0


class Priority:
    """Counts the requests in flight that are not bulk."""

    def __init__(self) -> None:
        self.interactive = 0

    async def give_way(self) -> None:
        """Wait while an interactive request is in flight, at most MAX_WAIT_S."""
        waited = 0.0
        while self.interactive and waited < MAX_WAIT_S:
            await asyncio.sleep(POLL_S)
            waited += POLL_S


@hookimpl
def asgi_wrapper() -> Callable[[Asgi], Asgi]:
    def wrap(app: Asgi) -> Asgi:
        priority = Priority()

        async def prioritised(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
            elif str(scope.get("path", "")).startswith(BULK_PATHS):
                await priority.give_way()
                await app(scope, receive, send)
            else:
                priority.interactive += 1
                try:
                    await app(scope, receive, send)
                finally:
                    priority.interactive -= 1

        return prioritised

    return wrap
