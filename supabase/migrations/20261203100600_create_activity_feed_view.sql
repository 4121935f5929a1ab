-- The live feed of a dashboard: replies received and replies that became interested, newest
-- first. Interested is the project's one definition (replies.interested_at: when the reply became
-- interested); auto-replies are left out of the replies, as the insight facts leave them out.
create view public.activity_feed
with (security_invoker = true)
as
select
  a.kind || ':' || a.reply_id as id,
  a.workspace_id,
  a.kind,
  a.occurred_at,
  a.reply_id,
  a.campaign_id,
  c.name as campaign_name,
  a.lead_id,
  coalesce(l.email, a.from_email) as lead_email,
  nullif(concat_ws(' ', nullif(btrim(l.first_name), ''), nullif(btrim(l.last_name), '')), '')
    as lead_name,
  a.subject
from (
  -- Each kind from its own index on (workspace_id, time), merged newest first, so the newest of
  -- a workspace are read without sorting its history. The branches filter nothing themselves:
  -- the planner only merges them in index order when the conditions come from outside.
  select r.id as reply_id, r.workspace_id, 'reply'::text as kind, r.received_at as occurred_at,
         r.automated as left_out, r.campaign_id, r.lead_id, r.from_email, r.subject
  from public.replies r
  union all
  select r.id, r.workspace_id, 'interested'::text, r.interested_at, not r.interested,
         r.campaign_id, r.lead_id, r.from_email, r.subject
  from public.replies r
) a
left join public.campaigns c on c.id = a.campaign_id
left join public.leads l on l.id = a.lead_id
where not a.left_out and a.occurred_at is not null;

-- The newest interested replies of a workspace, for the feed's second kind.
create index replies_workspace_id_interested_at_idx
  on public.replies (workspace_id, interested_at) where interested;

comment on view public.activity_feed is
  'Recent activity of the workspaces you may read (members: their workspaces; agency admins: '
  'all): a reply received (kind reply; auto-replies left out) or a reply that became interested '
  '(kind interested), one row each, so an interested reply appears twice. Read '
  '.eq(''workspace_id'', id).order(''occurred_at'', {ascending: false}).limit(50); new rows are '
  'broadcast on workspace:<id>:activity (event activity) as they happen. Subjects and addresses '
  'are personal data.';
comment on column public.activity_feed.id is
  'Unique and stable: reply:<reply_id> or interested:<reply_id>. Use it as the list key and to '
  'drop a broadcast row you already have.';
comment on column public.activity_feed.workspace_id is 'The workspace (public.workspaces.id).';
comment on column public.activity_feed.kind is
  'reply (a lead replied) or interested (the reply was marked interested).';
comment on column public.activity_feed.occurred_at is
  'When it happened: the reply''s received time, or when it became interested.';
comment on column public.activity_feed.reply_id is 'The reply (public.replies.id).';
comment on column public.activity_feed.campaign_id is
  'The campaign replied to (public.campaigns.id); null for replies not tied to a campaign.';
comment on column public.activity_feed.campaign_name is 'The campaign''s name in Email Bison.';
comment on column public.activity_feed.lead_id is 'The lead (public.leads.id), when known.';
comment on column public.activity_feed.lead_email is
  'The lead''s email address (else the address the reply came from).';
comment on column public.activity_feed.lead_name is
  'The lead''s first and last name, when Email Bison knows them.';
comment on column public.activity_feed.subject is 'The reply''s subject line.';

revoke all on public.activity_feed from anon, authenticated, service_role;
grant select on public.activity_feed to authenticated, service_role;
