// The chat page reconnects with backoff when its connection drops.
// Usage: node reconnect.js http://127.0.0.1:PORT/
// Protocol with the test: prints "online" once joined; the test restarts the server on the same
// port and writes "restarted" to stdin; the page must come back online and chat again ("ok").
const { launch } = require('./launch');
const readline = require('readline');

const [base] = process.argv.slice(2);
// Generous: on a loaded 2-core CI machine a restart and the page's backoff (at most 15 s) take a while.
const deadline = setTimeout(() => { console.error('timeout'); process.exit(1); }, 90000);
const lines = readline.createInterface({ input: process.stdin });
const restarted = new Promise((resolve) => lines.on('line', (line) => { if (line.trim() === 'restarted') resolve(); }));

(async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(base + '?nick=carol&room=again');
    await page.waitForSelector('#status.online', { timeout: 15000 });
    console.log('online');
    await page.waitForSelector('#status.offline', { timeout: 15000 }); // the server went away
    await restarted;
    await page.waitForSelector('#status.online', { timeout: 45000 }); // backoff brought it back
    await page.fill('#text', 'back again');
    await page.press('#text', 'Enter');
    await page.locator('#log li', { hasText: 'back again' }).waitFor({ timeout: 15000 });
    console.log('ok');
  } finally {
    await browser.close();
    clearTimeout(deadline);
    lines.close();
  }
})().catch((error) => { console.error(error.stack || String(error)); process.exit(1); });
