// The deterministic rules: 3-5 insights, each citing facts that exist, with the facts' numbers.
import assert from "node:assert/strict";
import { rulesInsights, trendOf } from "./rules.ts";
import type { Fact } from "./types.ts";

const rate = (current: number | null, previous: number | null, extra = {}) => ({
  current_pct: current,
  previous_pct: previous,
  baseline_90d_pct: 2,
  typical_low_pct: 1,
  typical_high_pct: 5,
  versus_typical: current === null ? null : "within",
  ...extra,
});

const busy: Fact[] = [
  { id: "period", kind: "period", numbers: { period_days: 14 } },
  {
    id: "sends",
    kind: "volume",
    numbers: { current: 12000, previous: 10000, change: 2000, change_pct: 20 },
  },
  { id: "replies", kind: "volume", numbers: { current: 240, previous: 250 } },
  { id: "interested", kind: "volume", numbers: { current: 30, previous: 20 } },
  { id: "bounces", kind: "volume", numbers: { current: 360, previous: 100 } },
  { id: "reply_rate", kind: "rate", numbers: rate(2, 2.5) },
  {
    id: "interested_rate",
    kind: "rate",
    numbers: rate(0.25, 0.2, { typical_low_pct: 0.1, typical_high_pct: 1 }),
  },
  {
    id: "bounce_rate",
    kind: "rate",
    numbers: rate(3, 1, { typical_low_pct: 0, typical_high_pct: 2, versus_typical: "above" }),
  },
  {
    id: "best_campaign",
    kind: "campaign_rank",
    numbers: { name: "Alpha", interested_rate_pct: 0.8, interested: 4, sends: 500 },
  },
  {
    id: "worst_campaign",
    kind: "campaign_rank",
    numbers: { name: "Bravo", interested_rate_pct: 0, interested: 0, sends: 400 },
  },
  {
    id: "mailbox_health",
    kind: "mailboxes",
    numbers: { mailboxes: 40, burnt: 3, disconnected: 2, burnt_min_sends: 200 },
  },
];

Deno.test("a busy workspace: volume, the two rates, then the bounce alarm and the mailboxes", () => {
  const items = rulesInsights(busy);
  assert.deepEqual(items.map((item) => item.metric), [
    "emails_sent",
    "reply_rate",
    "interested_rate",
    "bounce_rate",
    "mailboxes",
  ]);
  assert.equal(
    items[0].value,
    "12,000 emails sent in the last 14 days, 10,000 in the 14 days before (+20%).",
  );
  assert.equal(items[0].trend, "up");
  assert.match(items[1].value, /^Reply rate 2% in the last 14 days against 2\.5% /);
  assert.equal(items[1].trend, "down");
  assert.match(items[3].value, /^3% of emails bounced in the last 14 days \(360 bounces\)/);
  assert.match(items[4].value, /3 of 40 mailboxes look burnt .* 2 of 40 are disconnected/);
  const known = new Set(busy.map((fact) => fact.id));
  for (const item of items) {
    assert.ok(item.fact_ids.length > 0 && item.fact_ids.every((id) => known.has(id)));
  }
});

Deno.test("nothing sent: still three insights, saying there is nothing to judge", () => {
  const idle: Fact[] = [
    { id: "period", kind: "period", numbers: { period_days: 7 } },
    { id: "sends", kind: "volume", numbers: { current: 0, previous: 0, change_pct: null } },
    { id: "reply_rate", kind: "rate", numbers: rate(null, null) },
    { id: "interested_rate", kind: "rate", numbers: rate(null, null) },
  ];
  const items = rulesInsights(idle);
  assert.equal(items.length, 3);
  assert.match(items[0].value, /^0 emails sent in the last 7 days, none in the 7 days before/);
  assert.match(items[1].value, /no reply rate to judge/);
  assert.deepEqual(items.map((item) => item.trend), ["neutral", "neutral", "neutral"]);
});

Deno.test("campaigns and timing fill the remaining places when nothing is alarming", () => {
  const calm = busy.filter((fact) => !["bounce_rate", "mailbox_health"].includes(fact.id))
    .concat([{
      id: "reply_days",
      kind: "timing",
      numbers: { days: [{ weekday: "Tuesday", replies: 16 }] },
    }, {
      id: "reply_hours",
      kind: "timing",
      numbers: { hours: [{ hour: 9, replies: 5 }] },
    }]);
  const items = rulesInsights(calm);
  assert.equal(items.length, 5);
  assert.match(items[3].value, /Best: "Alpha" at 0\.8% interested .* worst: "Bravo" at 0%/);
  assert.deepEqual(items[3].fact_ids, ["best_campaign", "worst_campaign"]);
  assert.match(items[4].value, /Tuesday \(16\).* 09:00 \(5 replies\)/);
});

Deno.test("trend: more than 5 % either way moves it", () => {
  assert.equal(trendOf(106, 100), "up");
  assert.equal(trendOf(104, 100), "neutral");
  assert.equal(trendOf(94, 100), "down");
  assert.equal(trendOf(1, 0), "up");
  assert.equal(trendOf(0, 0), "neutral");
  assert.equal(trendOf(null, 3), "neutral");
});
