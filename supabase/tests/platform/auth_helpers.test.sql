-- auth.uid(), auth.role(), auth.email() and auth.jwt() read the request's JWT claims as on hosted
-- Supabase, under the role PostgREST switches to.
begin;
select plan(6);

select tests.authenticate_as(tests.create_user('member@example.test'));

select is(auth.uid(), tests.user_id('member@example.test'),
  'auth.uid() is the sub claim');
select is(auth.role(), 'authenticated', 'auth.role() is the role claim');
select is(auth.email(), 'member@example.test', 'auth.email() is the email claim');
select is(auth.jwt() ->> 'aud', 'authenticated', 'auth.jwt() returns all claims');
select is(current_user::text, 'authenticated', 'the helper switched role like PostgREST');

select tests.clear_authentication();
select is(auth.uid(), null, 'no claims, no user');

select * from finish();
rollback;
