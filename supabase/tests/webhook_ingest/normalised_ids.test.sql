-- Ids are normalised before they become idempotency keys. Reproduction: "9001", " 9001",
-- "09001" and 9001.0 are one reply, but counted four replies for one replies row.
begin;
select plan(4);

insert into public.bison_connections (name, base_url) values ('ids', 'https://i.example.test')
returning id as conn \gset

select results_eq(
  format($$select private.ingest_event(%L, jsonb_build_object(
      'event', jsonb_build_object('type', 'LEAD_REPLIED', 'workspace_id', 1),
      'data', jsonb_build_object('reply', jsonb_build_object(
        'id', v.id, 'date_received', '2026-11-20T10:00:00Z'))))->>'outcome'
    from (values ('"9001"'::jsonb, 1), ('" 9001"', 2), ('"09001"', 3), ('9001.0', 4)) v(id, n)
    order by v.n$$, :'conn'),
  $$values ('processed'), ('duplicate'), ('duplicate'), ('duplicate')$$,
  'the first delivery counts; the same id written three other ways is a duplicate');
select is(
  (select m.replies from public.workspace_daily_metrics m join public.workspaces w
     on w.id = m.workspace_id where w.connection_id = :'conn'), 1, 'one reply counted');
select is((select count(*)::int from public.replies where connection_id = :'conn'), 1,
  'one replies row');
select is(private.normalised_id('" 0042 "'), '42', 'spaces and leading zeros go');

select * from finish();
rollback;
