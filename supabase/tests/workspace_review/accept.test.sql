-- Accepting a flagged workspace keeps it as a workspace of its own.
begin;
select plan(3);

insert into public.bison_connections (name, base_url)
values ('Accepting agency', 'https://send.example.test') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, needs_review)
values (:'conn', 5, true) returning id as ws \gset

select ok(private.accept_review_workspace(:ws), 'a flagged workspace is accepted');
select ok(not private.accept_review_workspace(:ws), 'accepting it again changes nothing');
select throws_ok('select private.accept_review_workspace(-1)', 'P0002', null,
  'an unknown workspace is refused');

select * from finish();
rollback;
