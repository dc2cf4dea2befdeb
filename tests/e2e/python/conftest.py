"""Fixtures shared by the end-to-end tests: the server, raw HTTP and nio clients.

By default one Usher server is started for the whole session on a temporary
data directory, which is deleted afterwards. With USHER_E2E_URL set the tests
use that server instead, and log in as USHER_E2E_ADMIN / USHER_E2E_ADMIN_PASSWORD.
"""

from __future__ import annotations

import os

import httpx
import pytest
from nio import AsyncClient, AsyncClientConfig

from support import Api, OwnedServer, Server, external_server


@pytest.fixture(scope="session")
def server():
    if os.environ.get("USHER_E2E_URL"):
        yield external_server()
        return

    owned = OwnedServer()
    try:
        started = owned.start()
    except BaseException:
        owned.stop()
        raise
    yield started

    log_tail = owned.process.log_tail()
    exit_code = owned.stop()
    assert exit_code == 0, (
        f"usher serve did not exit with code 0 within 15 s of SIGTERM "
        f"(exit code {exit_code}, None means it was killed). Log tail:\n{log_tail}"
    )


@pytest.fixture(autouse=True)
def _skip_outside_usher(request, server: Server):
    """Skip Usher-only tests when USHER_E2E_URL names another server, such as Synapse."""
    if request.node.get_closest_marker("usher_api") and not server.is_usher:
        pytest.skip(f"{server.base_url} does not serve the Usher API")
    if request.node.get_closest_marker("owned_server") and not server.owned:
        pytest.skip("starts its own server, so it does not run with USHER_E2E_URL")


@pytest.fixture(scope="session")
def admin_token(server: Server) -> str:
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": server.admin_user},
        "password": server.admin_password,
    }
    reply = httpx.post(f"{server.base_url}/_matrix/client/v3/login", json=body, timeout=30)
    assert reply.status_code == 200, f"admin login failed: {reply.status_code} {reply.text}"
    return reply.json()["access_token"]


@pytest.fixture
async def api(server: Server):
    client = Api(server)
    yield client
    await client.close()


@pytest.fixture
async def nio_client(server: Server):
    """Return a factory of matrix-nio clients, all closed after the test."""
    clients: list[AsyncClient] = []
    # No retries: a timeout or a 429 must show up as a failure, not hang the test.
    config = AsyncClientConfig(max_limit_exceeded=0, max_timeouts=0, request_timeout=30)

    def make(user: str = "", access_token: str | None = None, device_id: str | None = None) -> AsyncClient:
        client = AsyncClient(server.base_url, user, config=config)
        if access_token:
            client.restore_login(user, device_id or "", access_token)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def make_account(api: Api, admin_token: str):
    """Return a coroutine function that creates an active, logged-in account."""

    async def make(base_name: str):
        return await api.create_account(admin_token, base_name)

    return make
