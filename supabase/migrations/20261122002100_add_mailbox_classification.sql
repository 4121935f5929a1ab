-- Provider and reseller of each mailbox: the connection type is the reliable provider signal;
-- otherwise tags are read through an editable mapping (exact, case-insensitive names, because
-- substring matching misfires: "Inbox" is inside "CheapInboxes"). Contradictions are flagged,
-- never guessed.
create table public.mailbox_tag_mappings (
  id bigint generated always as identity primary key,
  tag_name text not null check (length(btrim(tag_name)) > 0),
  provider text check (provider in ('Google', 'Microsoft')),
  reseller text check (length(btrim(reseller)) > 0),
  created_at timestamptz not null default now(),
  check (provider is not null or reseller is not null)
);
create unique index mailbox_tag_mappings_tag_name_key on public.mailbox_tag_mappings (lower(tag_name));
comment on table public.mailbox_tag_mappings is
  'Tag name (exact, case-insensitive) -> mailbox provider and/or reseller. Edit freely; the next '
  'poll applies it.';

insert into public.mailbox_tag_mappings (tag_name, provider, reseller) values
  ('Google', 'Google', null),
  ('Gmail', 'Google', null),
  ('Google Workspace', 'Google', null),
  ('Microsoft', 'Microsoft', null),
  ('Outlook', 'Microsoft', null),
  ('Office 365', 'Microsoft', null),
  ('Zapmail', null, 'Zapmail'),
  ('CheapInboxes', null, 'CheapInboxes'),
  ('ScaledMail', null, 'ScaledMail'),
  ('Mailr', null, 'Mailr');

alter table public.mailbox_tag_mappings enable row level security;
create policy "signed-in users read the tag mappings" on public.mailbox_tag_mappings
  for select to authenticated using ((select auth.uid()) is not null);
revoke all on public.mailbox_tag_mappings from anon, authenticated;
grant select on public.mailbox_tag_mappings to authenticated;
grant select, insert, update, delete on public.mailbox_tag_mappings to service_role;

alter table public.sender_emails
  add column tags jsonb not null default '[]'::jsonb,
  add column provider text,
  add column reseller text,
  add column classification_problem text,
  add column last_seen_at timestamptz;
comment on column public.sender_emails.classification_problem is
  'Why provider or reseller was left empty: the mailbox''s type and tags contradict each other.';

-- The decision itself, pure, so that the poller can look tags up for a whole workspace in one join
-- and then decide per mailbox cheaply.
create or replace function private.classify_mailbox(
  connection_type text,
  tag_providers text[],
  tag_resellers text[]
)
returns table (provider text, reseller text, problem text)
language sql
immutable
set search_path = ''
as $$
  with signals as (
    select
      case
        when connection_type ilike 'google%' then 'Google'
        when connection_type ilike 'microsoft%' or connection_type ilike 'outlook%' then 'Microsoft'
      end as typed,
      array(select distinct p from unnest(tag_providers) p where p is not null order by 1) as providers,
      array(select distinct r from unnest(tag_resellers) r where r is not null order by 1) as resellers
  )
  select
    coalesce(typed, case when cardinality(providers) = 1 then providers[1] end),
    case when cardinality(resellers) = 1 then resellers[1] end,
    nullif(concat_ws('; ',
      case when typed is null and cardinality(providers) > 1
        then 'tags name several providers: ' || array_to_string(providers, ', ') end,
      case when typed is not null and cardinality(providers) >= 1 and not (typed = any (providers))
        then 'tags say ' || array_to_string(providers, ', ') || ' but the connection type is '
             || connection_type end,
      case when cardinality(resellers) > 1
        then 'tags name several resellers: ' || array_to_string(resellers, ', ') end
    ), '')
  from signals;
$$;
comment on function private.classify_mailbox(text, text[], text[]) is
  'Provider (from the connection type, else from the providers its mapped tags name) and '
  'reseller (from its mapped tags) of a mailbox, and a problem text when the signals contradict; '
  'contradicted values stay null unless the connection type settles the provider.';

create or replace function private.classify_mailbox(connection_type text, tags jsonb)
returns table (provider text, reseller text, problem text)
language sql
stable
set search_path = ''
as $$
  select c.provider, c.reseller, c.problem
  from (
    select array_agg(m.provider) as providers, array_agg(m.reseller) as resellers
    from jsonb_array_elements(coalesce(tags, '[]'::jsonb)) t
    join public.mailbox_tag_mappings m
      on lower(m.tag_name) = lower(btrim(coalesce(t ->> 'name', t #>> '{}')))
  ) mapped
  cross join lateral private.classify_mailbox(connection_type, mapped.providers, mapped.resellers) c;
$$;
comment on function private.classify_mailbox(text, jsonb) is
  'Classifies one mailbox from its connection type and Bison tags ([{id, name}]) through '
  'public.mailbox_tag_mappings (exact, case-insensitive names).';
