-- Stand-in for the SQL surface of the pg_net extension (schema net), which
-- hosted Supabase installs but which needs a C background worker and libcurl
-- that a plain PostgreSQL lacks. Our migrations queue outgoing HTTP calls with
-- net.http_get/http_post/http_delete; locally a separate process claims the
-- queued rows from net.http_request_queue and writes net._http_response.
-- Tables, domain and function signatures (argument names, types, defaults,
-- return types) and bodies follow pg_net 0.19.7-0.20.x (sql/pg_net.sql), minus
-- the net.wake() call that pokes the C worker. The two C url-encoding helpers
-- are reimplemented in SQL with the same signatures and curl's escaping rules.
-- Nothing here runs when pg_net is installed, and each object is created only
-- when absent, so a hosted database or a second run is left untouched.
--
-- Grants copied from hosted: pg_net's own script grants usage on schema net
-- and all on all tables and sequences in schema net to PUBLIC; Supabase's
-- grant_pg_net_access event trigger adds usage on schema net to postgres,
-- anon, authenticated, service_role (and supabase_functions_admin, not created
-- here). Since pg_net 0.12 hosted leaves the http functions security invoker
-- with PostgreSQL's default EXECUTE for PUBLIC. Our own migrations revoke what
-- must stay private.

do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
    return;
  end if;

  if not exists (select from pg_catalog.pg_namespace where nspname = 'net') then
    create schema net;
    grant usage on schema net to public;
    grant usage on schema net to postgres, anon, authenticated, service_role;
  end if;

  if pg_catalog.to_regtype('net.http_method') is null then
    create domain net.http_method as text
    check (
      value ilike 'get'
      or value ilike 'post'
      or value ilike 'delete'
    );
  end if;

  -- Store pending requests; the local worker claims them with delete ... returning.
  if pg_catalog.to_regclass('net.http_request_queue') is null then
    create unlogged table net.http_request_queue (
      id bigserial,
      method net.http_method not null,
      url text not null,
      headers jsonb,
      body bytea,
      timeout_milliseconds int not null
    );
    grant all on table net.http_request_queue to public;
    grant all on sequence net.http_request_queue_id_seq to public;
  end if;

  if pg_catalog.to_regclass('net._http_response') is null then
    create unlogged table net._http_response (
      id bigint,
      status_code integer,
      content_type text,
      headers jsonb,
      content text,
      timed_out bool,
      error_msg text,
      created timestamptz not null default now()
    );
    create index _http_response_created_idx on net._http_response (created);
    grant all on table net._http_response to public;
  end if;
end
$$;

-- pg_net's C helpers, in SQL: percent-encode every byte outside
-- [A-Za-z0-9-._~] (curl_escape), and append already-encoded key=value pairs to
-- the url's query with '&' (curl_url CURLU_APPENDQUERY).
do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
    return;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('net') and p.proname = '_urlencode_string'
  ) then
    create function net._urlencode_string(string varchar)
      returns text
      language sql
      immutable
      strict
      set search_path = ''
    as $fn$
      select coalesce(
        pg_catalog.string_agg(
          case
            when b.v between 48 and 57      -- 0-9
              or b.v between 65 and 90      -- A-Z
              or b.v between 97 and 122     -- a-z
              or b.v in (45, 46, 95, 126)   -- - . _ ~
            then pg_catalog.chr(b.v)
            else '%' || pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(b.v), 2, '0'))
          end,
          '' order by b.i
        ),
        ''
      )
      from (select pg_catalog.convert_to(string::text, 'UTF8') as bytes) s,
           lateral pg_catalog.generate_series(0, pg_catalog.length(s.bytes) - 1) as g(i),
           lateral (select g.i as i, pg_catalog.get_byte(s.bytes, g.i) as v) b
    $fn$;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('net') and p.proname = '_encode_url_with_params_array'
  ) then
    create function net._encode_url_with_params_array(url text, params_array text[])
      returns text
      language sql
      immutable
      strict
      set search_path = ''
    as $fn$
      select case
        when coalesce(pg_catalog.array_length(params_array, 1), 0) = 0 then url
        else
          -- the query goes before any #fragment
          pg_catalog.split_part(url, '#', 1)
          || case
               when pg_catalog.strpos(pg_catalog.split_part(url, '#', 1), '?') = 0 then '?'
               when pg_catalog.split_part(url, '#', 1) ~ '[?&]$' then ''
               else '&'
             end
          || pg_catalog.array_to_string(params_array, '&')
          || case
               when pg_catalog.strpos(url, '#') > 0
               then pg_catalog.substr(url, pg_catalog.strpos(url, '#'))
               else ''
             end
      end
    $fn$;
  end if;
