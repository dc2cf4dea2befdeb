"""The main story: an admin registers a member into a group and they chat, all through matrix-nio."""

import pytest
from nio import (
    LoginError,
    LoginResponse,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from support import sync_until

pytestmark = pytest.mark.usher_api

NEW_PASSWORD = "Private-Trail-2024"


async def test_story_sponsored_member_chats(server, api, nio_client):
    # The admin, created through the CLI, logs in and creates a group.
    admin = nio_client(server.admin_user)
    login = await admin.login(server.admin_password, device_name="e2e admin")
    assert isinstance(login, LoginResponse), f"admin login: {login}"

    created = await admin.room_create(name="Hiking club")
    assert isinstance(created, RoomCreateResponse), f"room_create: {created}"
    room_id = created.room_id

    first_sync = await admin.sync(timeout=0)
    assert isinstance(first_sync, SyncResponse), f"admin initial sync: {first_sync}"
    assert room_id in first_sync.rooms.join

    # The admin registers zhangsan01 straight into the group.
    username = server.unique_name("zhangsan01")
    reply = await api.register_sponsored(
        admin.access_token,
        {"username": username, "display_name": "张三", "groups": [room_id]},
    )
    assert reply.status_code == 201, f"registration: {reply.status_code} {reply.text}"
    registered = reply.json()
    assert registered["user_id"] == server.user_id(username)
    assert registered["username"] == username
    assert registered["display_name"] == "张三"
    assert registered["must_change_password"] is True
    assert registered["groups"] == [room_id]
    assert registered["sponsor"] == admin.user_id
    initial_password = registered["initial_password"]
    assert isinstance(initial_password, str)
    assert len(initial_password) >= 8

    # The account is pending: login with the initial password is refused with a hint.
    member = nio_client(registered["user_id"])
    pending = await member.login(initial_password, device_name="e2e member")
    assert isinstance(pending, LoginError), f"pending login must fail, got {pending}"
    assert pending.status_code == "M_FORBIDDEN"
    assert pending.transport_response.status == 403
    assert "activat" in pending.message.lower(), f"message does not say how to activate: {pending.message!r}"

    # Activation sets a private password.
    reply = await api.activate(username, initial_password, NEW_PASSWORD)
    assert reply.status_code == 200, f"activate: {reply.status_code} {reply.text}"
    activated = reply.json()
    assert activated["user_id"] == registered["user_id"]
    assert activated["access_token"]
    assert activated["device_id"]

    login = await member.login(NEW_PASSWORD, device_name="e2e member")
    assert isinstance(login, LoginResponse), f"login with the new password: {login}"

    # The member's first sync shows the group, by id and name.
    member_sync = await member.sync(timeout=0, full_state=True)
    assert isinstance(member_sync, SyncResponse), f"member initial sync: {member_sync}"
    assert room_id in member_sync.rooms.join, f"joined rooms: {list(member_sync.rooms.join)}"
    assert member.rooms[room_id].name == "Hiking club"

    # The member speaks, and the admin's long-poll sync receives it.
    text = "大家好, I am new to the hiking club"
    sent = await member.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text})
    assert isinstance(sent, RoomSendResponse), f"room_send: {sent}"

    received = await sync_until(admin, room_id, lambda event: event.event_id == sent.event_id)
    assert isinstance(received, RoomMessageText)
    assert received.body == text
    assert received.sender == registered["user_id"]
