"""Start an Usher server for the end-to-end tests and create accounts on it.

The tests either start the server binary themselves (the normal run) or use a
server that is already running, named by USHER_E2E_URL. The second mode exists
to check the Matrix-standard tests against the reference server, Synapse.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from nio import (
    AsyncClient,
    Event,
    JoinResponse,
    RoomCreateResponse,
    RoomInviteResponse,
    SyncResponse,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SERVER_NAME = "localhost"
DEFAULT_ADMIN = "opsadmin"
DEFAULT_ADMIN_PASSWORD = "Correct-Horse-42x"
# Password given to every account that a test makes for itself.
USER_PASSWORD = "Correct-Horse-42x"
URL_PATTERN = re.compile(r"http://127\.0\.0\.1:\d+")

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


@dataclass
class Server:
    """A running homeserver and the admin account the tests use on it."""

    base_url: str
    admin_user: str
    admin_password: str
    # True when the server exposes the Usher API (/_usher/v1).
    is_usher: bool
    # True when this process started the server, on a fresh data directory.
    owned: bool

    def user_id(self, username: str) -> str:
        return f"@{username}:{SERVER_NAME}"

    def unique_name(self, base: str) -> str:
        """Return `base` on a fresh server, `base` plus a random suffix otherwise.

        An external server keeps its accounts between runs, so fixed names
        would collide on the second run.
        """
        if self.owned:
            return base
        return f"{base}{secrets.randbelow(10**6):06d}"


@dataclass
class Account:
    """A logged-in account created for a test."""

    user_id: str
    username: str
    password: str
    access_token: str
    device_id: str


def find_binary() -> Path:
    configured = os.environ.get("USHER_BIN")
    binary = Path(configured) if configured else REPO_ROOT / "target" / "debug" / "usher"
    if not binary.is_file():
        raise FileNotFoundError(
            f"Usher binary not found at {binary}: build it with "
            "`cargo build -p usher` or set USHER_BIN to its path"
        )
    return binary


# Variables of this test harness. The server reads every USHER_* variable as configuration
# and rejects unknown keys, so they are removed from the server's environment.
HARNESS_VARIABLES = ("USHER_BIN", "USHER_SKIP_CARGO_TESTS")
HARNESS_PREFIX = "USHER_E2E_"


def server_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name not in HARNESS_VARIABLES and not name.startswith(HARNESS_PREFIX)
    }


def create_admin(binary: Path, data_dir: Path, username: str, password: str) -> None:
    """Create a server admin through the CLI, before the server starts."""
    command = [
        str(binary), "admin", "create", username,
        "--password", password, "--data-dir", str(data_dir),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env=server_environment()
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"`usher admin create {username}` failed with exit code {result.returncode}:\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )


class ServerProcess:
    """An `usher serve` child process on a loopback port that the OS picks."""

    def __init__(self, binary: Path, data_dir: Path, log_path: Path):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.base_url: str | None = None

    def start(self) -> str:
        """Start the server, wait until /versions returns 200, and return its base URL."""
        command = [
            str(self.binary), "serve",
            "--data-dir", str(self.data_dir),
            "--listen", "127.0.0.1:0",
            "--server-name", SERVER_NAME,
        ]
        with open(self.log_path, "wb") as log:
            # stdout and stderr share one file, so the URL is found in either.
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=server_environment(),
            )
        self.base_url = self._wait_for_url()
        self._wait_for_versions()
        return self.base_url

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            match = URL_PATTERN.search(self.log_path.read_text(errors="replace"))
            if match:
                return match.group(0)
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"usher serve exited with code {self.process.returncode} before "
                    f"logging its URL. Log tail:\n{self.log_tail()}"
                )
            time.sleep(0.05)
        raise TimeoutError(
            f"usher serve logged no URL matching {URL_PATTERN.pattern} within "
            f"{START_TIMEOUT_S} s. Log tail:\n{self.log_tail()}"
        )

    def _wait_for_versions(self) -> None:
        url = f"{self.base_url}/_matrix/client/versions"
        deadline = time.monotonic() + START_TIMEOUT_S
        last_error = "no request sent"
        while time.monotonic() < deadline:
            try:
                reply = httpx.get(url, timeout=2)
                if reply.status_code == 200:
                    return
                last_error = f"HTTP {reply.status_code}: {reply.text[:200]}"
            except httpx.TransportError as error:
                last_error = repr(error)
            time.sleep(0.1)
        raise TimeoutError(
            f"GET {url} did not return 200 within {START_TIMEOUT_S} s "
            f"(last: {last_error}). Log tail:\n{self.log_tail()}"
        )

    def stop(self) -> int | None:
        """Send SIGTERM, wait for a graceful exit and return the exit code.

        Returns None when the server ignored SIGTERM and had to be killed.
        """
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)
            return None


class OwnedServer:
    """A temporary data directory, its first admin and a server running on it."""

    def __init__(self, admin_user: str = DEFAULT_ADMIN, admin_password: str = DEFAULT_ADMIN_PASSWORD):
        self.admin_user = admin_user
        self.admin_password = admin_password
        self.binary = find_binary()
        self.root = Path(tempfile.mkdtemp(prefix="usher-e2e-"))
        self.data_dir = self.root / "data"
        self.data_dir.mkdir()
        log_dir = os.environ.get("USHER_E2E_LOG_DIR")
        if log_dir:
            Path(log_dir).mkdir(parents=True, exist_ok=True)
            log_path = Path(log_dir) / f"usher-python-{os.getpid()}-{secrets.token_hex(2)}.log"
        else:
            log_path = self.root / "server.log"
        self.process = ServerProcess(self.binary, self.data_dir, log_path)

    def start(self) -> Server:
        create_admin(self.binary, self.data_dir, self.admin_user, self.admin_password)
        base_url = self.process.start()
        return Server(base_url, self.admin_user, self.admin_password, is_usher=True, owned=True)

    def stop(self) -> int | None:
        try:
            return self.process.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def external_server() -> Server:
    """Describe the server named by USHER_E2E_URL, probing whether it speaks the Usher API."""
    base_url = os.environ["USHER_E2E_URL"].rstrip("/")
    # Usher rejects an unauthenticated request with 401; other servers do not know the path.
    probe = httpx.post(f"{base_url}/_usher/v1/registrations", json={}, timeout=10)
    return Server(
        base_url=base_url,
        admin_user=os.environ.get("USHER_E2E_ADMIN", DEFAULT_ADMIN),
        admin_password=os.environ.get("USHER_E2E_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD),
        is_usher=probe.status_code != 404,
        owned=False,
    )


class Api:
    """Raw HTTP calls to the server, for what matrix-nio does not cover."""

    def __init__(self, server: Server):
        self.server = server
        self.http = httpx.AsyncClient(base_url=server.base_url, timeout=30)

    async def close(self) -> None:
        await self.http.aclose()

    async def login(self, username: str, password: str) -> httpx.Response:
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": username},
            "password": password,
        }
        return await self.http.post("/_matrix/client/v3/login", json=body)

    async def register_sponsored(
        self, token: str, body: dict, headers: dict | None = None
    ) -> httpx.Response:
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        return await self.http.post("/_usher/v1/registrations", json=body, headers=all_headers)

    async def activate(self, username: str, initial_password: str, new_password: str) -> httpx.Response:
        body = {
            "username": username,
            "initial_password": initial_password,
            "new_password": new_password,
        }
        return await self.http.post("/_usher/v1/activate", json=body)

    async def admin_token(self) -> str:
        reply = await self.login(self.server.admin_user, self.server.admin_password)
        assert reply.status_code == 200, f"admin login failed: {reply.status_code} {reply.text}"
        return reply.json()["access_token"]

    async def create_account(self, admin_token: str, base_name: str) -> Account:
        """Create an active account with USER_PASSWORD and log it in.

        On Usher the admin sponsors the account and the test activates it; on
        another server the Synapse admin API creates it.
        """
        username = f"{base_name}{secrets.token_hex(3)}"
        if self.server.is_usher:
            initial = f"Initial-{secrets.token_hex(6)}"
            reply = await self.register_sponsored(
                admin_token, {"username": username, "password": initial}
            )
            assert reply.status_code == 201, f"registration of {username}: {reply.status_code} {reply.text}"
            reply = await self.activate(username, initial, USER_PASSWORD)
            assert reply.status_code == 200, f"activation of {username}: {reply.status_code} {reply.text}"
        else:
            reply = await self.http.put(
                f"/_synapse/admin/v2/users/{self.server.user_id(username)}",
                json={"password": USER_PASSWORD},
                headers={"Authorization": f"Bearer {admin_token}"},
            )
            assert reply.status_code in (200, 201), f"creation of {username}: {reply.status_code} {reply.text}"
            reply = await self.login(username, USER_PASSWORD)
            assert reply.status_code == 200, f"login of {username}: {reply.status_code} {reply.text}"
        body = reply.json()
        return Account(
            user_id=body["user_id"],
            username=username,
            password=USER_PASSWORD,
            access_token=body["access_token"],
            device_id=body["device_id"],
        )


async def sync_until(client: AsyncClient, room_id: str, predicate, within_s: float = 20.0) -> Event:
    """Long-poll /sync until an event in the timeline of `room_id` matches `predicate`.

    Returns the first matching event. Raises AssertionError when none arrives
    within `within_s` seconds.
    """
    deadline = time.monotonic() + within_s
    seen: list[str] = []
    while (remaining_s := deadline - time.monotonic()) > 0:
        reply = await client.sync(timeout=int(min(5.0, remaining_s) * 1000), since=client.next_batch)
        assert isinstance(reply, SyncResponse), f"sync failed: {reply}"
        room = reply.rooms.join.get(room_id)
        if room is None:
            continue
        for event in room.timeline.events:
            if predicate(event):
                return event
            seen.append(event.source.get("type", "?"))
    raise AssertionError(f"no matching event in {room_id} within {within_s} s; saw types {seen}")


async def create_shared_room(owner: AsyncClient, guest: AsyncClient, name: str) -> str:
    """Create a room as `owner`, invite `guest`, join it as `guest`, and return its id."""
    created = await owner.room_create(name=name)
    assert isinstance(created, RoomCreateResponse), f"room_create: {created}"
    invited = await owner.room_invite(created.room_id, guest.user_id)
    assert isinstance(invited, RoomInviteResponse), f"room_invite: {invited}"
    joined = await guest.join(created.room_id)
    assert isinstance(joined, JoinResponse), f"join: {joined}"
    return created.room_id
