-- Each broadcast the database sends carries exactly the payload fields its catalogue row
-- describes (the columns of payload_relation, or the names in payload_fields), plus the id
-- Realtime gives a payload without one. Every event a function sends is produced here, so a new
-- one fails this test until it is produced and described.
begin;
select plan(2);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000b901', 'payloads', 'https://pay.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id)
overriding system value values (901901, '00000000-0000-4000-8000-00000000b901', 1);

-- milestone: the day row below takes a target past a threshold (checked at once, not at commit).
set constraints public.workspace_daily_metrics_milestones immediate;
select private.set_workspace_target(901901, 'emails_sent', 2, null, null);
-- metrics_updated: a day row changes.
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent)
values (901901, current_date, 1);
-- activity: a reply arrives.
insert into public.replies (connection_id, workspace_id, bison_reply_id, received_at)
values ('00000000-0000-4000-8000-00000000b901', 901901, 1, now());
-- insights_generated: insights are stored.
insert into public.insights (workspace_id, period_days, period_start, period_end, source, items,
  facts)
values (901901, 14, current_date - 13, current_date + 1, 'rules',
        '[{"key": "k", "value": "v", "metric": "sends", "trend": "neutral", "fact_ids": []}]', '[]');
-- health_updated: a health evaluation changes something.
delete from public.system_health;
select private.run_health_checks() is not null as evaluated;

create temp table sent on commit drop as
select b.topic, b.event,
  (select array_agg(k order by k) from (
     select jsonb_object_keys(m.payload) union select 'id') keys(k)) as fields,
  (select array_agg(k order by k) from (
     select a.attname::text from pg_catalog.pg_attribute a
     where a.attrelid = b.payload_relation and a.attnum > 0 and not a.attisdropped
     union select f ->> 'name' from jsonb_array_elements(b.payload_fields) f
     union select 'id') keys(k)) as catalogued
from private.realtime_broadcasts b
left join lateral (
  select m.payload from realtime.messages m
  where m.event = b.event and m.private = b.is_private
    and m.topic ~ ('^' || regexp_replace(b.topic, '<[a-z_]+>', '[^:]+', 'g') || '$')
  order by m.inserted_at desc limit 1
) m on true
where exists (select 1 from unnest(b.sent_by) s where s like '%(%');

select is(
  array(select s.topic || ' ' || s.event from sent s where s.fields is null order by 1),
  array[]::text[], 'every event sent by a database function was produced by this test');

select is(
  array(select s.topic || ' ' || s.event || ': sent ' || s.fields::text || ', catalogued '
               || s.catalogued::text
        from sent s where s.fields is distinct from s.catalogued order by 1),
  array[]::text[], 'each payload has exactly the catalogued fields');

select * from finish();
rollback;
