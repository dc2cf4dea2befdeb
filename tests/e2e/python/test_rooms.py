"""Rooms through matrix-nio: membership, history paging, profiles."""

from nio import (
    JoinedMembersResponse,
    JoinResponse,
    ProfileGetDisplayNameResponse,
    ProfileSetDisplayNameResponse,
    RoomCreateEvent,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomLeaveResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    SyncResponse,
)

MESSAGE_COUNT = 12
PAGE_SIZE = 5
MAX_PAGES = 40


async def logged_in(make_account, nio_client, base_name: str):
    account = await make_account(base_name)
    return nio_client(account.user_id, account.access_token, account.device_id)


async def joined_user_ids(client, room_id: str) -> set[str]:
    reply = await client.joined_members(room_id)
    assert isinstance(reply, JoinedMembersResponse), f"joined_members: {reply}"
    return {member.user_id for member in reply.members}


async def test_room_invite_join_leave(make_account, nio_client):
    owner = await logged_in(make_account, nio_client, "zhouba")
    guest = await logged_in(make_account, nio_client, "wujiu")
    guest_initial = await guest.sync(timeout=0)
    assert isinstance(guest_initial, SyncResponse), f"initial sync: {guest_initial}"

    created = await owner.room_create(name="Book club", topic="Monthly reading")
    assert isinstance(created, RoomCreateResponse), f"room_create: {created}"
    room_id = created.room_id
    assert await joined_user_ids(owner, room_id) == {owner.user_id}

    invited = await owner.room_invite(room_id, guest.user_id)
    assert isinstance(invited, RoomInviteResponse), f"room_invite: {invited}"
    invite_sync = await guest.sync(timeout=5_000, since=guest.next_batch)
    assert isinstance(invite_sync, SyncResponse), f"sync: {invite_sync}"
    assert room_id in invite_sync.rooms.invite, f"invites: {list(invite_sync.rooms.invite)}"

    joined = await guest.join(room_id)
    assert isinstance(joined, JoinResponse), f"join: {joined}"
    assert joined.room_id == room_id
    assert await joined_user_ids(owner, room_id) == {owner.user_id, guest.user_id}

    left = await guest.room_leave(room_id)
    assert isinstance(left, RoomLeaveResponse), f"room_leave: {left}"
    assert await joined_user_ids(owner, room_id) == {owner.user_id}

    leave_sync = await guest.sync(timeout=5_000, since=guest.next_batch)
    assert isinstance(leave_sync, SyncResponse), f"sync: {leave_sync}"
    assert room_id in leave_sync.rooms.leave, f"left rooms: {list(leave_sync.rooms.leave)}"
    assert room_id not in leave_sync.rooms.join


async def test_join_without_invite_forbidden(make_account, nio_client):
    owner = await logged_in(make_account, nio_client, "zhouba")
    stranger = await logged_in(make_account, nio_client, "wujiu")
    created = await owner.room_create(name="Private")
    assert isinstance(created, RoomCreateResponse), f"room_create: {created}"

    refused = await stranger.join(created.room_id)
    assert not isinstance(refused, JoinResponse), "joining an invite-only room without an invite must fail"
    assert refused.status_code == "M_FORBIDDEN"
    assert refused.transport_response.status == 403


async def test_messages_paging_to_start(api, make_account, nio_client):
    owner = await logged_in(make_account, nio_client, "zhouba")
    created = await owner.room_create(name="History")
    assert isinstance(created, RoomCreateResponse), f"room_create: {created}"
    room_id = created.room_id
    for number in range(MESSAGE_COUNT):
        sent = await owner.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": f"message {number}"})
        assert isinstance(sent, RoomSendResponse), f"room_send: {sent}"

    synced = await owner.sync(timeout=0, sync_filter={"room": {"timeline": {"limit": PAGE_SIZE}}})
    assert isinstance(synced, SyncResponse), f"sync: {synced}"
    timeline = synced.rooms.join[room_id].timeline
    assert [event.body for event in timeline.events] == [
        f"message {number}" for number in range(MESSAGE_COUNT - PAGE_SIZE, MESSAGE_COUNT)
    ]
    assert timeline.limited is True

    # Walk back with nio from the timeline's prev_batch to the start of the room.
    older = []
    token = timeline.prev_batch
    for _ in range(MAX_PAGES):
        page = await owner.room_messages(room_id, start=token, limit=PAGE_SIZE)
        assert isinstance(page, RoomMessagesResponse), f"room_messages: {page}"
        assert len(page.chunk) <= PAGE_SIZE
        older.extend(page.chunk)
        if page.end is None:
            break
        token = page.end
    else:
        raise AssertionError(f"/messages did not reach the start of the room in {MAX_PAGES} pages")

    bodies = [event.source["content"].get("body") for event in older if event.source["type"] == "m.room.message"]
    assert bodies == [f"message {number}" for number in reversed(range(MESSAGE_COUNT - PAGE_SIZE))]
    assert isinstance(older[-1], RoomCreateEvent), f"oldest event is {older[-1].source['type']}"

    # Raw JSON: the page at the start of history has no `end`, every page before it has one.
    headers = {"Authorization": f"Bearer {owner.access_token}"}
    token = timeline.prev_batch
    for _ in range(MAX_PAGES):
        reply = await api.http.get(
            f"/_matrix/client/v3/rooms/{room_id}/messages",
            params={"dir": "b", "from": token, "limit": PAGE_SIZE},
            headers=headers,
        )
        assert reply.status_code == 200, reply.text
        page = reply.json()
        assert isinstance(page["chunk"], list)
        assert page["start"] == token
        if "end" not in page:
            break
        assert isinstance(page["end"], str)
        assert page["end"] != token
        token = page["end"]
    else:
        raise AssertionError(f"raw /messages kept returning `end` for {MAX_PAGES} pages")


async def test_displayname_set_and_get(make_account, nio_client):
    person = await logged_in(make_account, nio_client, "lisi")
    viewer = await logged_in(make_account, nio_client, "wujiu")

    updated = await person.set_displayname("李四 Li Si")
    assert isinstance(updated, ProfileSetDisplayNameResponse), f"set_displayname: {updated}"

    own = await person.get_displayname()
    assert isinstance(own, ProfileGetDisplayNameResponse), f"get_displayname: {own}"
    assert own.displayname == "李四 Li Si"

    seen = await viewer.get_displayname(person.user_id)
    assert isinstance(seen, ProfileGetDisplayNameResponse), f"get_displayname of another user: {seen}"
    assert seen.displayname == "李四 Li Si"
