// ActorSocket's JavaScript client: an ES module with no dependencies, for browsers (and Node with
// a WebSocket implementation passed in). The wire protocol is docs/protocol.md; the daemon serves
// this file at /client/actorsocket.js.
//
//   import { ActorSocketClient } from "/client/actorsocket.js";
//   const client = new ActorSocketClient("ws://127.0.0.1:8080/pubsub");
//   await client.connect();
//   await client.subscribe("room:lobby", { onMessage: (m) => console.log(m.offset, m.data) });
//   await client.publish("room:lobby", { text: "hello" });
//
// It reconnects by itself after a loss worth retrying (full-jitter exponential backoff above a
// floor, the next URL each time), subscribes again to every topic from the last message it
// received (topics with history), and tells each subscription whether what was missed could be
// recovered. Requests wait for the connection while it is down, up to requestTimeout.

/** The wait before reconnect attempt n: floor + random × (min(cap, floor × 2^(n+1)) − floor). */
export function backoffDelay(attempt, floor, cap, random) {
  const upper = Math.min(Math.max(cap, floor), floor * 2 ** Math.min(attempt + 1, 30));
  return floor + random * (upper - floor);
}

/**
 * Whether a connection that ended with this close code is worth another attempt: lost
 * connections, restarts and overload yes; protocol errors and 3002 (the backend disconnected this
 * user) no; token closes (3000, 3001) only with a tokenProvider that can give a new token.
 */
export function worthRetrying(code, hasTokenProvider) {
  if (code === undefined || code === null) return true;
  if ([1002, 1003, 1007, 1009, 1010, 1015, 3002].includes(code)) return false;
  if (code === 3000 || code === 3001) return hasTokenProvider;
  return true;
}

/** An error answer of the server ({"op":"error"}), or a request that could not complete. */
export class ActorSocketError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ActorSocketError";
    /** The server's code (forbidden, bad_request, rate_limited, unavailable, ...) or the client's own (connection_lost, timeout, closed). */
    this.code = code;
  }
}

/** A topic subscribed by the client; it lives across reconnects. */
class Subscription {
  constructor(client, topic, handlers) {
    this.client = client;
    this.topic = topic;
    this.handlers = handlers;
    /** On a topic with history: {epoch, offset} of the last message received (where a resubscribe starts); null otherwise. */
    this.position = null;
    /** Resubscribes after which messages were lost. */
    this.gaps = 0;
    this.closed = false;
  }

  /** Unsubscribes. */
  unsubscribe() {
    return this.client._unsubscribe(this);
  }

  _acknowledged(ack, resubscribe) {
    let recovered = null;
    if (ack.epoch !== undefined) {
      const asked = this.position !== null;
      recovered = ack.recovered !== undefined ? ack.recovered : asked ? false : null;
      if (!asked || recovered !== true) this.position = { epoch: ack.epoch, offset: ack.offset };
    }
    if (resubscribe) {
      if (recovered === false) this.gaps++;
      this.handlers.onResubscribed?.(recovered, this);
    }
  }

  _deliver(frame) {
    if (frame.offset !== undefined && frame.topic === this.topic) {
      if (this.position && frame.offset <= this.position.offset) return; // a replay of what was shown
      this.position = { epoch: this.position ? this.position.epoch : "", offset: frame.offset };
    }
    this.handlers.onMessage?.({ topic: frame.topic, offset: frame.offset ?? null, data: frame.data }, this);
  }
}

