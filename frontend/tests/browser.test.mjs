// The whole application in headless Chromium, as a person would use it: register, log in, add a
// movie, search it, add it to the watchlist, mark it watched with a rating, reload, remove it, and
// see an API error. BASE_URL is the gateway of scripts/run-local.sh (scripts/test.sh starts it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const baseUrl = process.env.BASE_URL;
if (!baseUrl) throw new Error('BASE_URL is not set: run this through scripts/test.sh, or start scripts/run-local.sh and set BASE_URL to its URL');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const artifacts = join(import.meta.dirname, '..', 'test-artifacts');

let browser;
let page;
const problems = [];

before(async () => {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('status of 4')) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
  });
});

after(async () => {
  await browser?.close();
});

const unique = `${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
const username = `viewer_${unique}`;
const title = `Browser Test Movie ${unique}`;

test('a person registers, curates a movie and keeps a watchlist', async () => {
  await page.goto(`${baseUrl}/#/movies`);
  await page.getByRole('heading', { name: 'Movies' }).waitFor();

  await page.getByRole('navigation').getByRole('link', { name: 'Register' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password').fill('a long password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'My watchlist' }).waitFor();
  assert.equal(await page.getByTestId('username').textContent(), username);
  await page.getByTestId('empty-watchlist').waitFor();

  await page.getByRole('link', { name: 'Add a movie' }).click();
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Genre').fill('Drama');
  await page.getByLabel('Year').fill('1999');
  await page.getByRole('button', { name: 'Add movie' }).click();
  await page.getByRole('heading', { name: title }).waitFor();

  await page.getByRole('navigation').getByRole('link', { name: 'Movies' }).click();
  await page.getByLabel('Search movies by title').fill(unique);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('movie-list').getByRole('link', { name: title }).waitFor();
  assert.equal(await page.getByTestId('result-summary').textContent(), '1 movie');

  await page.getByTestId('movie-list').getByRole('link', { name: title }).click();
  await page.getByRole('button', { name: 'Add to my watchlist' }).click();
  await page.getByText('is on your watchlist').waitFor();

  await page.getByRole('link', { name: 'My watchlist' }).click();
  const entry = page.getByTestId('watchlist-entry').filter({ hasText: title });
  await entry.waitFor();
  await entry.getByLabel('Watched').check();
  await page.getByText('Marked as watched.').waitFor();
  await entry.getByRole('button', { name: 'Rate 4 of 5' }).click();
  await page.getByText('Rated 4 of 5.').waitFor();
  assert.equal(await entry.getByTestId('rating-label').textContent(), 'Rated 4 of 5');

  await page.reload();
  const reloaded = page.getByTestId('watchlist-entry').filter({ hasText: title });
  await reloaded.waitFor();
  assert.equal(await reloaded.getByLabel('Watched').isChecked(), true, 'the watched flag is kept');
  assert.equal(await reloaded.getByTestId('rating-label').textContent(), 'Rated 4 of 5', 'the rating is kept');
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'watchlist.png'), fullPage: true });

  await reloaded.getByRole('button', { name: 'Remove' }).click();
  await page.getByTestId('empty-watchlist').waitFor();
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
});

test('an API error is shown to the person', async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('navigation').getByRole('link', { name: 'Log in' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('main').getByRole('button', { name: 'Log in' }).click();
  const alert = page.getByTestId('error');
  await alert.waitFor();
  assert.match(await alert.textContent(), /unknown username or wrong password/i);

  await page.getByRole('navigation').getByRole('link', { name: 'Register' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`other_${username}@example.com`);
  await page.getByLabel('Password').fill('a long password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('username is already taken').waitFor();
});
