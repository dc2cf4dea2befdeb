// Raw HTTP calls that create and log in the accounts the tests use.

import { randomBytes } from "node:crypto";

import { userId } from "./server.js";

export const USER_PASSWORD = "Correct-Horse-42x";

async function request(baseUrl, method, path, { token, body } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  const reply = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await reply.text();
  let json = {};
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path}: HTTP ${reply.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }
  return { status: reply.status, text, json };
}

function expectStatus(reply, expected, what) {
  if (!expected.includes(reply.status)) {
    throw new Error(`${what}: expected HTTP ${expected.join(" or ")}, got ${reply.status} ${reply.text}`);
  }
}

/** Log in with a password and return `{ userId, accessToken, deviceId }`. */
export async function login(baseUrl, username, password) {
  const reply = await request(baseUrl, "POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user: username }, password },
  });
  expectStatus(reply, [200], `login of ${username}`);
  return { userId: reply.json.user_id, accessToken: reply.json.access_token, deviceId: reply.json.device_id };
}

/**
 * Create an active account and return its login plus `username`.
 *
 * On Usher the sponsor registers it into `groups` and the test activates it. On another
 * server the Synapse admin API creates it, and `groups` is ignored.
 */
export async function createAccount(server, sponsorToken, baseName, groups = []) {
  const username = `${baseName}${randomBytes(3).toString("hex")}`;
  if (!server.isUsher) {
    const reply = await request(server.baseUrl, "PUT", `/_synapse/admin/v2/users/${userId(username)}`, {
      token: sponsorToken,
      body: { password: USER_PASSWORD },
    });
    expectStatus(reply, [200, 201], `creation of ${username}`);
    return { username, ...(await login(server.baseUrl, username, USER_PASSWORD)) };
  }

  const initialPassword = `Initial-${randomBytes(6).toString("hex")}`;
  const registered = await request(server.baseUrl, "POST", "/_usher/v1/registrations", {
    token: sponsorToken,
    body: { username, password: initialPassword, groups },
  });
  expectStatus(registered, [201], `registration of ${username}`);
  const activated = await request(server.baseUrl, "POST", "/_usher/v1/activate", {
    body: { username, initial_password: initialPassword, new_password: USER_PASSWORD },
  });
  expectStatus(activated, [200], `activation of ${username}`);
  return {
    username,
    userId: activated.json.user_id,
    accessToken: activated.json.access_token,
    deviceId: activated.json.device_id,
    groups: registered.json.groups,
  };
}
