// Realistic Email Bison webhook bodies for all 17 event types, shaped like the vendor's documented
// samples (bison-api.md). Ids are taken from the options so that tests and the benchmark control
// what is a duplicate and what is a new event.

export const eventTypes = [
  "EMAIL_SENT",
  "LEAD_FIRST_CONTACTED",
  "EMAIL_OPENED",
  "LEAD_UNSUBSCRIBED",
  "LEAD_REPLIED",
  "LEAD_INTERESTED",
  "EMAIL_BOUNCED",
  "MANUAL_EMAIL_SENT",
  "UNTRACKED_REPLY_RECEIVED",
  "EMAIL_ACCOUNT_ADDED",
  "EMAIL_ACCOUNT_REMOVED",
  "EMAIL_ACCOUNT_DISCONNECTED",
  "EMAIL_ACCOUNT_RECONNECTED",
  "WARMUP_DISABLED_CAUSING_BOUNCES",
  "WARMUP_DISABLED_RECEIVING_BOUNCES",
  "TAG_ATTACHED",
  "TAG_REMOVED",
] as const;
export type EventType = typeof eventTypes[number];

/** The workspace_daily_metrics column each type increments (none for the others). */
export const metricOf: Partial<Record<EventType, string>> = {
  EMAIL_SENT: "emails_sent",
  LEAD_FIRST_CONTACTED: "first_contacts",
  EMAIL_OPENED: "opens",
  LEAD_REPLIED: "replies",
  LEAD_INTERESTED: "interested",
  EMAIL_BOUNCED: "bounces",
  LEAD_UNSUBSCRIBED: "unsubscribes",
  MANUAL_EMAIL_SENT: "manual_emails_sent",
  UNTRACKED_REPLY_RECEIVED: "untracked_replies",
};

export interface EventOptions {
  workspaceId?: number;
  workspaceName?: string;
  /** Unique per event: becomes campaign_event / reply / scheduled_email / tag ids. */
  id: number;
  leadId?: number;
  campaignId?: number | null;
  senderEmailId?: number;
  /** ISO time of the event (defaults to now). */
  at?: string;
  /** Sends counters as strings, as Bison sometimes does. */
  stringCounters?: boolean;
  /** Omit event.instance_url (it is sometimes missing). */
  withoutInstanceUrl?: boolean;
}

const labels: Record<EventType, string> = {
  EMAIL_SENT: "Email Sent",
  LEAD_FIRST_CONTACTED: "Lead First Contacted",
  EMAIL_OPENED: "Email Opened",
  LEAD_UNSUBSCRIBED: "Lead Unsubscribed",
  LEAD_REPLIED: "Lead Replied",
  LEAD_INTERESTED: "Lead Interested",
  EMAIL_BOUNCED: "Email Bounced",
  MANUAL_EMAIL_SENT: "Manual Email Sent",
  UNTRACKED_REPLY_RECEIVED: "Untracked Reply Received",
  EMAIL_ACCOUNT_ADDED: "Email Account Added",
  EMAIL_ACCOUNT_REMOVED: "Email Account Removed",
  EMAIL_ACCOUNT_DISCONNECTED: "Email Account Disconnected",
  EMAIL_ACCOUNT_RECONNECTED: "Email Account Reconnected",
  WARMUP_DISABLED_CAUSING_BOUNCES: "Warmup Disabled Causing Bounces",
  WARMUP_DISABLED_RECEIVING_BOUNCES: "Warmup Disabled Receiving Bounces",
  TAG_ATTACHED: "Tag Attached",
  TAG_REMOVED: "Tag Removed",
};

/** The human label Bison gives a type (never route on it: it differs from the UI's). */
export function labelOf(type: string): string {
  return labels[type.toUpperCase() as EventType] ?? type;
}

function counter(value: number, asString: boolean | undefined) {
  return asString ? String(value) : value;
}

function senderEmail(options: EventOptions, at: string, status = "connected") {
  const id = options.senderEmailId ?? 3;
  return {
    id,
    name: "Cody",
    email: `mailbox${id}@sender.example.test`,
    status,
    type: id % 2 === 0 ? "microsoft_oauth" : "google_workspace_oauth",
    daily_limit: counter(30, options.stringCounters),
    emails_sent: counter(120, options.stringCounters),
    replied: counter(3, options.stringCounters),
    opened: counter(0, options.stringCounters),
    unsubscribed: counter(1, options.stringCounters),
    bounced: counter(2, options.stringCounters),
    unique_replies: counter(3, options.stringCounters),
    unique_opens: counter(0, options.stringCounters),
    total_leads_contacted: counter(100, options.stringCounters),
    interested: counter(1, options.stringCounters),
    created_at: "2024-08-02T06:06:40.000000Z",
    updated_at: at,
  };
}