/** A client of an ActorSocket server's /pubsub. */
export class ActorSocketClient {
  /**
   * @param {string|string[]} urls the server's /pubsub URL, or the nodes of a cluster (each reconnect tries the next).
   * @param {object} [options]
   * @param {string} [options.token] a token (JWT), sent as ?token= (browsers cannot set headers on a WebSocket).
   * @param {() => Promise<string|null>} [options.tokenProvider] asked before each connection; wins over token.
   * @param {number} [options.reconnectFloor=500] shortest wait before a reconnect, ms.
   * @param {number} [options.reconnectCap=30000] longest wait, ms.
   * @param {number} [options.stableAfter=10000] a connection that lasted this long resets the backoff, ms.
   * @param {number} [options.maxReconnectAttempts=0] give up after this many attempts in a row (0: never).
   * @param {number} [options.requestTimeout=10000] longest wait for an answer, and for a connection while down, ms.
   * @param {Function} [options.WebSocket] the WebSocket class (default: the global one).
   * @param {() => number} [options.random] the jitter's randomness (default Math.random).
   * @param {object} [options.timers] {setTimeout, clearTimeout, now} (default: the global ones).
   */
  constructor(urls, options = {}) {
    this.urls = Array.isArray(urls) ? [...urls] : [urls];
    if (this.urls.length === 0) throw new Error("give at least one URL (ws://host:port/pubsub)");
    this.options = {
      reconnectFloor: 500, reconnectCap: 30000, stableAfter: 10000, maxReconnectAttempts: 0, requestTimeout: 10000,
      random: Math.random, WebSocket: globalThis.WebSocket,
      timers: { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (t) => clearTimeout(t), now: () => Date.now() },
      ...options,
    };
    /** "closed", "connecting", "connected" or "disconnected". */
    this.state = "closed";
    /** The server's id of the current connection, and the user it knows (empty: anonymous). */
    this.clientId = null;
    this.user = null;
    this._subscriptions = new Map();
    this._pending = new Map();
    this._listeners = new Map();
    this._nextId = 1;
    this._url = 0;
    this._attempt = 0;
    this._socket = null;
    this._stopped = false;
    this._started = false;
    this._connectedAt = 0;
    this._waiting = []; // requests made while down: resolved when connected
    this._firstConnect = null;
  }

  /** Listens to "state" ({state, code, reason, retryIn, url}), "subscribed" (topic, by the server API) and "error". */
  on(event, listener) {
    if (!this._listeners.has(event)) this._listeners.set(event, new Set());
    this._listeners.get(event).add(listener);
    return () => this._listeners.get(event).delete(listener);
  }

  /** Starts the connection; resolves once connected, rejects when the first close is not worth retrying. */
  connect() {
    if (this._stopped) return Promise.reject(new ActorSocketError("closed", "the client was closed"));
    if (!this._firstConnect) {
      this._firstConnect = {};
      this._firstConnect.promise = new Promise((resolve, reject) => Object.assign(this._firstConnect, { resolve, reject }));
    }
    if (!this._started) {
      this._started = true;
      this._open();
    }
    return this._firstConnect.promise;
  }

  /**
   * Subscribes to a topic. handlers: onMessage({topic, offset, data}), onResubscribed(recovered)
   * (true: every missed message follows; false: some were lost; null: the topic has no history),
   * onPresence(frame). since: {epoch, offset} to start after (a page that showed the history first).
   */
  async subscribe(topic, handlers = {}, since = null) {
    if (this._subscriptions.has(topic)) throw new Error("already subscribed to " + topic);
    const subscription = new Subscription(this, topic, handlers);
    if (since) subscription.position = { epoch: since.epoch, offset: since.offset };
    this._subscriptions.set(topic, subscription);
    try {
      const ack = await this._request(this._subscribeRequest(subscription));
      subscription._acknowledged(ack, false);
      return subscription;
    } catch (error) {
      this._subscriptions.delete(topic);
      throw error;
    }
  }

  /** Publishes data (any JSON value) and resolves with the server's acknowledgement. */
  publish(topic, data, { echo = true } = {}) {
    return this._request(echo ? { op: "publish", topic, data } : { op: "publish", topic, data, echo: false });
  }

  /** A topic's history: the newest limit messages, or the messages after since. */
  history(topic, { limit, since } = {}) {
    const request = { op: "history", topic };
    if (limit !== undefined) request.limit = limit;
    if (since) request.since = since;
    return this._request(request);
  }

  /** Who is present on a topic. */
  presence(topic) { return this._request({ op: "presence", topic }); }

  /** How many are present on a topic. */
  presenceStats(topic) { return this._request({ op: "presence-stats", topic }); }

  /** Renews the connection's token (before it expires); later connections use it too. */
  refresh(token) {
    this.options.token = token;
    return this._request({ op: "refresh", token });
  }

