-- Mailbox-provider performance per connection, provider, reseller and local day: how many
-- mailboxes, how many connected, disconnected and burnt, what they sent and got back over the day
-- and the trailing 7 and 30 days, and how much of their capacity they used. Ratios are plain
-- numeric (no precision cap to overflow) and null where their denominator is 0.
create table public.provider_performance_history (
  id bigint generated always as identity primary key,
  connection_id uuid not null references public.bison_connections (id) on delete cascade,
  day date not null,
  provider text,
  reseller text,
  mailboxes_total integer not null,
  mailboxes_connected integer not null,
  mailboxes_disconnected integer not null,
  burnt_mailboxes integer not null,
  emails_sent_day bigint not null,
  emails_sent_7d bigint not null,
  emails_sent_30d bigint not null,
  unique_replies_day bigint not null,
  unique_replies_7d bigint not null,
  unique_replies_30d bigint not null,
  bounces_day bigint not null,
  bounces_7d bigint not null,
  bounces_30d bigint not null,
  reply_rate_day numeric,
  reply_rate_7d numeric,
  reply_rate_30d numeric,
  total_daily_limit bigint not null,
  utilisation numeric,
  computed_at timestamptz not null default now(),
  constraint provider_performance_history_key
    unique nulls not distinct (connection_id, day, provider, reseller),
  check (emails_sent_day >= 0 and emails_sent_7d >= emails_sent_day
         and emails_sent_30d >= emails_sent_7d),
  check (unique_replies_day >= 0 and unique_replies_7d >= unique_replies_day
         and unique_replies_30d >= unique_replies_7d),
  check (bounces_day >= 0 and bounces_7d >= bounces_day and bounces_30d >= bounces_7d)
);
comment on table public.provider_performance_history is
  'One row per (connection, provider, reseller, local day in the connection''s time zone). '
  'provider/reseller null = not known (unclassified or contradicting tags). Mailbox counts '
  'exclude mailboxes removed during the day; sends, replies and bounces are differences between '
  'daily mailbox snapshots (sender_email_daily_snapshots), never negative. Rewritten whole when a '
  'day is recomputed.';
comment on column public.provider_performance_history.mailboxes_disconnected is
  'Mailboxes whose status is known and not connected (disconnected, not connected, failed). '
  'Mailboxes of unknown status count only in mailboxes_total.';
comment on column public.provider_performance_history.burnt_mailboxes is
  'Mailboxes with at least burnt_min_emails_sent lifetime sends whose lifetime unique reply rate '
  'is under burnt_reply_rate_threshold (private.settings) at the end of the day.';
comment on column public.provider_performance_history.emails_sent_7d is
  'Sent over the 7 days ending with day (day - 6 .. day): from each mailbox''s snapshot of '
  'day - 7, or from its first snapshot inside the window when it has none (a mailbox new to the '
  'window). emails_sent_30d likewise over day - 29 .. day.';
comment on column public.provider_performance_history.reply_rate_day is
  'unique_replies_day / emails_sent_day as a fraction (0.01 = 1%); null when nothing was sent.';
comment on column public.provider_performance_history.total_daily_limit is
  'Sum of the daily limits of the connected mailboxes: the day''s sending capacity.';
comment on column public.provider_performance_history.utilisation is
  'emails_sent_day / total_daily_limit as a fraction; null when the capacity is 0.';

alter table public.provider_performance_history enable row level security;
create policy "members read their connections' provider performance"
  on public.provider_performance_history
  for select to authenticated using ((select private.is_connection_member(connection_id)));
revoke all on public.provider_performance_history from anon, authenticated, service_role;
grant select on public.provider_performance_history to authenticated, service_role;