export function bisonEvent(type: string, options: EventOptions): Record<string, unknown> {
  const at = options.at ?? new Date().toISOString().replace("Z", "000Z");
  const upper = type.toUpperCase() as EventType;
  const leadId = options.leadId ?? options.id;
  const event: Record<string, unknown> = {
    type,
    name: labels[upper] ?? type,
    workspace_id: options.workspaceId ?? 1,
    workspace_name: options.workspaceName ?? "Cody's Team",
  };
  if (!options.withoutInstanceUrl) event.instance_url = "https://send.example.test";
  const lead = {
    id: leadId,
    email: `Lead${leadId}@Prospect.example.test`,
    first_name: "Cody",
    last_name: "Smith",
    status: "unverified",
    title: "CEO",
    company: "EmailGuard Inc.",
    custom_variables: [{ name: "phone number", value: "19999999999" }],
    emails_sent: counter(1, options.stringCounters),
  };
  const campaign = options.campaignId === null
    ? undefined
    : { id: options.campaignId ?? 2, name: `Campaign ${options.campaignId ?? 2}` };
  const scheduledEmail = {
    id: options.id,
    lead_id: leadId,
    sequence_step_id: 2,
    email_subject: "quick question",
    status: "sent",
    sent_at: at,
    opens: counter(0, options.stringCounters),
  };
  const campaignEvent = (kind: string) => ({
    id: options.id,
    type: kind,
    created_at: at,
    created_at_local: at,
    local_timezone: "America/New_York",
  });
  const reply = (extra: Record<string, unknown> = {}) => ({
    id: options.id,
    uuid: `00000000-0000-4000-8000-${String(options.id).padStart(12, "0")}`,
    email_subject: "Re: quick question",
    interested: false,
    automated_reply: false,
    text_body: "Sounds good, tell me more.",
    html_body: "<p>Sounds good, tell me more.</p>",
    date_received: at,
    from_name: "Cody",
    from_email_address: `lead${leadId}@prospect.example.test`,
    ...extra,
  });

  let data: Record<string, unknown>;
  switch (upper) {
    case "EMAIL_SENT":
    case "LEAD_FIRST_CONTACTED":
    case "EMAIL_OPENED":
    case "LEAD_UNSUBSCRIBED":
      data = {
        scheduled_email: scheduledEmail,
        campaign_event: campaignEvent(
          upper === "EMAIL_OPENED"
            ? "open"
            : upper === "LEAD_UNSUBSCRIBED"
            ? "unsubscribe"
            : "sent",
        ),
        lead,
        campaign,
        sender_email: senderEmail(options, at),
      };
      break;
    case "LEAD_REPLIED":
    case "LEAD_INTERESTED":
    case "EMAIL_BOUNCED":
      data = {
        reply: reply(upper === "LEAD_INTERESTED" ? { interested: true } : {}),
        campaign_event: campaignEvent(upper === "EMAIL_BOUNCED" ? "bounce" : "reply"),
        lead,
        campaign,
        scheduled_email: scheduledEmail,
        sender_email: senderEmail(options, at),
      };
      break;
    case "MANUAL_EMAIL_SENT":
      data = {
        reply: reply({ type: "outgoing" }),
        lead: options.campaignId === null ? null : lead,
        campaign: campaign ?? null,
        scheduled_email: null,
        sender_email: senderEmail(options, at),
      };
      break;
    case "UNTRACKED_REPLY_RECEIVED":
      data = { reply: reply(), sender_email: senderEmail(options, at) };
      break;
    case "EMAIL_ACCOUNT_ADDED":
    case "EMAIL_ACCOUNT_RECONNECTED":
    case "WARMUP_DISABLED_CAUSING_BOUNCES":
    case "WARMUP_DISABLED_RECEIVING_BOUNCES":
      data = { sender_email: senderEmail(options, at) };
      break;
    case "EMAIL_ACCOUNT_REMOVED":
    case "EMAIL_ACCOUNT_DISCONNECTED":
      data = { sender_email: senderEmail(options, at, "disconnected") };
      break;
    case "TAG_ATTACHED":
    case "TAG_REMOVED":
      data = {
        tag_id: options.id,
        tag_name: "Warming",
        taggable_id: options.senderEmailId ?? 3,
        taggable_type: "sender_email",
      };
      break;
    default:
      data = { something: { id: options.id } };
  }
  return { event, data };
}
