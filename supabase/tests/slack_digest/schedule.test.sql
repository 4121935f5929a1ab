-- The digest job queues each agency's digest once its local digest time has come on a digest day
-- (settings digest_local_time, digest_weekdays; the agency's zone is its connection's), and on
-- Mondays the weekly roll-up; each once per period however often the job runs, nothing while no
-- Slack webhook is configured, nothing for a disconnected connection.
begin;
select plan(12);

-- A zone where it is about noon now, so the test holds at any hour.
select case when k = 0 then 'UTC' when k > 0 then 'Etc/GMT-' || k else 'Etc/GMT+' || -k end
       as zone
from (select case when k > 14 then k - 24 when k < -12 then k + 24 else k end as k
      from (select 12 - extract(hour from now() at time zone 'UTC')::integer as k) raw) k \gset
select extract(isodow from now() at time zone :'zone')::integer as weekday \gset

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000e701', 'Digest agency', 'https://dg.example.test', :'zone'),
       ('00000000-0000-4000-8000-00000000e702', 'Gone agency', 'https://gone.example.test', :'zone');
update public.bison_connections set disconnected_at = now()
where id = '00000000-0000-4000-8000-00000000e702';
insert into public.workspaces (connection_id, bison_workspace_id, name)
values ('00000000-0000-4000-8000-00000000e701', 1, 'Client'),
       ('00000000-0000-4000-8000-00000000e702', 1, 'Old client');
update private.settings set value = '"11:00"' where key = 'digest_local_time';
update private.settings set value = '[1, 2, 3, 4, 5, 6, 7]' where key = 'digest_weekdays';

create function pg_temp.digests() returns table (kind text, period_start date, messages integer)
language sql as $$
  select kind, period_start, messages from private.slack_digests
  where connection_id = '00000000-0000-4000-8000-00000000e701' order by kind;
$$;

select is(private.queue_slack_digests() ->> 'slack', 'not configured',
  'with no Slack webhook configured the job queues nothing');
select is_empty($$select * from private.slack_digests$$, 'and claims no period');

select vault.create_secret('https://hooks.slack.example.test/services/T/B/fake', 'slack_webhook_url');
update private.settings set value = '"13:00"' where key = 'digest_local_time';
select lives_ok($$select private.queue_slack_digests()$$, 'before the digest time');
select is_empty($$select * from pg_temp.digests()$$, 'nothing is due');

update private.settings set value = '"11:00"' where key = 'digest_local_time';
update private.settings set value = to_jsonb(array(select d from generate_series(1, 7) d
                                                   where d <> :weekday))
where key = 'digest_weekdays';
select lives_ok($$select private.queue_slack_digests()$$, 'past the time, on a day without digest');
select is_empty($$select * from pg_temp.digests() where kind = 'daily'$$, 'no daily digest');

update private.settings set value = '[1, 2, 3, 4, 5, 6, 7]' where key = 'digest_weekdays';
select is((private.queue_slack_digests() ->> 'daily')::integer, 1,
  'past the digest time on a digest day, the daily digest is queued');
select is((private.queue_slack_digests() ->> 'daily')::integer, 0, 'and only once');
select results_eq(
  $$select kind, period_start, messages from pg_temp.digests()$$,
  format($$select * from (values ('daily'::text, %L::date, 1)) d
           union all
           select 'weekly', %L::date - 7, 1 where %s = 1$$,
    (now() at time zone :'zone')::date, (now() at time zone :'zone')::date, :weekday),
  'dated by the agency''s local day; on a Monday the roll-up of the week before as well');
select is(
  (select count(*) from private.health_alerts where kind = 'digest'),
  1::bigint, 'one daily message in the Slack outbox');
select is_empty(
  $$select * from private.slack_digests where connection_id = '00000000-0000-4000-8000-00000000e702'$$,
  'a disconnected agency gets no digest');

update private.settings set value = '"8:30 am"' where key = 'digest_local_time';
select throws_ok($$select private.queue_slack_digests()$$, '55000', null,
  'a digest time that is no HH:MM is refused');

select * from finish();
rollback;
