-- pg_cron schedules the polling, snapshots and health checks; pg_net lets those jobs call edge
-- functions over HTTP. Both are created only where the server offers them: on hosted Supabase both
-- exist, while the local stack provides pg_net's API through a stand-in (scripts/local/platform).
do $$
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
    create extension if not exists pg_cron with schema pg_catalog;
  end if;
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net with schema extensions;
  end if;
end
$$;
