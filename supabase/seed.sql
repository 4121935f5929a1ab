-- Local and demo data only; never needed (nor wanted) in production. Applied by `npm start` to a
-- new local database and by `npm test` to its throwaway one.

-- The Vault secrets that private.invoke_edge_function reads, with the local stack's values: the
-- local functions URL, the obviously-fake local cron secret, and the public local demo anon key.
-- A hosted project creates its own (README, "Deploy"); these are never pushed there.
do $$
declare
  local_secrets constant jsonb := jsonb_build_object(
    'project_url', 'http://127.0.0.1:54321',
    'cron_secret', 'local-cron-secret-not-for-production',
    'anon_key', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0'
  );
  secret record;
begin
  for secret in select key, value from jsonb_each_text(local_secrets) loop
    if not exists (select 1 from vault.secrets where name = secret.key) then
      perform vault.create_secret(secret.value, secret.key, 'local stack value (seed.sql)');
    end if;
  end loop;
end
$$;
