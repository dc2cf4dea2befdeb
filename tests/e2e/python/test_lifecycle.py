"""The server binary's command line: admin creation, start on port 0, stop on SIGTERM.

Each test starts its own server on its own temporary data directory.
"""

import subprocess

import httpx
import pytest

from support import OwnedServer, server_environment

pytestmark = pytest.mark.owned_server

ADMIN_PASSWORD = "Lifecycle-Check-58"


def login_status(base_url: str, username: str, password: str) -> int:
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": username},
        "password": password,
    }
    return httpx.post(f"{base_url}/_matrix/client/v3/login", json=body, timeout=30).status_code


def run_cli(owned: OwnedServer, *arguments: str) -> subprocess.CompletedProcess:
    command = [str(owned.binary), *arguments, "--data-dir", str(owned.data_dir)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env=server_environment()
    )


def test_serve_stops_on_sigterm():
    owned = OwnedServer(admin_user="opsadmin", admin_password=ADMIN_PASSWORD)
    try:
        server = owned.start()
        assert server.base_url.startswith("http://127.0.0.1:")
        assert not server.base_url.endswith(":0")
        assert login_status(server.base_url, "opsadmin", ADMIN_PASSWORD) == 200
    finally:
        exit_code = owned.stop()
    assert exit_code == 0, f"exit code after SIGTERM: {exit_code} (None: still running after 15 s, killed)"


def test_admin_create_generated_password():
    owned = OwnedServer(admin_user="opsadmin", admin_password=ADMIN_PASSWORD)
    try:
        server = owned.start()
        created = run_cli(owned, "admin", "create", "opsadmin2")
        assert created.returncode == 0, f"stdout: {created.stdout}\nstderr: {created.stderr}"

        # The output format is free, so try each word of stdout as the password.
        words = [word.strip("\"'`,;") for word in created.stdout.split()][:50]
        working = [word for word in words if login_status(server.base_url, "opsadmin2", word) == 200]
        assert working, f"no word of stdout logs in as opsadmin2; stdout: {created.stdout!r}"
    finally:
        owned.stop()


def test_admin_create_while_running():
    owned = OwnedServer(admin_user="opsadmin", admin_password=ADMIN_PASSWORD)
    try:
        server = owned.start()
        created = run_cli(owned, "admin", "create", "opsadmin3", "--password", "Running-Server-66")
        assert created.returncode == 0, f"stdout: {created.stdout}\nstderr: {created.stderr}"
        assert login_status(server.base_url, "opsadmin3", "Running-Server-66") == 200

        # The new admin may sponsor at once.
        token_reply = httpx.post(
            f"{server.base_url}/_matrix/client/v3/login",
            json={
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": "opsadmin3"},
                "password": "Running-Server-66",
            },
            timeout=30,
        )
        token = token_reply.json()["access_token"]
        registered = httpx.post(
            f"{server.base_url}/_usher/v1/registrations",
            json={"username": "liuneng01"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert registered.status_code == 201, registered.text
    finally:
        owned.stop()


def test_admin_create_rejects_weak_password():
    owned = OwnedServer(admin_user="opsadmin", admin_password=ADMIN_PASSWORD)
    try:
        created = run_cli(owned, "admin", "create", "opsadmin4", "--password", "12345678")
        assert created.returncode != 0, f"weak password accepted; stdout: {created.stdout}"
        assert "password" in (created.stdout + created.stderr).lower()
    finally:
        owned.stop()
