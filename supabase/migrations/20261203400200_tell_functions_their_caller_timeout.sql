-- A function called through pg_net learns how long its caller waits: pg_net gives up on the
-- request after timeout_milliseconds and records a timeout, whatever the function does after.
-- The call now says so in the x-caller-timeout-ms header, so that a run (retries and slow Bison
-- pages included) ends safely before then and leaves the rest for the next run
-- (supabase/functions/_shared/run-deadline.ts). Otherwise the function is unchanged.
create or replace function private.invoke_edge_function(
  function_path text,
  body jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 10000
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  project_url text;
  cron_secret text;
  anon_key text;
  headers jsonb;
  request_id bigint;
begin
  if function_path is null or function_path !~ '^[a-z0-9][a-z0-9_-]*(/[A-Za-z0-9_./-]*)?$' then
    raise exception 'invalid edge function path: %', coalesce(function_path, '<null>')
      using errcode = '22023',
            hint = 'Give the function name, optionally followed by a route: "insights/generate".';
  end if;
  if timeout_milliseconds is null or timeout_milliseconds not between 1000 and 900000 then
    raise exception 'timeout_milliseconds must be between 1000 and 900000, got %',
      timeout_milliseconds using errcode = '22023';
  end if;

  select
    max(decrypted_secret) filter (where name = 'project_url'),
    max(decrypted_secret) filter (where name = 'cron_secret'),
    max(decrypted_secret) filter (where name = 'anon_key')
  into project_url, cron_secret, anon_key
  from vault.decrypted_secrets
  where name in ('project_url', 'cron_secret', 'anon_key');

  if project_url is null or cron_secret is null then
    raise exception 'Vault secrets "project_url" and "cron_secret" must both exist'
      using errcode = '55000',
            hint = 'Create them with vault.create_secret(); see README, "Deploy".';
  end if;

  headers := jsonb_build_object('Content-Type', 'application/json', 'x-cron-secret', cron_secret,
                                'x-caller-timeout-ms', timeout_milliseconds::text);
  -- Functions that keep verify_jwt on still need a JWT at the platform gateway.
  if anon_key is not null then
    headers := headers || jsonb_build_object('Authorization', 'Bearer ' || anon_key);
  end if;

  request_id := net.http_post(
    url := rtrim(project_url, '/') || '/functions/v1/' || function_path,
    body := coalesce(body, '{}'::jsonb),
    headers := headers,
    timeout_milliseconds := timeout_milliseconds
  );
  insert into private.edge_function_calls (request_id, function_path)
  values (request_id, invoke_edge_function.function_path);
  return request_id;
end;
$$;

comment on function private.invoke_edge_function(text, jsonb, integer) is
  'Queues a POST (via pg_net) to <Vault project_url>/functions/v1/<function_path> with the Vault '
  'cron_secret in the x-cron-secret header, the timeout in x-caller-timeout-ms (the function ends '
  'its run before it), and the anon key, when Vault has anon_key, as the Bearer token so '
  'verify_jwt functions pass the gateway. Returns the pg_net request id, also logged in '
  'private.edge_function_calls; the outcome appears in net._http_response. Raises when the Vault '
  'secrets are missing or the path or timeout is invalid. For pg_cron jobs and operators only: not '
  'executable by anon or authenticated.';
