// An invited person in a real browser (headless Chromium), as an operator invites them: `bison
// member add` without a password prints an invite link; opening it lands on the dashboard, which
// asks them to choose a password (again after a reload; Auth's refusals shown as text), then
// shows the overview with only their workspace; signed out, they sign in with that password. A
// link opened twice says why on the sign-in page. Each page is saved as a screenshot under .local/test*/screenshots/.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { testStack } from "../_support/stack.ts";
import { withPeople } from "../_support/members.ts";
import { screenshot, startDashboard } from "../_support/dashboard.ts";
import { launchBrowser, signInToDashboard } from "../../../../scripts/local/browser.ts";

const domain = "invite-browser.example.test";
/** Auth's words for a password under the minimum length (config.toml keeps the default, 6). */
const tooShort = "Password should be at least 6 characters.";

async function choose(page: Page, password: string, again = password) {
  await page.fill('input[name="new-password"]', password);
  await page.fill('input[name="confirm-password"]', again);
  await page.click('button[type="submit"]');
}

const problem = (page: Page, text: string) =>
  page.locator(".problem", { hasText: text }).waitFor({ timeout: 10_000 });

Deno.test({
  name: "an invited person chooses a password on the dashboard and signs in with it",
  // The browser and the API outlive each step; everything is closed at the end.
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  await withPeople(["Invited Client", "Someone Else's Client"], domain, async (people) => {
    const { api, cli, workspaceIds: [theirs, other] } = people;
    const dashboard = await startDashboard(api.url);
    const browser = await launchBrowser();
    const uncaught: string[] = [];
    try {
      const email = `invitee-${crypto.randomUUID().slice(0, 8)}@${domain}`;
      const chosen = "a password of my own";
      // The test's dashboard is not on the Site URL: the operator names where it is.
      const where = ["--workspace", String(theirs), "--redirect-to", dashboard.url];
      const invited = await cli(["member", "add", "--email", email, ...where]);
      assert.equal(invited.code, 0, invited.stderr);
      // The link names the project's API URL, served here by the test's gateway.
      const link = (invited.result as { invite_link: string }).invite_link
        .replace(testStack().apiUrl, api.url);
      const passwordHash = async () =>
        (await people.sql`select encrypted_password from auth.users where email = ${email}`)[0]
          .encrypted_password as string;
      let linkHash = "";
      const page = await browser.context.newPage();
      page.on("pageerror", (error) => uncaught.push(error.message));

      await t.step(
        "the link opens the password form, tokens off the address bar, again after a reload",
        async () => {
          await page.goto(link);
          await page.waitForSelector("h1:has-text('Choose your password')");
          assert.equal(page.url(), `${dashboard.url}/#/`);
          assert.equal(await page.evaluate(() => location.href.includes("token")), false);
          assert.equal(await page.locator("nav.top").count(), 0, "no pages before the password");
          linkHash = await passwordHash();
          await page.reload();
          await page.waitForSelector("h1:has-text('Choose your password')");
          await screenshot(page, "choose-password");
        },
      );

      await t.step("a weak password and a mistyped repeat are refused, as text", async () => {
        await choose(page, "short");
        await problem(page, tooShort);
        await screenshot(page, "choose-password-weak");
        await choose(page, chosen, `${chosen}!`);
        await problem(page, "The two passwords differ.");
        assert.equal(await passwordHash(), linkHash, "nothing saved yet");
      });

      await t.step("the password saved, the overview shows only their workspace", async () => {
        await choose(page, chosen);
        await page.waitForSelector("[data-ready]");
        assert.notEqual(await passwordHash(), linkHash);
        await page.waitForSelector(`[data-user="${email}"]`);
        assert.equal(await page.locator("table.clients tbody tr").count(), 1);
        assert.equal(await page.locator(`[data-workspace="${theirs}"]`).count(), 1);
        assert.equal(await page.locator(`[data-workspace="${other}"]`).count(), 0);
        await screenshot(page, "overview-invited");
      });

      await t.step("signed out, they sign in with the password they chose", async () => {
        await page.click("nav.top button:has-text('Sign out')");
        await page.waitForSelector('input[name="email"]');
        await signInToDashboard(page, dashboard.url, { email, password: chosen });
        await page.waitForSelector("[data-ready]");
        assert.equal(await page.locator(`[data-workspace="${theirs}"]`).count(), 1);
      });

      await t.step("the link works once: opened again, the sign-in page says why", async () => {
        await page.click("nav.top button:has-text('Sign out')");
        await page.waitForSelector('input[name="email"]');
        await page.goto(link);
        await problem(page, "Email link is invalid or has expired");
        assert.equal(page.url(), `${dashboard.url}/#/`);
        await screenshot(page, "invite-link-used");
      });
      assert.deepEqual(uncaught, []);
    } finally {
      await browser.close();
      await dashboard.close();
    }
  });
});
