-- Deleting a user (the admin API does) takes its identities, sessions, refresh tokens and AMR
-- claims with it, through the foreign keys Supabase Auth's schema has.
begin;
select plan(4);

select tests.create_user('leaving@example.test') as user_id \gset
insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
values (:'user_id', :'user_id', jsonb_build_object('sub', :'user_id', 'email', 'leaving@example.test'),
  'email', now(), now());
insert into auth.sessions (id, user_id, created_at, updated_at, aal)
values ('11111111-2222-3333-4444-555555555555', :'user_id', now(), now(), 'aal1');
insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at,
  session_id)
values ('00000000-0000-0000-0000-000000000000', 'abcdefghijkl', :'user_id', false, now(), now(),
  '11111111-2222-3333-4444-555555555555');
insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
values (gen_random_uuid(), '11111111-2222-3333-4444-555555555555', now(), now(), 'password');

delete from auth.users where id = :'user_id';

select is_empty($$select 1 from auth.identities where email = 'leaving@example.test'$$,
  'its identities are gone');
select is_empty($$select 1 from auth.sessions where id = '11111111-2222-3333-4444-555555555555'$$,
  'its sessions are gone');
select is_empty($$select 1 from auth.refresh_tokens where token = 'abcdefghijkl'$$,
  'its refresh tokens are gone');
select is_empty($$select 1 from auth.mfa_amr_claims
  where session_id = '11111111-2222-3333-4444-555555555555'$$, 'its AMR claims are gone');

select * from finish();
rollback;
