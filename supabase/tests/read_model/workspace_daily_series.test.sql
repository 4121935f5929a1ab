-- public.workspace_daily_series: the last N local days of a workspace, today included, oldest
-- first, zero-filled, in a zone whose date differs from UTC's right now; bad arguments refused.
begin;
select plan(9);

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000b301', 'series', 'https://series.example.test', 'UTC');
insert into public.workspaces (id, connection_id, bison_workspace_id, timezone)
overriding system value values
  (901301, '00000000-0000-4000-8000-00000000b301', 1,
   tests.timezone_off_the_utc_date());
create temp table local on commit drop as
select (now() at time zone w.timezone)::date as today from public.workspaces w where w.id = 901301;

insert into public.workspace_daily_metrics
  (workspace_id, day, emails_sent, replies, interested, bounces, unsubscribes, opens,
   first_contacts, source)
select 901301, l.today - v.ago, v.sent, v.replies, 1, 2, 3, 4, 5, v.source
from local l, (values (-1, 999, 9, 'events'), (0, 7, 1, 'events'), (3, 30, 3, 'bison_stats'),
                      (7, 70, 7, 'events')) v(ago, sent, replies, source);

select isnt((select today from local), current_date,
  'the workspace''s local date differs from UTC''s now');

select results_eq(
  $$select day, emails_sent, first_contacts, opens, replies, interested, bounces, unsubscribes,
           source
    from public.workspace_daily_series(901301, 7)$$,
  $$select l.today - v.ago, v.sent, v.f, v.o, v.r, v.i, v.b, v.u, v.source from local l, (values
      (6, 0, 0, 0, 0, 0, 0, 0, null::text),
      (5, 0, 0, 0, 0, 0, 0, 0, null),
      (4, 0, 0, 0, 0, 0, 0, 0, null),
      (3, 30, 5, 4, 3, 1, 2, 3, 'bison_stats'),
      (2, 0, 0, 0, 0, 0, 0, 0, null),
      (1, 0, 0, 0, 0, 0, 0, 0, null),
      (0, 7, 5, 4, 1, 1, 2, 3, 'events')) v(ago, sent, f, o, r, i, b, u, source)$$,
  'seven local days ending with today, oldest first, days without a row zero with source null');

select results_eq(
  $$select day, emails_sent from public.workspace_daily_series(901301, 1)$$,
  $$select today, 7 from local$$,
  'one day is today alone');

select is((select count(*)::int from public.workspace_daily_series(901301)), 30,
  'thirty days by default');
select is((select count(*)::int from public.workspace_daily_series(901301, 366)), 366,
  'up to 366 days');
select is(
  (select sum(emails_sent)::int from public.workspace_daily_series(901301, 8)), 107,
  'the eighth day back is in an eight-day series, tomorrow in none');

select throws_ok($$select * from public.workspace_daily_series(901301, 0)$$, '22023',
  'days must be between 1 and 366, got 0', 'zero days are refused');
select throws_ok($$select * from public.workspace_daily_series(901301, 367)$$, '22023',
  'days must be between 1 and 366, got 367', 'more than 366 days are refused');
select throws_ok($$select * from public.workspace_daily_series(901399, 7)$$, '42501',
  'workspace 901399 does not exist or is not visible to the caller',
  'an unknown workspace is refused, not answered with zeros');

select * from finish();
rollback;