  /** Closes for good: no more reconnects. */
  close() {
    this._stopped = true;
    this._options_clear();
    if (this._socket) this._socket.close(1000, "bye");
    this._failAll(new ActorSocketError("closed", "the client was closed"));
    this._setState({ state: "closed", code: 1000, reason: "closed by the application" });
  }

  _options_clear() {
    if (this._retryTimer) this.options.timers.clearTimeout(this._retryTimer);
    this._retryTimer = null;
  }

  _emit(event, ...args) {
    for (const listener of this._listeners.get(event) || []) {
      try { listener(...args); } catch (error) { console.error(error); }
    }
  }

  _setState(change) {
    this.state = change.state;
    this._emit("state", change);
  }

  _subscribeRequest(subscription) {
    const request = { op: "subscribe", topic: subscription.topic };
    if (subscription.position && subscription.position.epoch) request.since = { epoch: subscription.position.epoch, offset: subscription.position.offset };
    return request;
  }

  async _open() {
    if (this._stopped) return;
    const url = this.urls[this._url % this.urls.length];
    this._setState({ state: "connecting", url });
    let token = this.options.token;
    if (this.options.tokenProvider) {
      try { token = await this.options.tokenProvider(); } catch (error) { token = null; this._emit("error", error); }
    }
    const full = token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url;
    let socket;
    try {
      socket = new this.options.WebSocket(full);
    } catch (error) {
      this._closed(url, undefined, String(error.message || error), false);
      return;
    }
    this._socket = socket;
    let opened = false;
    socket.onopen = async () => {
      opened = true;
      try {
        const connected = await this._send(socket, { op: "connect" });
        this.clientId = connected.client;
        this.user = connected.user || "";
        await Promise.all([...this._subscriptions.values()].map((subscription) => this._resubscribe(socket, subscription)));
      } catch (error) {
        socket.close(1011, "setup failed"); // answered by onclose
        return;
      }
      this._connectedAt = this.options.timers.now();
      this._setState({ state: "connected", url });
      this._firstConnect?.resolve();
      for (const waiter of this._waiting.splice(0)) waiter.resolve();
    };
    socket.onmessage = (event) => this._dispatch(JSON.parse(typeof event.data === "string" ? event.data : event.data.toString()));
    socket.onclose = (event) => {
      if (this._socket !== socket) return;
      this._socket = null;
      this._closed(url, opened ? event.code : (event.code === 1006 ? undefined : event.code), event.reason || (opened ? "connection closed" : "could not connect"), opened);
    };
    socket.onerror = () => { /* onclose follows with the code */ };
  }

  async _resubscribe(socket, subscription) {
    try {
      const ack = await this._send(socket, this._subscribeRequest(subscription));
      subscription._acknowledged(ack, true);
    } catch (error) {
      if (error instanceof ActorSocketError && ["forbidden", "unauthorized", "bad_request"].includes(error.code)) {
        this._subscriptions.delete(subscription.topic); // no longer allowed: it ends
        subscription.closed = true;
        subscription.handlers.onError?.(error, subscription);
      } else {
        throw error;
      }
    }
  }

  _closed(url, code, reason, opened) {
    for (const [, pending] of this._pending) pending.reject(new ActorSocketError("connection_lost", "the connection dropped before the answer (" + reason + "); the request may or may not have taken effect"));
    this._pending.clear();
    if (this._stopped) return;
    if (opened && this.options.timers.now() - this._connectedAt >= this.options.stableAfter && this._connectedAt > 0) this._attempt = 0;
    this._connectedAt = 0;
    const retry = worthRetrying(code, !!this.options.tokenProvider) && (this.options.maxReconnectAttempts === 0 || this._attempt < this.options.maxReconnectAttempts);
    if (!retry) {
      this._stopped = true;
      const error = new ActorSocketError(code === 3000 || code === 3001 ? "unauthorized" : "closed", "the connection to " + url + " ended (" + (code ?? "lost") + ": " + reason + ") and is not retried");
      this._setState({ state: "closed", code, reason, url });
      this._firstConnect?.reject(error);
      this._failAll(error);
      return;
    }
    const delay = backoffDelay(this._attempt++, this.options.reconnectFloor, this.options.reconnectCap, this.options.random());
    this._url++;
    this._setState({ state: "disconnected", code, reason, retryIn: delay, url });
    this._retryTimer = this.options.timers.setTimeout(() => { this._retryTimer = null; this._open(); }, delay);
  }

