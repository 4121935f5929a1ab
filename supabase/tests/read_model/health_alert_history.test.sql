-- public.health_alert_history: every status change with the status before it, and the workspace
-- and connection its scope names, for agency admins.
begin;
select plan(2);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000b601', 'history', 'https://h.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id)
overriding system value values (901601, '00000000-0000-4000-8000-00000000b601', 1);
insert into private.system_health_history (check_name, scope, status, value, message, recorded_at)
values
  ('webhook_silence', 'workspace:901601', 'healthy', 5, 'fine', now() - interval '3 hours'),
  ('webhook_silence', 'workspace:901601', 'down', 0, 'silent', now() - interval '2 hours'),
  ('webhook_silence', 'workspace:901601', 'healthy', 7, 'fine', now() - interval '1 hour'),
  ('webhook_rejections', 'connection:00000000-0000-4000-8000-00000000b601', 'degraded', 12,
   '12 refused', now() - interval '90 minutes'),
  ('provider_reply_rate', 'provider:00000000-0000-4000-8000-00000000b601:Google/Acme', 'degraded',
   0.5, 'fell', now() - interval '80 minutes'),
  ('health_runs', 'global', 'down', 300, 'stopped', now() - interval '70 minutes');

insert into public.agency_admins (user_id) values (tests.create_user('history-admin@example.test'));
select tests.authenticate_as(tests.user_id('history-admin@example.test'));

select results_eq(
  $$select check_name, workspace_id, connection_id, status, previous_status, value
    from public.health_alert_history where message in ('fine', 'silent')
    order by recorded_at$$,
  $$values ('webhook_silence', 901601::bigint, '00000000-0000-4000-8000-00000000b601'::uuid,
            'healthy', null, 5::numeric),
           ('webhook_silence', 901601, '00000000-0000-4000-8000-00000000b601', 'down', 'healthy', 0),
           ('webhook_silence', 901601, '00000000-0000-4000-8000-00000000b601', 'healthy', 'down', 7)$$,
  'each change of a workspace check, with the status before it');

select results_eq(
  $$select check_name, workspace_id, connection_id, previous_status
    from public.health_alert_history where message not in ('fine', 'silent')
    order by recorded_at$$,
  $$values ('webhook_rejections', null::bigint, '00000000-0000-4000-8000-00000000b601'::uuid,
            null::text),
           ('provider_reply_rate', null, '00000000-0000-4000-8000-00000000b601', null),
           ('health_runs', null, null, null)$$,
  'connection and provider scopes name their connection; global checks none');

select * from finish();
rollback;
