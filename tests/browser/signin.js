// The chat page's sign-in: one page signs in with the demo token issuer, the other stays a guest;
// the signed-in page shows the name its token carries, and its messages reach the other page.
// Usage: node signin.js http://127.0.0.1:PORT/
// Prints "ok" and exits 0 on success; bounded by a 60 s deadline.
const { launch } = require('./launch');

const [base] = process.argv.slice(2);
const deadline = setTimeout(() => { console.error('timeout'); process.exit(1); }, 60000);

(async () => {
  const browser = await launch();
  try {
    const alice = await browser.newPage();
    const guest = await browser.newPage();
    await alice.goto(base + '?nick=typed-name&signin=alice&room=signin');
    await guest.goto(base + '?nick=guest-1&room=signin');
    await alice.waitForSelector('#status.online', { timeout: 15000 });
    await guest.waitForSelector('#status.online', { timeout: 15000 });

    // The name comes from the server's "connected" answer, and can no longer be typed over.
    await alice.locator('#signin', { hasText: 'Signed in as alice' }).waitFor({ timeout: 15000 });
    if (await alice.inputValue('#nick') !== 'alice' || !(await alice.locator('#nick').evaluate((input) => input.readOnly))) {
      throw new Error('the signed-in page does not show the token\'s name');
    }
    if (await guest.locator('#nick').evaluate((input) => input.readOnly)) {
      throw new Error('the guest page is signed in');
    }

    await alice.fill('#text', 'signed hello');
    await alice.press('#text', 'Enter');
    const line = guest.locator('#log li', { hasText: 'signed hello' });
    await line.waitFor({ timeout: 15000 });
    if (await line.locator('.nick').textContent() !== 'alice:') {
      throw new Error('unexpected name: ' + await line.locator('.nick').textContent());
    }

    // Who is in the room, live: both pages list both people, the signed-in one by its token's name.
    for (const page of [alice, guest]) {
      await page.locator('#people li', { hasText: 'alice' }).waitFor({ timeout: 15000 });
      await page.locator('#people li', { hasText: 'guest' }).waitFor({ timeout: 15000 });
    }
    await guest.close();
    await alice.locator('#people li', { hasText: 'guest' }).waitFor({ state: 'detached', timeout: 15000 });
    console.log('ok');
  } finally {
    await browser.close();
    clearTimeout(deadline);
  }
})().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
