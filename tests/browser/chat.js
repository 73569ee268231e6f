// Two chat pages in headless Chromium: a message typed in one appears in the other.
// Usage: node chat.js http://127.0.0.1:PORT/ SCREENSHOT.png
// Prints "ok" and exits 0 on success; bounded by a 60 s deadline.
const { launch } = require('./launch');

const [base, screenshot] = process.argv.slice(2);
const deadline = setTimeout(() => { console.error('timeout'); process.exit(1); }, 60000);

(async () => {
  const browser = await launch();
  try {
    const alice = await browser.newPage();
    const bob = await browser.newPage();
    await alice.goto(base + '?nick=alice&room=test');
    await bob.goto(base + '?nick=bob&room=test');
    // Both have joined once their status says so (the subscribe was acknowledged).
    await alice.waitForSelector('#status.online', { timeout: 15000 });
    await bob.waitForSelector('#status.online', { timeout: 15000 });

    await alice.fill('#text', 'hello from alice <b>not bold</b>');
    await alice.press('#text', 'Enter');
    const line = bob.locator('#log li', { hasText: 'hello from alice' });
    await line.waitFor({ timeout: 15000 });
    const nick = await line.locator('.nick').textContent();
    const text = await line.locator('.text').textContent();
    if (nick !== 'alice:' || text !== 'hello from alice <b>not bold</b>') {
      throw new Error(`unexpected line: ${nick} ${text}`);
    }
    // The sender sees its own message too (it is subscribed to the room).
    await alice.locator('#log li', { hasText: 'hello from alice' }).waitFor({ timeout: 15000 });

    await bob.fill('#text', 'hi alice, bob here');
    await bob.press('#text', 'Enter');
    await alice.locator('#log li', { hasText: 'bob here' }).waitFor({ timeout: 15000 });
    await bob.locator('#log li', { hasText: 'bob here' }).waitFor({ timeout: 15000 });
    await bob.screenshot({ path: screenshot });
    console.log('ok');
  } finally {
    await browser.close();
    clearTimeout(deadline);
  }
})().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
