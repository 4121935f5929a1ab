-- What onboarding and the webhook checks keep, and the functions that change it or return keys,
-- are the service's only: no API role can read those tables or run those functions.
begin;
select plan(42);

select ok(not has_table_privilege(r, t, 'select'), r || ' cannot read ' || t)
from unnest(array['anon', 'authenticated', 'service_role']) r,
     unnest(array['private.webhook_subscriptions', 'private.webhook_subscription_repairs',
                  'private.webhook_test_deliveries', 'private.workspace_backfills']) t;
select ok(not has_function_privilege(r, f, 'execute'), r || ' cannot execute ' || f)
from unnest(array['anon', 'authenticated', 'service_role']) r,
     unnest(array[
       'private.webhook_subscription_targets(uuid, bigint)',
       'private.record_webhook_subscription_check(bigint, text, bigint, text)',
       'private.announce_webhook_repairs()',
       'private.expect_webhook_test(bigint)',
       'private.record_webhook_test_delivery(text, text)',
       'private.record_backfill(bigint, date, date, jsonb)',
       'private.settle_backfill_boundary(bigint, jsonb)',
       'private.disconnect_connection(uuid)',
       'private.purge_connection(uuid)',
       'private.merge_review_workspace(bigint, bigint)']) f;

select * from finish();
rollback;
