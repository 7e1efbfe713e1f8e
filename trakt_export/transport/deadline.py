"""`timeout_seconds` bounds each request in total (SPEC §4): connect, headers and the whole
body, so a body trickling in one byte at a time cannot hang a run.

httpx's own timeouts are per operation (each read may take that long); this layer, just above
the network, reads the whole body under one deadline and turns an overrun into an
`httpx.ReadTimeout`, which the retry layer treats like any timeout.
"""

from __future__ import annotations

import asyncio

import httpx


class DeadlineTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, seconds: float) -> None:
        self.inner = inner
        self.seconds = seconds

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response | None = None
        try:
            async with asyncio.timeout(self.seconds):
                response = await self.inner.handle_async_request(request)
                await response.aread()
        except TimeoutError:
            if response is not None:
                await response.aclose()
            raise httpx.ReadTimeout(
                f"no complete answer within {self.seconds:g} s (timeout_seconds)",
                request=request,
            ) from None
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