  _failAll(error) {
    for (const [, pending] of this._pending) pending.reject(error);
    this._pending.clear();
    for (const waiter of this._waiting.splice(0)) waiter.reject(error);
  }

  _dispatch(frame) {
    switch (frame.op) {
      case "message": {
        const subscription = this._find(frame.topic);
        if (subscription) subscription._deliver(frame);
        return;
      }
      case "join": case "leave": case "presence-diff":
        this._find(frame.topic)?.handlers.onPresence?.(frame);
        return;
      case "subscribed":
        this._emit("subscribed", frame.topic, frame);
        return;
      case "unsubscribed": {
        const ended = this._subscriptions.get(frame.topic);
        if (ended) { this._subscriptions.delete(frame.topic); ended.closed = true; }
        return;
      }
    }
    if (frame.id !== undefined && this._pending.has(frame.id)) {
      const pending = this._pending.get(frame.id);
      this._pending.delete(frame.id);
      if (frame.op === "error") pending.reject(new ActorSocketError(frame.code, frame.message));
      else pending.resolve(frame);
    } else if (frame.op === "error") {
      this._emit("error", new ActorSocketError(frame.code, frame.message));
    }
  }

  _find(topic) {
    const exact = this._subscriptions.get(topic);
    if (exact) return exact;
    for (const subscription of this._subscriptions.values()) if (matches(subscription.topic, topic)) return subscription;
    return null;
  }

  /** Sends on a given socket and waits for the answer (the connection being set up). */
  _send(socket, request) {
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      const timer = this.options.timers.setTimeout(() => { this._pending.delete(id); reject(new ActorSocketError("timeout", "no answer within " + this.options.requestTimeout + " ms")); }, this.options.requestTimeout);
      this._pending.set(id, {
        resolve: (frame) => { this.options.timers.clearTimeout(timer); resolve(frame); },
        reject: (error) => { this.options.timers.clearTimeout(timer); reject(error); },
      });
      socket.send(JSON.stringify({ ...request, id }));
    });
  }

  /** Waits for the connection (up to requestTimeout), then sends and waits for the answer. */
  async _request(request) {
    if (this._stopped) throw new ActorSocketError("closed", "the client was closed");
    if (this.state !== "connected" || !this._socket) {
      await new Promise((resolve, reject) => {
        const timer = this.options.timers.setTimeout(() => reject(new ActorSocketError("timeout", "not connected within " + this.options.requestTimeout + " ms")), this.options.requestTimeout);
        this._waiting.push({
          resolve: () => { this.options.timers.clearTimeout(timer); resolve(); },
          reject: (error) => { this.options.timers.clearTimeout(timer); reject(error); },
        });
      });
    }
    if (!this._socket) throw new ActorSocketError("connection_lost", "the connection dropped before the request was sent");
    return this._send(this._socket, request);
  }
}

/** NATS-style matching: "*" one token, ">" the rest; tokens split by "." after the namespace. */
function matches(pattern, topic) {
  if (!pattern.includes("*") && !pattern.includes(">")) return false;
  const [pns, prest] = split(pattern), [tns, trest] = split(topic);
  if (pns === null || pns !== tns) return false;
  const wanted = prest.split("."), tokens = trest.split(".");
  for (let i = 0; i < wanted.length; i++) {
    if (wanted[i] === ">") return tokens.length > i;
    if (i >= tokens.length || (wanted[i] !== "*" && wanted[i] !== tokens[i])) return false;
  }
  return wanted.length === tokens.length;
}

function split(topic) {
  const colon = topic.indexOf(":");
  return colon < 0 ? [null, ""] : [topic.slice(0, colon), topic.slice(colon + 1)];
}
