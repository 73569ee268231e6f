// The chat page recovers what it missed after a dropped connection, and a new page shows the
// room's recent history.
// Usage: node recover.js http://127.0.0.1:PROXY/ EXPECTED_BEFORE EXPECTED_AFTER
// Protocol with the test: prints "online" once the page has joined (showing EXPECTED_BEFORE, a
// comma-separated list, from the history); the test drops the page's connection, publishes more
// and lets it reconnect, then writes "released"; the page must show EXPECTED_AFTER exactly once
// each, in order, after what it showed before; a page opened then shows all of them. Prints "ok".
const { launch } = require('./launch');
const readline = require('readline');

const [base, before, after] = process.argv.slice(2);
const deadline = setTimeout(() => { console.error('timeout'); process.exit(1); }, 90000);
const lines = readline.createInterface({ input: process.stdin });
const released = new Promise((resolve) => lines.on('line', (line) => { if (line.trim() === 'released') resolve(); }));
const texts = (page) => page.locator('#log li .text').allTextContents();
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

(async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(base + '?nick=dave&room=recover');
    await page.waitForSelector('#status.online', { timeout: 15000 });
    const first = before.split(',');
    if (!same(await texts(page), first)) throw new Error('history shown: ' + (await texts(page)).join(','));
    console.log('online');
    await page.waitForSelector('#status.offline', { timeout: 15000 }); // the connection dropped
    await released;
    await page.waitForSelector('#status.online', { timeout: 45000 }); // back, with since
    const all = first.concat(after.split(','));
    await page.locator('#log li .text', { hasText: all[all.length - 1] }).waitFor({ timeout: 15000 });
    if (!same(await texts(page), all)) throw new Error('after recovery: ' + (await texts(page)).join(','));
    if (await page.locator('#log .system').count() !== 0) throw new Error('the page says it lost messages');

    const fresh = await browser.newPage();
    await fresh.goto(base + '?nick=erin&room=recover');
    await fresh.waitForSelector('#status.online', { timeout: 15000 });
    if (!same(await texts(fresh), all)) throw new Error('a new page shows: ' + (await texts(fresh)).join(','));
    console.log('ok');
  } finally {
    await browser.close();
    clearTimeout(deadline);
  }
})().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
