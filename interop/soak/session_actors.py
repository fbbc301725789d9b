"""Sessions joining and leaving: a clean join + GOODBYE, a join then a TCP drop, a HELLO dropped
before WELCOME, and a half-sent HTTP upgrade dropped (each connection gone in well under a
second, so the router's handshake timeout never has to act)."""

from __future__ import annotations

import asyncio
import json

from soak_context import SoakContext
from wamp_peer import HELLO, ROLES, open_websocket

CHURN_PACE = 0.2


async def session_churner(ctx: SoakContext):
    for cycle in ctx.running():
        variant = cycle % 4
        if variant == 0:
            peer = await ctx.join("churn")
            await peer.leave()
        elif variant == 1:
            peer = await ctx.join("churn")
            ctx.drop(peer)
            await peer.wait_closed()
        elif variant == 2:
            ws = await open_websocket(ctx.url)
            await ws.send(json.dumps([HELLO, "realm1", {"roles": ROLES}]))
            ws.transport.abort()
            ctx.totals.drops += 1
        else:
            host, port = ctx.url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 10)
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
            await writer.drain()
            writer.transport.abort()
            ctx.totals.drops += 1
        await asyncio.sleep(CHURN_PACE)
