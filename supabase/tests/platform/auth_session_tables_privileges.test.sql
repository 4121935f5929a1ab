-- The tables Supabase Auth keeps users' identities, sessions and email-link tokens in exist as on
-- hosted: RLS on, and nothing for the API roles (refresh tokens must never be readable through the
-- Data API).
begin;
select plan(20);

select ok(c.relrowsecurity, format('RLS is on for auth.%s', c.relname))
from pg_catalog.pg_class c
where c.oid in ('auth.identities'::regclass, 'auth.sessions'::regclass,
  'auth.refresh_tokens'::regclass, 'auth.mfa_amr_claims'::regclass,
  'auth.one_time_tokens'::regclass)
order by c.relname;

select table_privs_are('auth', t, r, array[]::text[],
  format('%s has no privilege on auth.%s', r, t))
from unnest(array['identities', 'sessions', 'refresh_tokens', 'mfa_amr_claims',
                  'one_time_tokens']) t,
  unnest(array['anon', 'authenticated', 'service_role']) r
order by t, r;

select * from finish();
rollback;
