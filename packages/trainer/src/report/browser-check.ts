import { findExternalTool, missingToolMessage } from '@flexmoe/data';
import { chromium, type Browser } from 'playwright-core';

/** Chromium flags for a headless, offline, sandbox-free check (CI containers). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Launches headless Chromium with {@link CHROMIUM_ARGS}: `executablePath`, else `$CHROMIUM_PATH`, else `chromium`,
 * `chromium-browser` or `google-chrome` on `PATH` (@flexmoe/data findExternalTool). Every browser test (report,
 * web app) finds the browser here.
 */
export function launchChromium(executablePath?: string): Promise<Browser> {
  const found = executablePath ?? findExternalTool('chromium');
  if (found === undefined) throw new Error(missingToolMessage('chromium'));
  return chromium.launch({ executablePath: found, args: CHROMIUM_ARGS });
}

/** What a page looked like in headless Chromium. */
export interface PageCheck {
  consoleErrors: string[];
  /** Requests to anything but the file itself (a self-contained page makes none). */
  externalRequests: string[];
  /** Ids of `<section>` elements that are visible (non-zero size). */
  visibleSections: string[];
  /** Number of `<svg>` elements with a non-zero rendered size. */
  renderedSvgs: number;
}

/**
 * Opens an HTML file in headless Chromium, optionally saving a screenshot. The browser is `options.executablePath`,
 * else `$CHROMIUM_PATH`, else `chromium`, `chromium-browser` or `google-chrome` on `PATH` (@flexmoe/data findExternalTool).
 */
export async function checkPageInChromium(
  htmlPath: string,
  options: { screenshotPath?: string; executablePath?: string } = {},
): Promise<PageCheck> {
  const browser = await launchChromium(options.executablePath);
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const consoleErrors: string[] = [];
    const externalRequests: string[] = [];
    const fileUrl = `file://${htmlPath}`;
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    page.on('request', (req) => {
      if (req.url() !== fileUrl) externalRequests.push(req.url());
    });
    await page.goto(fileUrl, { waitUntil: 'load' });
    const visibleSections = await page.$$eval('section', (els) =>
      els.filter((e) => e.getBoundingClientRect().height > 0 && e.getBoundingClientRect().width > 0).map((e) => e.id),
    );
    const renderedSvgs = await page.$$eval(
      'svg',
      (els) => els.filter((e) => e.getBoundingClientRect().height > 10 && e.getBoundingClientRect().width > 10).length,
    );
    if (options.screenshotPath) await page.screenshot({ path: options.screenshotPath, fullPage: true });
    return { consoleErrors, externalRequests, visibleSections, renderedSvgs };
  } finally {
    await browser.close();
  }
}
