"""Sponsored registration and activation through the Usher API (/_usher/v1)."""

import re
import secrets
import time

import pytest
from nio import JoinedMembersResponse, RoomCreateResponse, SyncResponse

from support import USER_PASSWORD

pytestmark = pytest.mark.usher_api

CJK = re.compile(r"[\u4e00-\u9fff]")
USERNAME_RULE = re.compile(r"^[a-z][a-z0-9._=\-/]{6,31}$")
INITIAL_PASSWORD = "Trailhead-Start-31"
NEW_PASSWORD = "Private-Trail-2024"


def fresh_name(base: str) -> str:
    return f"{base}{secrets.token_hex(3)}"


def full_width(text: str) -> str:
    """Convert ASCII letters and digits to their full-width forms, as a Chinese IME types them."""
    return "".join(chr(ord(char) + 0xFEE0) if char.isascii() and char.isalnum() else char for char in text)


async def test_registration_reports_all_violations(api, admin_token):
    reply = await api.register_sponsored(admin_token, {"username": "1ab", "password": "12345678"})
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["errcode"] in ("M_INVALID_USERNAME", "M_WEAK_PASSWORD"), body
    assert isinstance(body["error"], str)

    rules = {violation["rule"] for violation in body["violations"]}
    for expected in ("username.too_short", "username.starts_with_digit", "password.all_digits"):
        assert expected in rules, f"{expected} missing from {sorted(rules)}"
    for violation in body["violations"]:
        assert violation["field"] in ("username", "password"), violation
        assert violation["rule"].startswith(violation["field"] + "."), violation
        assert isinstance(violation["message"], str)
        assert violation["message"]


