// The JavaScript client (src/ClientJs/actorsocket.js) in Node, with Debian's ws as its WebSocket:
// its backoff and retry rules, its waits on fake timers (no sleeps), and requests against a real
// server. Usage: node client.js ws://127.0.0.1:PORT/pubsub  -> prints "ok".
const path = require('path');
const assert = require('assert');
const WebSocket = require('/usr/share/nodejs/ws');

const [url] = process.argv.slice(2);
const deadline = setTimeout(() => { console.error('timeout'); process.exit(1); }, 60000);

/** Timers the test fires by hand: setTimeout records, advance() runs what is due. */
function fakeTimers() {
  let now = 0, next = 1;
  const due = new Map();
  return {
    setTimeout: (f, ms) => { const id = next++; due.set(id, { at: now + ms, f }); return id; },
    clearTimeout: (id) => due.delete(id),
    now: () => now,
    pending: () => [...due.values()].map((t) => t.at - now).sort((a, b) => a - b),
    advance(ms) {
      now += ms;
      for (const [id, t] of [...due]) if (t.at <= now) { due.delete(id); t.f(); }
    },
  };
}

(async () => {
  const { ActorSocketClient, backoffDelay, worthRetrying, ActorSocketError } = await import(path.join(__dirname, '..', '..', 'src', 'ClientJs', 'actorsocket.js'));

  // The wait: floor + random x (min(cap, floor x 2^(n+1)) - floor).
  assert.strictEqual(backoffDelay(0, 500, 30000, 0), 500);
  assert.strictEqual(backoffDelay(1, 500, 30000, 0.5), 1250);
  assert.strictEqual(backoffDelay(10, 500, 30000, 1), 30000);
  for (const [code, provider, retried] of [[undefined, false, true], [1001, false, true], [1012, false, true], [1008, false, true], [1002, false, false], [3002, true, false], [3000, false, false], [3000, true, true], [3001, true, true]]) {
    assert.strictEqual(worthRetrying(code, provider), retried, 'close ' + code);
  }

  // Nobody listens on these: each attempt fails at once; the next waits exactly its backoff on the client's clock.
  const timers = fakeTimers();
  const randoms = [0.25, 0.5, 0.75];
  let draws = 0;
  const refused = ['ws://127.0.0.1:1/pubsub', 'ws://127.0.0.1:2/pubsub'];
  const lonely = new ActorSocketClient(refused, { WebSocket, timers, random: () => randoms[draws++ % 3], reconnectFloor: 1000, reconnectCap: 60000 });
  const changes = [];
  let wake = null;
  lonely.on('state', (change) => { changes.push(change); if (wake) wake(); });
  const changed = (count) => new Promise((resolve) => { wake = () => { if (changes.length >= count) resolve(); }; wake(); });
  lonely.connect().catch(() => {});
  for (let attempt = 0; attempt < 3; attempt++) {
    await changed(2 * attempt + 2);
    const [tried, lost] = changes.slice(2 * attempt, 2 * attempt + 2);
    assert.deepStrictEqual([tried.state, tried.url], ['connecting', refused[attempt % 2]]);
    assert.strictEqual(lost.state, 'disconnected');
    assert.strictEqual(lost.retryIn, backoffDelay(attempt, 1000, 60000, randoms[attempt]));
    timers.advance(lost.retryIn - 1);
    assert.strictEqual(changes.length, 2 * attempt + 2, 'no attempt before its time');
    timers.advance(1);
  }
  lonely.close();

  // A real server: publish, subscribe with the position, history, and an error with its code.
  const client = new ActorSocketClient(url, { WebSocket });
  await client.connect();
  const got = [];
  let arrived = null;
  const subscription = await client.subscribe('room:js', { onMessage: (m) => { got.push(m); if (arrived) arrived(); } });
  assert.ok(subscription.position && subscription.position.epoch, 'room keeps history: a position');
  await client.publish('room:js', { n: 1 });
  await new Promise((resolve) => { arrived = () => got.length >= 1 && resolve(); arrived(); });
  assert.deepStrictEqual([got[0].offset, got[0].data], [1, { n: 1 }]);
  const history = await client.history('room:js', { limit: 1 });
  assert.strictEqual(history.messages[0].offset, 1);
  await assert.rejects(client.history('plain:js'), (error) => error instanceof ActorSocketError && error.code === 'bad_request');
  client.close();
  await assert.rejects(client.publish('room:js', 1), (error) => error.code === 'closed');
  console.log('ok');
  clearTimeout(deadline);
})().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
