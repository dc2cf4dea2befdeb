"""Initial and incremental /sync with long-polling, filters and transaction ids."""

import asyncio
import secrets
import time

from nio import RoomMessageText, RoomSendResponse, SyncResponse

from support import create_shared_room, sync_until

# Inline filter in the form of the Matrix filter API, sent as the `filter` query parameter.
TIMELINE_FILTER = {"room": {"timeline": {"limit": 10}}}


async def two_clients(make_account, nio_client, base_name: str):
    first = await make_account(base_name)
    second = await make_account(base_name)
    return (
        nio_client(first.user_id, first.access_token, first.device_id),
        nio_client(second.user_id, second.access_token, second.device_id),
    )


async def test_sync_long_poll_wakes(make_account, nio_client):
    sender, waiter = await two_clients(make_account, nio_client, "lisi")
    room_id = await create_shared_room(sender, waiter, "Long poll")

    initial = await waiter.sync(timeout=0, sync_filter=TIMELINE_FILTER, full_state=True)
    assert isinstance(initial, SyncResponse), f"initial sync: {initial}"
    assert room_id in initial.rooms.join
    since = initial.next_batch

    # The waiter long-polls for 20 s; the message sent meanwhile must end the wait early.
    started = time.monotonic()
    waiting = asyncio.create_task(waiter.sync(timeout=20_000, since=since, sync_filter=TIMELINE_FILTER))
    await asyncio.sleep(0.5)
    assert not waiting.done(), "sync returned before anything happened"
    text = f"wake up {secrets.token_hex(4)}"
    sent = await sender.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text})
    assert isinstance(sent, RoomSendResponse), f"room_send: {sent}"

    reply = await asyncio.wait_for(waiting, timeout=30)
    elapsed_s = time.monotonic() - started
    assert isinstance(reply, SyncResponse), f"incremental sync: {reply}"
    assert elapsed_s < 10, f"long-poll returned after {elapsed_s:.1f} s, not when the message arrived"
    assert reply.next_batch != since

    if room_id in reply.rooms.join:
        events = reply.rooms.join[room_id].timeline.events
        matches = [event for event in events if event.event_id == sent.event_id]
    else:
        matches = []
    if not matches:
        # The wake-up may have come from an earlier write; the next poll must carry the message.
        matches = [await sync_until(waiter, room_id, lambda event: event.event_id == sent.event_id, 10)]
    assert isinstance(matches[0], RoomMessageText)
    assert matches[0].body == text
    assert matches[0].sender == sender.user_id


async def test_sync_times_out_empty(make_account, nio_client):
    account = await make_account("lisi")
    client = nio_client(account.user_id, account.access_token, account.device_id)
    initial = await client.sync(timeout=0)
    assert isinstance(initial, SyncResponse), f"initial sync: {initial}"

    # Settle first: the incremental syncs may carry late events from account setup.
    for _ in range(3):
        quiet = await client.sync(timeout=0, since=client.next_batch)
        assert isinstance(quiet, SyncResponse), f"sync: {quiet}"

    started = time.monotonic()
    reply = await client.sync(timeout=1_500, since=client.next_batch)
    elapsed_s = time.monotonic() - started
    assert isinstance(reply, SyncResponse), f"sync: {reply}"
    assert 1.0 <= elapsed_s < 10, f"empty long-poll of 1.5 s returned after {elapsed_s:.2f} s"
    assert reply.next_batch


async def test_sync_filter_limits_timeline(make_account, nio_client):
    sender, reader = await two_clients(make_account, nio_client, "lisi")
    room_id = await create_shared_room(sender, reader, "Filtered")
    for number in range(3):
        sent = await sender.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": f"note {number}"})
        assert isinstance(sent, RoomSendResponse), f"room_send: {sent}"

    reply = await reader.sync(timeout=0, sync_filter={"room": {"timeline": {"limit": 1}}}, full_state=True)
    assert isinstance(reply, SyncResponse), f"sync: {reply}"
    timeline = reply.rooms.join[room_id].timeline
    assert len(timeline.events) == 1
    assert timeline.limited is True
    assert timeline.prev_batch
    assert timeline.events[0].source["content"]["body"] == "note 2"

    # full_state still brings the room's state, including its name.
    state_types = {event.source["type"] for event in reply.rooms.join[room_id].state}
    assert "m.room.create" in state_types
    assert "m.room.name" in state_types
    assert reader.rooms[room_id].name == "Filtered"


async def test_sync_echoes_transaction_id(make_account, nio_client):
    sender, reader = await two_clients(make_account, nio_client, "lisi")
    room_id = await create_shared_room(sender, reader, "Echo")
    initial = await sender.sync(timeout=0)
    assert isinstance(initial, SyncResponse), f"initial sync: {initial}"
    initial = await reader.sync(timeout=0)
    assert isinstance(initial, SyncResponse), f"initial sync: {initial}"

    transaction_id = f"e2e-{secrets.token_hex(6)}"
    sent = await sender.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": "echo"}, tx_id=transaction_id
    )
    assert isinstance(sent, RoomSendResponse), f"room_send: {sent}"

    own = await sync_until(sender, room_id, lambda event: event.event_id == sent.event_id)
    assert own.source.get("unsigned", {}).get("transaction_id") == transaction_id

    # Only the sending device gets its transaction id back.
    theirs = await sync_until(reader, room_id, lambda event: event.event_id == sent.event_id)
    assert "transaction_id" not in theirs.source.get("unsigned", {})

    # Retrying the same transaction id returns the same event instead of a new one.
    retried = await sender.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": "echo"}, tx_id=transaction_id
    )
    assert isinstance(retried, RoomSendResponse), f"room_send retry: {retried}"
    assert retried.event_id == sent.event_id
