// Starts an Usher server for the end-to-end tests, or uses the one named by USHER_E2E_URL.
//
// With USHER_E2E_URL set, the tests log in as USHER_E2E_ADMIN / USHER_E2E_ADMIN_PASSWORD
// on that server. This mode exists to check the tests against the reference server, Synapse.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const SERVER_NAME = "localhost";
const DEFAULT_ADMIN = "opsadmin";
const DEFAULT_ADMIN_PASSWORD = "Correct-Horse-42x";
const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export function userId(username) {
  return `@${username}:${SERVER_NAME}`;
}

// Variables of this test harness. The server reads every USHER_* variable as configuration
// and rejects unknown keys, so they are removed from the server's environment.
const HARNESS_VARIABLES = new Set(["USHER_BIN", "USHER_SKIP_CARGO_TESTS"]);
const HARNESS_PREFIX = "USHER_E2E_";

function serverEnvironment() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !HARNESS_VARIABLES.has(name) && !name.startsWith(HARNESS_PREFIX)),
  );
}

function findBinary() {
  const binary = process.env.USHER_BIN ?? join(REPO_ROOT, "target", "debug", "usher");
  if (!existsSync(binary)) {
    throw new Error(`Usher binary not found at ${binary}: build it with \`cargo build -p usher\` or set USHER_BIN`);
  }
  return binary;
}

function createAdmin(binary, dataDir, username, password) {
  const result = spawnSync(binary, ["admin", "create", username, "--password", password, "--data-dir", dataDir], {
    encoding: "utf8",
    timeout: 120_000,
    env: serverEnvironment(),
  });
  if (result.status !== 0) {
    throw new Error(
      `\`usher admin create ${username}\` failed with exit code ${result.status}:\n` +
        `stdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
}

function readLog(logPath) {
  try {
    return readFileSync(logPath, "utf8");
  } catch {
    return "";
  }
}

function logTail(logPath, lines = 40) {
  return readLog(logPath).split("\n").slice(-lines).join("\n");
}

async function waitForUrl(child, logPath) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const match = URL_PATTERN.exec(readLog(logPath));
    if (match) {
      return match[0];
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `usher serve exited (code ${child.exitCode}, signal ${child.signalCode}) before logging its URL. ` +
          `Log tail:\n${logTail(logPath)}`,
      );
    }
    await sleep(50);
  }
  throw new Error(`usher serve logged no URL within ${START_TIMEOUT_MS} ms. Log tail:\n${logTail(logPath)}`);
}

async function waitForVersions(baseUrl, logPath) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError = "no request sent";
  while (Date.now() < deadline) {
    try {
      const reply = await fetch(`${baseUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(2_000) });
      if (reply.status === 200) {
        return;
      }
      lastError = `HTTP ${reply.status}`;
    } catch (error) {
      lastError = String(error);
    }
    await sleep(100);
  }
  throw new Error(
    `GET /_matrix/client/versions did not return 200 within ${START_TIMEOUT_MS} ms (last: ${lastError}). ` +
      `Log tail:\n${logTail(logPath)}`,
  );
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return child.exitCode;
  }
  const exited = new Promise((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  child.kill("SIGTERM");
  const timeout = sleep(STOP_TIMEOUT_MS).then(() => "timeout");
  const outcome = await Promise.race([exited, timeout]);
  if (outcome === "timeout") {
    child.kill("SIGKILL");
    await exited;
    return null;
  }
  return outcome;
}

async function probeUsherApi(baseUrl) {
  // Usher rejects an unauthenticated request with 401; other servers do not know the path.
  const reply = await fetch(`${baseUrl}/_usher/v1/registrations`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
    signal: AbortSignal.timeout(10_000),
  });
  return reply.status !== 404;
}

/**
 * Start a server on a fresh temporary data directory, or describe the one named by USHER_E2E_URL.
 *
 * Returns `{ baseUrl, adminUser, adminPassword, isUsher, stop }`. `stop()` sends SIGTERM, deletes
 * the data directory and returns the exit code (null when the server had to be killed).
 */
export async function startServer() {
  if (process.env.USHER_E2E_URL) {
    const baseUrl = process.env.USHER_E2E_URL.replace(/\/$/, "");
    return {
      baseUrl,
      adminUser: process.env.USHER_E2E_ADMIN ?? DEFAULT_ADMIN,
      adminPassword: process.env.USHER_E2E_ADMIN_PASSWORD ?? DEFAULT_ADMIN_PASSWORD,
      isUsher: await probeUsherApi(baseUrl),
      stop: async () => 0,
    };
  }

  const binary = findBinary();
  const root = mkdtempSync(join(tmpdir(), "usher-e2e-js-"));
  const dataDir = join(root, "data");
  mkdirSync(dataDir);
  let logPath = join(root, "server.log");
  if (process.env.USHER_E2E_LOG_DIR) {
    mkdirSync(process.env.USHER_E2E_LOG_DIR, { recursive: true });
    logPath = join(process.env.USHER_E2E_LOG_DIR, `usher-js-${process.pid}.log`);
  }

  let child = null;
  const stop = async () => {
    try {
      return child === null ? null : await stopChild(child);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  try {
    createAdmin(binary, dataDir, DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD);
    // stdout and stderr share one file, so the URL is found in either.
    const log = openSync(logPath, "w");
    child = spawn(
      binary,
      ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--server-name", SERVER_NAME],
      { stdio: ["ignore", log, log], env: serverEnvironment() },
    );
    closeSync(log);
    const baseUrl = await waitForUrl(child, logPath);
    await waitForVersions(baseUrl, logPath);
    return { baseUrl, adminUser: DEFAULT_ADMIN, adminPassword: DEFAULT_ADMIN_PASSWORD, isUsher: true, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
