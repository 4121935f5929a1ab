-- An agency admin reads every workspace and its data; a member only theirs; a user who is
-- neither, nothing.
begin;
select plan(6);

insert into public.bison_connections (name, base_url)
values ('Admin agency', 'https://send.example.test') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id) values (:'conn', 1), (:'conn', 2);
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent)
select id, current_date, 5 from public.workspaces where connection_id = :'conn';
select tests.create_user('admin@example.test');
select tests.create_user('member@example.test');
select tests.create_user('nobody@example.test');
insert into public.agency_admins (user_id) values (tests.user_id('admin@example.test'));
insert into public.workspace_members (user_id, workspace_id)
select tests.user_id('member@example.test'), id from public.workspaces
where connection_id = :'conn' and bison_workspace_id = 1;

select tests.authenticate_as(tests.user_id('admin@example.test'));
select is((select count(*)::int from public.workspaces), 2, 'an admin sees every workspace');
select is((select count(*)::int from public.workspace_daily_metrics), 2, 'and every day row');
select is((select count(*)::int from public.bison_connections), 1, 'and the connection');
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('member@example.test'));
select is((select count(*)::int from public.workspaces), 1, 'a member sees their workspace');
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('nobody@example.test'));
select is((select count(*)::int from public.workspaces), 0, 'anyone else sees none');
select is((select count(*)::int from public.workspace_daily_metrics), 0, 'and no day row');

select * from finish();
rollback;