end
$$;

do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
    return;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('net') and p.proname = 'http_get'
  ) then
    create function net.http_get(
      -- url for the request
      url text,
      -- key/value pairs to be url encoded and appended to the `url`
      params jsonb default '{}'::jsonb,
      -- key/values to be included in request headers
      headers jsonb default '{}'::jsonb,
      -- the maximum number of milliseconds the request may take before being cancelled
      timeout_milliseconds int default 5000
    )
      -- request_id reference
      returns bigint
      language plpgsql
      set search_path = ''
    as $fn$
    declare
      request_id bigint;
      params_array text[];
    begin
      select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
      into params_array
      from jsonb_each_text(params);

      -- Add to the request queue
      insert into net.http_request_queue(method, url, headers, timeout_milliseconds)
      values (
        'GET',
        net._encode_url_with_params_array(url, params_array),
        headers,
        timeout_milliseconds
      )
      returning id
      into request_id;

      return request_id;
    end
    $fn$;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('net') and p.proname = 'http_post'
  ) then
    create function net.http_post(
      -- url for the request
      url text,
      -- body of the POST request
      body jsonb default '{}'::jsonb,
      -- key/value pairs to be url encoded and appended to the `url`
      params jsonb default '{}'::jsonb,
      -- key/values to be included in request headers
      headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
      -- the maximum number of milliseconds the request may take before being cancelled
      timeout_milliseconds int default 5000
    )
      -- request_id reference
      returns bigint
      language plpgsql
      set search_path = ''
    as $fn$
    declare
      request_id bigint;
      params_array text[];
      content_type text;
    begin

      -- Exctract the content_type from headers
      select
        header_value into content_type
      from
        jsonb_each_text(coalesce(headers, '{}'::jsonb)) r(header_name, header_value)
      where
        lower(header_name) = 'content-type'
      limit
        1;

      -- If the user provided new headers and omitted the content type
      -- add it back in automatically
      if content_type is null then
        select headers || '{"Content-Type": "application/json"}'::jsonb into headers;
      end if;

      -- Confirm that the content-type is set as "application/json"
      if content_type <> 'application/json' then
        raise exception 'Content-Type header must be "application/json"';
      end if;

      select
        coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
      into
        params_array
      from
        jsonb_each_text(params);

      -- Add to the request queue
      insert into net.http_request_queue(method, url, headers, body, timeout_milliseconds)
      values (
        'POST',
        net._encode_url_with_params_array(url, params_array),
        headers,
        convert_to(body::text, 'UTF8'),
        timeout_milliseconds
      )
      returning id
      into request_id;

      return request_id;
    end
    $fn$;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('net') and p.proname = 'http_delete'
  ) then
    create function net.http_delete(
      -- url for the request
      url text,
      -- key/value pairs to be url encoded and appended to the `url`
      params jsonb default '{}'::jsonb,
      -- key/values to be included in request headers
      headers jsonb default '{}'::jsonb,
      -- the maximum number of milliseconds the request may take before being cancelled
      timeout_milliseconds int default 5000,
      -- optional body of the request
      body jsonb default null
    )
      -- request_id reference
      returns bigint
      language plpgsql
      set search_path = ''
    as $fn$
    declare
      request_id bigint;
      params_array text[];
    begin
      select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
      into params_array
      from jsonb_each_text(params);

      -- Add to the request queue
      insert into net.http_request_queue(method, url, headers, body, timeout_milliseconds)
      values (
        'DELETE',
        net._encode_url_with_params_array(url, params_array),
        headers,
        convert_to(body::text, 'UTF8'),
        timeout_milliseconds
      )
      returning id
      into request_id;

      return request_id;
    end
    $fn$;
  end if;
end
$$;
