-- The read model needs no sequence and nothing of pg_net: anon and authenticated only select
-- through RLS. Supabase's default privileges give both roles usage and update on every sequence
-- in public (anon could setval an identity sequence to its maximum and stop every insert), and
-- pg_net's setup gives them the net schema. Both are taken away here, and for sequences created
-- later too.
revoke all on all sequences in schema public from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges for role postgres in schema public
  revoke all on sequences from anon, authenticated;

-- pg_net grants its schema to PUBLIC and the API roles by name; the jobs that queue requests run
-- as postgres, which keeps its own explicit grants. Where the net schema belongs to another role
-- (hosted Supabase's supabase_admin), PostgreSQL answers with a warning and leaves the grants
-- as they are: README.md ("What the API roles may do") says what that leaves and why it is not
-- reachable.
do $$
declare
  api_role text;
begin
  if to_regnamespace('net') is null then
    return;
  end if;
  grant usage on schema net to postgres;
  grant all on all tables in schema net to postgres;
  grant all on all sequences in schema net to postgres;
  grant execute on all functions in schema net to postgres;
  foreach api_role in array array['public', 'anon', 'authenticated'] loop
    execute format('revoke all on schema net from %s', api_role);
    execute format('revoke all on all tables in schema net from %s', api_role);
    execute format('revoke all on all sequences in schema net from %s', api_role);
    execute format('revoke all on all functions in schema net from %s', api_role);
  end loop;
exception when insufficient_privilege then
  raise notice 'the net schema belongs to another role: its grants to the API roles stay';
end
$$;
