"""Drives a Warden gateway with the official MCP Python SDK, as an agent would.

Usage: WARDEN_SVID=TOKEN agent.py URL MODE
  URL   the gateway's MCP endpoint, http://127.0.0.1:PORT/mcp
  MODE  the SDK's connect mode: "auto" (newest protocol the server offers)
        or "legacy" (the initialize handshake)
  TOKEN the agent's JWT-SVID, sent as a bearer token on every request

Asks for a task over the demo upstream's tools, then lists tools, calls one,
reads a resource and gets a prompt through the demo upstream, and prints what
it saw as one JSON object on stdout for the Rust test that runs this script
to check.
"""

import asyncio
import json
import os
import sys

from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def texts(blocks):
    return [block.text for block in blocks if getattr(block, "type", None) == "text"]


async def main(url: str, mode: str) -> None:
    headers = {"Authorization": f"Bearer {os.environ['WARDEN_SVID']}"}
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        task = await client.call_tool(
            "warden_request_task",
            {"goal": "exercise the gateway from Python", "tools": ["demo.*"]},
        )
        tools = await client.list_tools()
        echoed = await client.call_tool("demo.echo", {"text": "hello from python"})
        missing = await client.call_tool("demo.get_ticket", {"id": 999})
        resource = await client.read_resource("tickets://1")
        prompt = await client.get_prompt("demo.triage_ticket", {"id": "1"})

        report = {
            "protocol_version": str(client.protocol_version),
            "task_status": (task.structured_content or {}).get("status"),
            "tools": sorted(tool.name for tool in tools.tools),
            "echo": texts(echoed.content),
            "echo_is_error": bool(echoed.is_error),
            "missing_is_error": bool(missing.is_error),
            "resource": [getattr(item, "text", None) for item in resource.contents],
            "prompt": [
                message.content.text
                for message in prompt.messages
                if getattr(message.content, "type", None) == "text"
            ],
        }
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
