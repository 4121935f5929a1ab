-- What makes a mailbox burnt, defined once: a reply rate under a threshold after a minimum
-- number of sends. The thresholds live only in private.settings, the threshold as a percentage
-- like every rate of the project (0.4 = 0.4 %); private.burnt_rule() reads and validates them once
-- per query, private.is_burnt_mailbox() applies them to one mailbox.
insert into private.settings (key, value, description)
select 'burnt_below_reply_rate_pct',
       coalesce((select to_jsonb(trim_scale(100 * (s.value #>> '{}')::numeric))
                 from private.settings s
                 where s.key = 'burnt_reply_rate_threshold' and jsonb_typeof(s.value) = 'number'),
                '0.4'::jsonb),
       'A mailbox whose lifetime unique replies are under this percentage of its emails sent is '
       'burnt once it has sent burnt_min_emails_sent (a number from 0 to 100; 0.4 = 0.4 %).'
on conflict (key) do nothing;
delete from private.settings where key = 'burnt_reply_rate_threshold';
update private.settings
set description = 'Lifetime emails a mailbox must have sent before it can be counted as burnt '
                  '(a whole number).'
where key = 'burnt_min_emails_sent';

create or replace function private.burnt_rule()
returns table (min_emails_sent bigint, below_reply_rate_pct numeric)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  min_sent jsonb := (select s.value from private.settings s where s.key = 'burnt_min_emails_sent');
  below_pct jsonb := (select s.value from private.settings s
                      where s.key = 'burnt_below_reply_rate_pct');
begin
  if jsonb_typeof(below_pct) is distinct from 'number'
     or below_pct::text::numeric not between 0 and 100 then
    raise exception 'setting burnt_below_reply_rate_pct must be a number from 0 to 100'
      using errcode = '55000';
  end if;
  if jsonb_typeof(min_sent) is distinct from 'number' or min_sent::text::numeric < 0
     or min_sent::text::numeric <> trunc(min_sent::text::numeric) then
    raise exception 'setting burnt_min_emails_sent must be a whole number of at least 0'
      using errcode = '55000';
  end if;
  return query select min_sent::text::numeric::bigint, below_pct::text::numeric;
end;
$$;
comment on function private.burnt_rule() is
  'The burnt-mailbox thresholds from private.settings (burnt_min_emails_sent, '
  'burnt_below_reply_rate_pct), validated: raises 55000 when one is missing or invalid. Read it '
  'once per query and hand its columns to private.is_burnt_mailbox. Security definer so that '
  'facts running as a member can read the thresholds (and nothing else of the settings).';

create or replace function private.is_burnt_mailbox(
  emails_sent bigint,
  unique_replies bigint,
  min_emails_sent bigint,
  below_reply_rate_pct numeric
)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
  return coalesce(emails_sent, 0) > 0
    and emails_sent >= min_emails_sent
    and 100.0 * coalesce(unique_replies, 0) < below_reply_rate_pct * emails_sent;
end;
$$;
comment on function private.is_burnt_mailbox(bigint, bigint, bigint, numeric) is
  'The definition of a burnt mailbox: it has sent at least min_emails_sent emails (and more than '
  'none) and its unique replies are under below_reply_rate_pct percent of them (lifetime Bison '
  'counters). Pass the thresholds of private.burnt_rule().';

grant execute on function private.burnt_rule() to authenticated, service_role;
grant execute on function private.is_burnt_mailbox(bigint, bigint, bigint, numeric)
  to authenticated, service_role;
