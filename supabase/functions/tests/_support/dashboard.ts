// What the dashboard's browser tests share: the build (made once per run: npm test builds it in
// its static step, and a selected run builds it here only when the sources changed), a static
// server for it pointed at a test API, and screenshots.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { stackConfig } from "../../../../scripts/local/config.ts";
import { buildDashboard, serveDashboard } from "../../../../scripts/local/dashboard.ts";
import { testStack } from "./stack.ts";

const testDir = stackConfig("test").dir;
export const screenshotDir = join(testDir, "screenshots");

/** The test stack's build of the dashboard (built only when its sources changed). */
export async function dashboardBuild(): Promise<string> {
  const dir = join(testDir, "dashboard");
  await buildDashboard(dir);
  return dir;
}

/** The build served on a free port, its config.json naming the given project URL. */
export async function startDashboard(supabaseUrl: string) {
  return serveDashboard(await dashboardBuild(), {
    supabaseUrl,
    supabaseAnonKey: testStack().anonKey,
  });
}

/** A full-page screenshot under .local/test*\/screenshots/, for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
