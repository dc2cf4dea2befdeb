// A fetch wrapper that records every request a matrix-js-sdk client sends, so the tests can
// print which endpoints the SDK calls and which of them returned 404.

const ID_PATTERNS = [
  [/\/(%40|@)[^/]+/g, "/{userId}"],
  [/\/(%21|!)[^/]+/g, "/{roomId}"],
  [/\/(%24|\$)[^/]+/g, "/{eventId}"],
  [/(\/send\/[^/]+\/)[^/]+/g, "$1{txnId}"],
  [/(\/filter\/)[^/]+/g, "$1{filterId}"],
];

/** Replace the ids in a request path with placeholders, so that calls group by endpoint. */
export function endpointOf(method, url) {
  let path = new URL(url).pathname;
  for (const [pattern, placeholder] of ID_PATTERNS) {
    path = path.replace(pattern, placeholder);
  }
  return `${method} ${path}`;
}

export class FetchRecorder {
  constructor() {
    this.calls = [];
  }

  /** Return a fetch function for one client, labelled in the records. */
  fetchFor(label) {
    return async (input, init = {}) => {
      const url = typeof input === "string" ? input : (input.url ?? String(input));
      const method = (init.method ?? input.method ?? "GET").toUpperCase();
      const record = { label, method, url, endpoint: endpointOf(method, url), status: null };
      this.calls.push(record);
      try {
        const reply = await fetch(input, init);
        record.status = reply.status;
        return reply;
      } catch (error) {
        record.status = `failed: ${error.name}`;
        throw error;
      }
    };
  }

  /** Return the distinct endpoints called, in order of first call, with the statuses seen. */
  endpoints() {
    const seen = new Map();
    for (const call of this.calls) {
      const statuses = seen.get(call.endpoint) ?? new Set();
      statuses.add(call.status);
      seen.set(call.endpoint, statuses);
    }
    return [...seen].map(([endpoint, statuses]) => `${endpoint} -> ${[...statuses].join(", ")}`);
  }

  notFound() {
    return this.calls.filter((call) => call.status === 404).map((call) => `${call.label}: ${call.method} ${call.url}`);
  }

  report() {
    const lines = ["endpoints matrix-js-sdk called:", ...this.endpoints().map((line) => `  ${line}`)];
    const missing = this.notFound();
    lines.push(missing.length ? `HTTP 404 answers (${missing.length}):` : "HTTP 404 answers: none");
    lines.push(...missing.map((line) => `  ${line}`));
    return lines.join("\n");
  }
}

/** Create a matrix-js-sdk logger that prints only warnings and errors, prefixed with the client's label. */
export function quietLogger(label) {
  const drop = () => {};
  const logger = {
    trace: drop,
    debug: drop,
    info: drop,
    log: drop,
    warn: (...message) => console.warn(`[sdk ${label}]`, ...message),
    error: (...message) => console.error(`[sdk ${label}]`, ...message),
    getChild: () => logger,
  };
  return logger;
}
