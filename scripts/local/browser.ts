// Debian's Chromium, headless, driven by playwright-core: how the tests and benchmarks look at
// the dashboard as a user would. Every launch gets a fresh profile and no background traffic.
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

const flags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a throwaway profile (removed on close). */
export async function launchBrowser(): Promise<Browser> {
  try {
    await Deno.stat(chromiumPath);
  } catch {
    throw new Error(
      `${chromiumPath} is missing: install Debian's chromium (scripts/local/run.sh does it as root)`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "bison-dashboard-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: flags,
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** Signs in through the dashboard's own form and waits for the signed-in frame. */
export async function signInToDashboard(
  page: Page,
  dashboardUrl: string,
  login: { email: string; password: string },
): Promise<void> {
  await page.goto(dashboardUrl);
  await page.fill('input[name="email"]', login.email);
  await page.fill('input[name="password"]', login.password);
  await page.click('button[type="submit"]');
  await page.waitForSelector(`[data-user="${login.email}"]`);
}
