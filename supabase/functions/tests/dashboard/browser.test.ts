// The dashboard in a real browser (Debian's headless Chromium through playwright-core), against a
// test API serving Auth, the Data API, Realtime and the functions: a member signs in and sees
// only their workspace, with the database's numbers; a posted webhook changes the page without a
// reload; a lost connection shows "Offline" and recovers; only agency admins may set targets.
// Each page is saved as a screenshot under .local/test*/screenshots/.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createClient } from "@supabase/supabase-js";
import { connect, startTestApi, testStack } from "../_support/stack.ts";
import { newWorkspace } from "../_support/realtime.ts";
import { relay } from "../_support/relay.ts";
import { screenshot, startDashboard } from "../_support/dashboard.ts";
import { createPasswordUser } from "../_support/members.ts";
import { launchBrowser, signInToDashboard } from "../../../../scripts/local/browser.ts";
import { bisonEvent } from "../../../../scripts/simulator/bison-events.ts";

const sql = connect();
let nextEventId = 7_000_000 + Math.floor(Math.random() * 1_000_000) * 100;

/** Bison sends the workspace's name with every event: it must reach the page as text. */
const shownName = `Acme <img src=x onerror="window.__injected = true"> & "Co"`;
const hiddenName = "Hidden Client Zeta";

async function post(webhookUrl: string, type: string, workspaceName: string) {
  const response = await fetch(webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(bisonEvent(type, { id: nextEventId++, workspaceName })),
  });
  assert.equal(response.status, 200, await response.text());
}

const numberIn = async (page: Page, selector: string) =>
  Number((await page.textContent(selector))?.replaceAll(",", ""));

const cell = (workspaceId: number, metric: string) =>
  `[data-workspace="${workspaceId}"] [data-metric="${metric}"]`;

/** Waits until the element shows exactly this number (as the page formats it). */
async function shows(page: Page, selector: string, value: number, timeout: number) {
  const text = value.toLocaleString("en-US");
  await page.locator(selector, { hasText: new RegExp(`^${text}$`) }).waitFor({ timeout });
}

/** Waits until every read of the page has answered (no "Loading…" left). */
async function settled(page: Page) {
  await page.locator("main.page").waitFor();
  await page.getByText("Loading…").first().waitFor({ state: "detached" });
}

async function signOut(page: Page) {
  await page.click("nav.top button:has-text('Sign out')");
  await page.waitForSelector('input[name="email"]');
}

