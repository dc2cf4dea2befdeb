// Two matrix-js-sdk clients reach PREPARED and exchange messages in a room.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ClientEvent, createClient, RoomEvent, SyncState } from "matrix-js-sdk";
import { logger as sdkGlobalLogger } from "matrix-js-sdk/lib/logger.js";

import { createAccount, login } from "../lib/accounts.js";
import { FetchRecorder, quietLogger } from "../lib/recording-fetch.js";
import { startServer } from "../lib/server.js";

const PREPARED_TIMEOUT_MS = 30_000;
const MESSAGE_TIMEOUT_MS = 20_000;

// Parts of the SDK log through its global logger instead of the client's; keep warnings and errors.
sdkGlobalLogger.setLevel("warn");

let server;
const recorder = new FetchRecorder();

before(async () => {
  server = await startServer();
});

after(async () => {
  console.log(recorder.report());
  const exitCode = await server?.stop();
  assert.equal(exitCode, 0, `usher serve exit code after SIGTERM: ${exitCode} (null: killed after 15 s)`);
});

function makeClient(label, session) {
  return createClient({
    baseUrl: server.baseUrl,
    userId: session.userId,
    accessToken: session.accessToken,
    deviceId: session.deviceId,
    fetchFn: recorder.fetchFor(label),
    logger: quietLogger(label),
  });
}

/** Start the client and resolve once its first sync is processed (state PREPARED). */
function startAndWaitPrepared(client, label) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(ClientEvent.Sync, onSync);
      reject(new Error(`${label} did not reach PREPARED within ${PREPARED_TIMEOUT_MS} ms`));
    }, PREPARED_TIMEOUT_MS);
    function onSync(state, _previous, data) {
      if (state === SyncState.Prepared) {
        clearTimeout(timer);
        client.off(ClientEvent.Sync, onSync);
        resolve();
      } else if (state === SyncState.Error) {
        clearTimeout(timer);
        client.off(ClientEvent.Sync, onSync);
        reject(new Error(`${label} sync failed: ${data?.error?.message ?? "unknown error"}`));
      }
    }
    client.on(ClientEvent.Sync, onSync);
    client.startClient({ lazyLoadMembers: true, initialSyncLimit: 20 }).catch(reject);
  });
}

/** Resolve with the first live timeline event in `roomId` for which `matches` is true. */
function waitForTimelineEvent(client, roomId, matches, label) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(RoomEvent.Timeline, onTimeline);
      reject(new Error(`${label} received no matching event in ${roomId} within ${MESSAGE_TIMEOUT_MS} ms`));
    }, MESSAGE_TIMEOUT_MS);
    function onTimeline(event, room, toStartOfTimeline) {
      if (toStartOfTimeline || room?.roomId !== roomId || !matches(event)) {
        return;
      }
      clearTimeout(timer);
      client.off(RoomEvent.Timeline, onTimeline);
      resolve(event);
    }
    client.on(RoomEvent.Timeline, onTimeline);
  });
}

function isMessage(body) {
  return (event) => event.getType() === "m.room.message" && event.getContent().body === body;
}

test("two clients exchange messages", { timeout: 120_000 }, async () => {
  const adminSession = await login(server.baseUrl, server.adminUser, server.adminPassword);
  const admin = makeClient("admin", adminSession);
  const clients = [admin];
  try {
    const { room_id: roomId } = await admin.createRoom({ name: "Tea house", preset: "private_chat" });
    assert.match(roomId, /^!/);

    // On Usher the admin registers the member into the room; elsewhere the member is invited.
    const account = await createAccount(server, adminSession.accessToken, "lisi", [roomId]);
    const member = makeClient("member", account);
    clients.push(member);
    if (server.isUsher) {
      assert.deepEqual(account.groups, [roomId]);
    } else {
      await admin.invite(roomId, account.userId);
      await member.joinRoom(roomId);
    }

    await Promise.all([startAndWaitPrepared(admin, "admin"), startAndWaitPrepared(member, "member")]);

    const memberRoom = member.getRoom(roomId);
    assert.ok(memberRoom, `member's client does not know room ${roomId} after PREPARED`);
    assert.equal(memberRoom.getMyMembership(), "join");
    assert.equal(memberRoom.name, "Tea house");

    // Member to admin.
    const greeting = `你好 from the member ${Date.now()}`;
    const adminReceives = waitForTimelineEvent(admin, roomId, isMessage(greeting), "admin");
    const sent = await member.sendTextMessage(roomId, greeting);
    const received = await adminReceives;
    assert.equal(received.getId(), sent.event_id);
    assert.equal(received.getSender(), account.userId);

    // Admin to member.
    const reply = `welcome to the tea house ${Date.now()}`;
    const memberReceives = waitForTimelineEvent(member, roomId, isMessage(reply), "member");
    const replySent = await admin.sendMessage(roomId, { msgtype: "m.text", body: reply });
    const replyReceived = await memberReceives;
    assert.equal(replyReceived.getId(), replySent.event_id);
    assert.equal(replyReceived.getSender(), adminSession.userId);
  } finally {
    for (const client of clients) {
      client.stopClient();
    }
  }
});

test("pending account login rejected", { timeout: 60_000 }, async (t) => {
  if (!server.isUsher) {
    t.skip(`${server.baseUrl} does not serve the Usher API`);
    return;
  }
  const adminSession = await login(server.baseUrl, server.adminUser, server.adminPassword);
  const username = `wangwu${Date.now() % 1_000_000}`;
  const registered = await fetch(`${server.baseUrl}/_usher/v1/registrations`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminSession.accessToken}` },
    body: JSON.stringify({ username }),
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(registered.status, 201, await registered.clone().text());
  const { initial_password: initialPassword } = await registered.json();

  // A stock client gets 403 M_FORBIDDEN, with a message explaining how to activate the account.
  const client = createClient({ baseUrl: server.baseUrl, fetchFn: recorder.fetchFor("pending"), logger: quietLogger("pending") });
  await assert.rejects(
    client.loginRequest({
      type: "m.login.password",
      identifier: { type: "m.id.user", user: username },
      password: initialPassword,
    }),
    (error) => {
      assert.equal(error.httpStatus, 403);
      assert.equal(error.errcode, "M_FORBIDDEN");
      assert.match(error.data.error, /activat/i);
      return true;
    },
  );
});