async def test_registration_message_language(api, admin_token):
    body = {"username": "1ab", "password": "12345678"}

    chinese = await api.register_sponsored(admin_token, body, headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 400, chinese.text
    assert CJK.search(chinese.json()["error"]), f"error not in Chinese: {chinese.json()['error']!r}"
    for violation in chinese.json()["violations"]:
        assert CJK.search(violation["message"]), f"message not in Chinese: {violation}"

    english = await api.register_sponsored(admin_token, body, headers={"Accept-Language": "en-US"})
    assert english.status_code == 400, english.text
    assert not CJK.search(english.json()["error"]), f"error not in English: {english.json()['error']!r}"
    for violation in english.json()["violations"]:
        assert not CJK.search(violation["message"]), f"message not in English: {violation}"

    # The rule ids do not depend on the language.
    assert {v["rule"] for v in chinese.json()["violations"]} == {v["rule"] for v in english.json()["violations"]}


async def test_registration_normalizes_full_width(server, api, admin_token):
    username = server.unique_name("zhangsan02")
    typed = full_width(username)
    assert typed != username

    reply = await api.register_sponsored(admin_token, {"username": typed, "password": INITIAL_PASSWORD})
    assert reply.status_code == 201, reply.text
    assert reply.json()["username"] == username
    assert reply.json()["user_id"] == server.user_id(username)

    # Uniqueness holds on the normalized form, whatever the case.
    again = await api.register_sponsored(admin_token, {"username": username.upper(), "password": INITIAL_PASSWORD})
    assert again.status_code == 400, again.text
    assert again.json()["errcode"] == "M_USER_IN_USE"


async def test_registration_generates_credentials(server, api, admin_token):
    before_ms = int(time.time() * 1000)
    reply = await api.register_sponsored(admin_token, {})
    after_ms = int(time.time() * 1000)
    assert reply.status_code == 201, reply.text
    body = reply.json()

    assert USERNAME_RULE.match(body["username"]), f"generated name breaks the rules: {body['username']!r}"
    assert body["user_id"] == server.user_id(body["username"])
    assert isinstance(body["initial_password"], str)
    assert len(body["initial_password"]) >= 8
    assert body["must_change_password"] is True
    assert body["groups"] == []
    assert body["sponsor"] == server.user_id(server.admin_user)
    assert before_ms - 5_000 <= body["created_at"] <= after_ms + 5_000

    # The generated credentials activate the account.
    activated = await api.activate(body["username"], body["initial_password"], NEW_PASSWORD)
    assert activated.status_code == 200, activated.text


async def test_registration_given_password(api, admin_token):
    username = fresh_name("qianer")
    reply = await api.register_sponsored(admin_token, {"username": username, "password": INITIAL_PASSWORD})
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["username"] == username
    assert "initial_password" not in body or body["initial_password"] is None
    assert body["must_change_password"] is True


async def test_registration_duplicate_username(api, admin_token):
    username = fresh_name("qianer")
    first = await api.register_sponsored(admin_token, {"username": username, "password": INITIAL_PASSWORD})
    assert first.status_code == 201, first.text
    second = await api.register_sponsored(admin_token, {"username": username, "password": INITIAL_PASSWORD})
    assert second.status_code == 400, second.text
    assert second.json()["errcode"] == "M_USER_IN_USE"


async def test_activation_flow(server, api, admin_token):
    username = fresh_name("sunqi")
    reply = await api.register_sponsored(admin_token, {"username": username, "password": INITIAL_PASSWORD})
    assert reply.status_code == 201, reply.text

    pending = await api.login(username, INITIAL_PASSWORD)
    assert pending.status_code == 403, pending.text
    assert pending.json()["errcode"] == "M_FORBIDDEN"

    wrong = await api.activate(username, "Not-The-Initial-1", NEW_PASSWORD)
    assert wrong.status_code in (401, 403), wrong.text
    assert wrong.json()["errcode"] == "M_FORBIDDEN"

    weak = await api.activate(username, INITIAL_PASSWORD, "12345678")
    assert weak.status_code == 400, weak.text
    assert weak.json()["errcode"] == "M_WEAK_PASSWORD"
    assert "password.all_digits" in {violation["rule"] for violation in weak.json()["violations"]}

    activated = await api.activate(username, INITIAL_PASSWORD, NEW_PASSWORD)
    assert activated.status_code == 200, activated.text
    token = activated.json()["access_token"]
    whoami = await api.http.get("/_matrix/client/v3/account/whoami", headers={"Authorization": f"Bearer {token}"})
    assert whoami.status_code == 200, whoami.text
    assert whoami.json()["user_id"] == server.user_id(username)

    # The initial password is spent: neither login nor a second activation accepts it.
    old = await api.login(username, INITIAL_PASSWORD)
    assert old.status_code == 403, old.text
    assert old.json()["errcode"] == "M_FORBIDDEN"
    repeated = await api.activate(username, INITIAL_PASSWORD, "Another-Trail-2025")
    assert repeated.status_code != 200, repeated.text

    new = await api.login(username, NEW_PASSWORD)
    assert new.status_code == 200, new.text


async def test_registration_requires_token(api):
    reply = await api.http.post("/_usher/v1/registrations", json={"username": fresh_name("nobody")})
    assert reply.status_code == 401, reply.text
    assert reply.json()["errcode"] == "M_MISSING_TOKEN"


async def test_registration_bad_json(api, admin_token):
    typed = await api.register_sponsored(admin_token, {"username": 12345, "password": INITIAL_PASSWORD})
    assert typed.status_code == 400, typed.text
    assert typed.json()["errcode"] == "M_BAD_JSON"

    long_note = await api.register_sponsored(
        admin_token, {"username": fresh_name("qianer"), "password": INITIAL_PASSWORD, "note": "x" * 501}
    )
    assert long_note.status_code == 400, long_note.text
    assert long_note.json()["errcode"].startswith("M_")

    accepted_note = await api.register_sponsored(
        admin_token, {"username": fresh_name("qianer"), "password": INITIAL_PASSWORD, "note": "备注" * 250}
    )
    assert accepted_note.status_code == 201, accepted_note.text


async def test_registration_unknown_group(api, admin_token):
    username = fresh_name("zhengshi")
    for group in ("!nosuchroom:localhost", "#no-such-alias:localhost"):
        reply = await api.register_sponsored(
            admin_token, {"username": username, "password": INITIAL_PASSWORD, "groups": [group]}
        )
        assert reply.status_code == 404, f"{group}: {reply.status_code} {reply.text}"
        assert reply.json()["errcode"] == "M_NOT_FOUND"

    # Nothing was half-written: the name is still free.
    retry = await api.register_sponsored(admin_token, {"username": username, "password": INITIAL_PASSWORD})
    assert retry.status_code == 201, retry.text


async def test_registration_group_by_alias(api, admin_token, nio_client, server):
    admin = nio_client(server.user_id(server.admin_user), admin_token, "")
    alias_name = fresh_name("hiking")
    created = await admin.room_create(name="Hiking club", alias=alias_name)
    assert isinstance(created, RoomCreateResponse), f"room_create: {created}"

    reply = await api.register_sponsored(
        admin_token,
        {"username": fresh_name("zhengshi"), "password": INITIAL_PASSWORD, "groups": [f"#{alias_name}:localhost"]},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["groups"] == [created.room_id]

    members = await admin.joined_members(created.room_id)
    assert isinstance(members, JoinedMembersResponse), f"joined_members: {members}"
    assert reply.json()["user_id"] in {member.user_id for member in members.members}


async def test_registration_group_forbidden(api, admin_token, make_account, nio_client, server):
    admin = nio_client(server.user_id(server.admin_user), admin_token, "")
    created = await admin.room_create(name="Admins only")
    assert isinstance(created, RoomCreateResponse), f"room_create: {created}"
    member = await make_account("wangwu")
    invited = await admin.room_invite(created.room_id, member.user_id)
    assert invited.transport_response.status == 200, f"room_invite: {invited}"
    joining = nio_client(member.user_id, member.access_token, member.device_id)
    joined = await joining.join(created.room_id)
    assert joined.transport_response.status == 200, f"join: {joined}"

    # A plain member of the room may not register people into it.
    username = fresh_name("zhengshi")
    reply = await api.register_sponsored(
        member.access_token, {"username": username, "password": INITIAL_PASSWORD, "groups": [created.room_id]}
    )
    assert reply.status_code == 403, reply.text
    assert reply.json()["errcode"] == "M_FORBIDDEN"

    login = await api.login(username, INITIAL_PASSWORD)
    assert login.status_code == 403, login.text


async def test_registration_into_own_group(api, make_account, nio_client):
    group_admin = await make_account("wangwu")
    client = nio_client(group_admin.user_id, group_admin.access_token, group_admin.device_id)
    created = await client.room_create(name="My own club")
    assert isinstance(created, RoomCreateResponse), f"room_create: {created}"

    # The room's creator has the admin power level (100), so it may register into the room.
    reply = await api.register_sponsored(
        group_admin.access_token,
        {"username": fresh_name("zhengshi"), "password": INITIAL_PASSWORD, "groups": [created.room_id]},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["sponsor"] == group_admin.user_id
    assert reply.json()["groups"] == [created.room_id]


async def test_registration_idempotency_key(api, admin_token):
    body = {"username": fresh_name("qianer")}
    headers = {"Idempotency-Key": f"e2e-{secrets.token_hex(8)}"}
    first = await api.register_sponsored(admin_token, body, headers=headers)
    assert first.status_code == 201, first.text
    second = await api.register_sponsored(admin_token, body, headers=headers)
    assert second.status_code in (200, 201), second.text
    assert second.json()["user_id"] == first.json()["user_id"]
    assert second.json()["created_at"] == first.json()["created_at"]

    # The account was created once, with the first answer's credentials.
    activated = await api.activate(body["username"], first.json()["initial_password"], NEW_PASSWORD)
    assert activated.status_code == 200, activated.text


async def test_registration_opens_direct_chat(server, api, admin_token, nio_client):
    username = fresh_name("zhengshi")
    reply = await api.register_sponsored(
        admin_token, {"username": username, "password": INITIAL_PASSWORD, "open_direct_chat": True}
    )
    assert reply.status_code == 201, reply.text
    activated = await api.activate(username, INITIAL_PASSWORD, USER_PASSWORD)
    assert activated.status_code == 200, activated.text

    body = activated.json()
    client = nio_client(body["user_id"], body["access_token"], body["device_id"])
    synced = await client.sync(timeout=0, full_state=True)
    assert isinstance(synced, SyncResponse), f"sync: {synced}"

    sponsor = server.user_id(server.admin_user)
    with_sponsor = []
    for room_id in synced.rooms.join:
        members = await client.joined_members(room_id)
        assert isinstance(members, JoinedMembersResponse), f"joined_members: {members}"
        if sponsor in {member.user_id for member in members.members}:
            with_sponsor.append(room_id)
    for room_id, room in synced.rooms.invite.items():
        if any(event.source.get("sender") == sponsor for event in room.invite_state):
            with_sponsor.append(room_id)
    assert with_sponsor, (
        f"no direct chat with the sponsor: joined {list(synced.rooms.join)}, invited {list(synced.rooms.invite)}"
    )
