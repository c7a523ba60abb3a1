/**
 * Real Chromium for the dashboard's tests (Debian's `chromium` package; CI installs it). Tests that need it
 * skip with `chromiumMissing` as the reason where it is not installed, and say so.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** false where Chromium is installed, else the skip reason naming the package to install */
export const chromiumMissing: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found: install Chromium (apt-get install -y chromium) to run the dashboard browser tests`;

/** Headless Chromium without background traffic, so a test sees only its own requests. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Opens the dashboard at `url` and logs in with the admin token through the login form. */
export async function loggedInPage(browser: Browser, url: string, adminToken: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
  await page.goto(`${url}/`);
  await page.fill('#login-token', adminToken);
  await page.click('#login-submit');
  await page.waitForFunction(() => !location.hash.endsWith('/login'));
  return page;
}