Deno.test({
  name: "the dashboard in a browser",
  // The browser and the API outlive each step; everything is closed at the end.
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const api = await startTestApi();
  const network = relay(api.url);
  const dashboard = await startDashboard(network.url);
  const browser = await launchBrowser();
  const uncaught: string[] = [];
  try {
    const shown = await newWorkspace(sql, api);
    const hidden = await newWorkspace(sql, api);
    for (
      const type of ["EMAIL_SENT", "EMAIL_SENT", "EMAIL_SENT", "LEAD_REPLIED", "LEAD_INTERESTED"]
    ) {
      await post(shown.webhookUrl, type, shownName);
    }
    await post(hidden.webhookUrl, "EMAIL_SENT", hiddenName);
    const member = await createPasswordUser(api.url, "dashboard-member");
    await sql`insert into public.workspace_members (user_id, workspace_id)
              values (${member.id}, ${shown.workspaceId})`;
    const admin = await createPasswordUser(api.url, "dashboard-admin");
    await sql`insert into public.agency_admins (user_id) values (${admin.id})`;

    const page = await browser.context.newPage();
    page.on("pageerror", (error) => uncaught.push(error.message));

    await t.step("a member signs in and sees only their workspace", async () => {
      await page.goto(dashboard.url);
      await page.waitForSelector('input[name="email"]');
      await screenshot(page, "sign-in");
      await signInAs(page, dashboard.url, member);
      assert.equal(await page.locator("table.clients tbody tr").count(), 1);
      assert.equal(await page.locator(`[data-workspace="${shown.workspaceId}"]`).count(), 1);
      assert.ok(!(await page.content()).includes(hiddenName));
      await page.waitForSelector('[data-connection="live"]');
      await screenshot(page, "overview-member");
    });

    await t.step("names from Bison are shown as text, never run", async () => {
      const link = page.locator(`[data-workspace="${shown.workspaceId}"] td.client a`);
      assert.equal(await link.textContent(), shownName);
      assert.equal(await page.locator("td.client img").count(), 0);
      assert.equal(await page.evaluate(() => "__injected" in globalThis), false);
    });

    await t.step("the overview shows the database's numbers", async () => {
      const rows = await sql`
        select period, emails_sent, replies, interested from public.workspace_kpis
        where workspace_id = ${shown.workspaceId} and period in ('today', 'month_to_date')`;
      const today = rows.find((row) => row.period === "today")!;
      assert.equal(Number(today.emails_sent), 3);
      for (const metric of ["emails_sent", "replies", "interested"]) {
        assert.equal(
          await numberIn(page, cell(shown.workspaceId, `today.${metric}`)),
          Number(today[metric]),
          metric,
        );
      }
    });

    await t.step(
      "a posted webhook changes the shown count within 2 s, without a reload",
      async () => {
        const selector = cell(shown.workspaceId, "today.emails_sent");
        const before = await numberIn(page, selector);
        await page.evaluate(() => Object.assign(globalThis, { __sameDocument: true }));
        await post(shown.webhookUrl, "EMAIL_SENT", shownName);
        await shows(page, selector, before + 1, 2_000);
        assert.equal(await page.evaluate(() => "__sameDocument" in globalThis), true);
      },
    );

    await t.step("a client the member does not belong to never appears", async () => {
      await post(hidden.webhookUrl, "EMAIL_SENT", hiddenName);
      await page.goto(`${dashboard.url}/#/client/${hidden.workspaceId}`);
      await page.waitForSelector("h1:has-text('Client not found')");
      for (const path of ["#/", "#/infrastructure", "#/health"]) {
        await page.goto(`${dashboard.url}/${path}`);
        await settled(page);
        assert.ok(!(await page.content()).includes(hiddenName), path);
      }
      assert.equal(await page.locator(`[data-workspace="${hidden.workspaceId}"]`).count(), 0);
    });

    await t.step("infrastructure and health pages", async () => {
      await page.goto(`${dashboard.url}/#/infrastructure`);
      await page.waitForSelector("main.infrastructure h1");
      await settled(page);
      await screenshot(page, "infrastructure-member");
      await page.goto(`${dashboard.url}/#/health`);
      await page.waitForSelector("main.health h1");
      await settled(page);
      await screenshot(page, "health-member");
    });

    await t.step("the client page shows the database's numbers and updates live", async () => {
      await page.goto(`${dashboard.url}/#/client/${shown.workspaceId}`);
      await page.waitForSelector('[data-period="month_to_date"]');
      const kpis = await sql`
        select period, emails_sent, replies, interested, bounces from public.workspace_kpis
        where workspace_id = ${shown.workspaceId}`;
      for (const row of kpis) {
        for (const metric of ["emails_sent", "replies", "interested", "bounces"]) {
          assert.equal(
            await numberIn(page, `[data-metric="${row.period}.${metric}"]`),
            Number(row[metric]),
            `${row.period}.${metric}`,
          );
        }
      }
      const campaigns = await sql`
        select campaign_id, emails_sent, replies, interested from public.campaign_metrics
        where workspace_id = ${shown.workspaceId}`;
      assert.ok(campaigns.length > 0);
      for (const campaign of campaigns) {
        for (const metric of ["emails_sent", "replies", "interested"]) {
          assert.equal(
            await numberIn(
              page,
              `[data-campaign="${campaign.campaign_id}"] [data-value="${metric}"]`,
            ),
            Number(campaign[metric]),
          );
        }
      }
      const feedBefore = await page.locator("[data-activity]").count();
      await post(shown.webhookUrl, "LEAD_REPLIED", shownName);
      await page.locator("[data-activity]").nth(feedBefore).waitFor({ timeout: 2_000 });
      await screenshot(page, "client-member");
    });

    await t.step("Generate asks the insights function as the member", async () => {
      await page.click("button.generate");
      await page.waitForSelector("[data-insight]", { timeout: 15_000 });
      const [{ count }] = await sql`
        select count(*)::int from public.insights
        where workspace_id = ${shown.workspaceId} and requested_by = ${member.id}`;
      assert.equal(count, 1);
    });

    await t.step("a member cannot set targets: no form, and the database refuses", async () => {
      assert.equal(await page.locator("form.target-form").count(), 0);
      const client = createClient(api.url, testStack().anonKey, {
        auth: { persistSession: false, autoRefreshToken: false },
      });
      const { error: signInError } = await client.auth.signInWithPassword(member);
      assert.equal(signInError, null);
      const { error } = await client.rpc("set_workspace_target", {
        workspace_id: shown.workspaceId,
        metric: "interested",
        target: 10,
      });
      assert.equal(error?.code, "42501");
      await client.auth.signOut();
    });

    await t.step("a lost connection shows Offline and recovers by itself", async () => {
      await page.goto(dashboard.url);
      await page.waitForSelector('[data-connection="live"]');
      const selector = cell(shown.workspaceId, "today.emails_sent");
      const before = await numberIn(page, selector);
      network.offline();
      await page.waitForSelector('[data-connection="offline"]', { timeout: 10_000 });
      await screenshot(page, "overview-offline");
      await post(shown.webhookUrl, "EMAIL_SENT", shownName);
      network.online();
      await page.waitForSelector('[data-connection="live"]', { timeout: 30_000 });
      // What happened while offline is read again once the channels have rejoined.
      await shows(page, selector, before + 1, 5_000);
    });

    await t.step(
      "an agency admin sees every client, can set a target, and sees health live",
      async () => {
        await signOut(page);
        await signInAs(page, dashboard.url, admin);
        await page.waitForSelector(`[data-workspace="${hidden.workspaceId}"]`);
        await page.waitForSelector(`[data-user="${admin.email}"]:has-text("agency admin")`);
        await screenshot(page, "overview-admin");
        await page.goto(`${dashboard.url}/#/client/${shown.workspaceId}`);
        await page.waitForSelector("form.target-form");
        await page.selectOption('form.target-form select[name="metric"]', "interested");
        await page.fill('form.target-form input[name="target"]', "40");
        await page.click('form.target-form button[type="submit"]');
        await page.waitForSelector("form.target-form .form-message:has-text('Saved')");
        const [row] = await sql`
        select target, set_by from public.workspace_targets
        where workspace_id = ${shown.workspaceId} and metric = 'interested'
        order by set_at desc limit 1`;
        assert.equal(Number(row.target), 40);
        assert.equal(row.set_by, admin.id);
        await page.waitForSelector('.pacing[data-metric="interested"] [data-value="target"]');
        assert.equal(
          await numberIn(page, '.pacing[data-metric="interested"] [data-value="target"]'),
          40,
        );
        await screenshot(page, "client-admin");
        await page.goto(dashboard.url);
        await page.waitForSelector(
          `[data-workspace="${shown.workspaceId}"] .pacing[data-metric="interested"]`,
        );
        await page.waitForSelector('[data-connection="live"]');
        await screenshot(page, "overview-admin-target");
        await page.goto(`${dashboard.url}/#/health`);
        await page.waitForSelector("main.health h1");
        await settled(page);
        // The checks run (as pg_cron has them run) while the page is open: they appear live.
        const scope = `[data-scope="workspace:${shown.workspaceId}"]`;
        assert.equal(await page.locator(`table.checks ${scope}`).count(), 0);
        await sql`select private.run_health_checks()`;
        await page.locator(`table.checks ${scope}`).first().waitFor({ timeout: 5_000 });
        await page.locator(`table.history ${scope}`).first().waitFor({ timeout: 5_000 });
        await screenshot(page, "health-admin");
      },
    );

    assert.deepEqual(uncaught, []);
  } finally {
    await browser.close();
    await dashboard.close();
    network.close();
    await api.close();
    await sql.end();
  }
});

async function signInAs(page: Page, url: string, user: { email: string; password: string }) {
  await signInToDashboard(page, url, user);
  await page.waitForSelector("[data-ready]");
}
