-- A milestone is recorded and broadcast once per workspace, month, metric and threshold: an event
-- crossing two thresholds records both, a replayed event nothing, a late event of last month
-- nothing (closed months stay as they were), a lowered target the thresholds it newly reaches and
-- never one already recorded. The full target is also announced in Slack, the name escaped.
begin;
select plan(14);
-- In production the evaluation runs at commit; a test is rolled back, so it asks for it at once.
set constraints public.workspace_daily_metrics_milestones, public.workspace_targets_milestones
  immediate;

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000e501', 'Milestone agency', 'https://ms.example.test', 'UTC');
insert into private.webhook_tokens (connection_id, token_sha256)
values ('00000000-0000-4000-8000-00000000e501', encode(sha256('tok'::bytea), 'hex'));
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value values
  (920501, '00000000-0000-4000-8000-00000000e501', 1, '<!channel> & <https://evil.test|Co>');
select vault.create_secret('https://hooks.slack.example.test/services/T/B/fake', 'slack_webhook_url');
select date_trunc('month', now() at time zone 'UTC') as month_start \gset

create function pg_temp.sent(event_id integer, at timestamptz) returns text language sql as $$
  select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), jsonb_build_object(
    'event', jsonb_build_object('type', 'EMAIL_SENT', 'name', 'Email Sent', 'workspace_id', 1),
    'data', jsonb_build_object(
      'scheduled_email', jsonb_build_object('id', event_id, 'sent_at', at),
      'campaign_event', jsonb_build_object('id', event_id, 'type', 'sent', 'created_at', at),
      'lead', jsonb_build_object('id', 1), 'campaign', jsonb_build_object('id', 2)))) ->> 'outcome';
$$;
create function pg_temp.milestones() returns table (metric text, threshold_pct numeric,
  value bigint, target numeric) language sql as $$
  select metric, threshold_pct, value, target from public.workspace_milestones
  where workspace_id = 920501 order by metric, threshold_pct;
$$;

select private.set_workspace_target(920501, 'emails_sent', 2, null, null);
select private.set_workspace_target(920501, 'emails_sent', 1, (:'month_start'::date - 1), null);
select is_empty($$select * from pg_temp.milestones()$$, 'nothing sent, nothing reached');

select is(pg_temp.sent(1, now()), 'processed', 'the first email of the month');
select results_eq($$select * from pg_temp.milestones()$$,
  $$values ('emails_sent'::text, 25::numeric, 1::bigint, 2::numeric),
           ('emails_sent', 50, 1, 2)$$,
  'one event crossing 25 % and 50 % of the target records both');

select is(pg_temp.sent(1, now()), 'duplicate', 'the same event delivered again');
select is((select count(*) from public.workspace_milestones), 2::bigint,
  'a replayed event records nothing more');

select is(pg_temp.sent(2, :'month_start'::timestamptz - interval '1 hour'), 'processed',
  'a late event of last month');
select is((select count(*) from public.workspace_milestones), 2::bigint,
  'records nothing: not this month''s, and last month is closed even though it reached its target');

select private.set_workspace_target(920501, 'emails_sent', 1, null, null);
select results_eq($$select * from pg_temp.milestones()$$,
  $$values ('emails_sent'::text, 25::numeric, 1::bigint, 2::numeric),
           ('emails_sent', 50, 1, 2), ('emails_sent', 75, 1, 1), ('emails_sent', 100, 1, 1)$$,
  'a lowered target records the thresholds it newly reaches, at the new target');
select private.set_workspace_target(920501, 'emails_sent', 10, null, null);
select private.set_workspace_target(920501, 'emails_sent', 1, null, null);
select is(pg_temp.sent(3, now()), 'processed', 'another email');
select is((select count(*) from public.workspace_milestones), 4::bigint,
  'raising and lowering again, or sending more, never records a threshold twice');

select results_eq(
  $$select event, private, payload - 'id' from realtime.messages
    where topic = 'workspace:920501:milestones' order by payload ->> 'threshold'$$,
  format($$select 'milestone'::text, true, jsonb_build_object('workspace_id', 920501,
             'metric', 'emails_sent', 'target', t.target, 'threshold', t.threshold, 'value', 1,
             'month', %L::date, 'reached_at', now())
           from (values (2, 25), (2, 50), (1, 75), (1, 100)) t(target, threshold)
           order by t.threshold::text$$, :'month_start'),
  'each milestone was broadcast once, privately, on workspace:<id>:milestones');

select is((select count(*) from private.health_alerts where kind = 'milestone'), 1::bigint,
  'reaching the full target is announced in Slack (milestone_slack_thresholds_pct), once');
select ok(
  (select message::text like '%&lt;!channel&gt; &amp; &lt;https://evil.test|Co&gt;%'
          and message::text not like '%<!channel>%'
   from private.health_alerts where kind = 'milestone'),
  'with the client''s name escaped: no mention, no disguised link');

update private.settings set value = '[]' where key = 'milestone_slack_thresholds_pct';
select private.set_workspace_target(920501, 'replies', 1, null, null);
update public.workspace_daily_metrics set replies = 1
where workspace_id = 920501 and day = (now() at time zone 'UTC')::date;
select is((select count(*) from private.health_alerts where kind = 'milestone'), 1::bigint,
  'with no Slack thresholds, a reached target is only recorded and broadcast');

select * from finish();
rollback;
