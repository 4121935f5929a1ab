-- Provider comes from the connection type, else from exactly-mapped tags; reseller from mapped
-- tags; contradictions are flagged and not guessed.
begin;
select plan(9);

select results_eq(
  $$select provider, reseller, problem from private.classify_mailbox('google_workspace_oauth', '[]')$$,
  $$values ('Google'::text, null::text, null::text)$$, 'google_workspace_oauth is Google');
select results_eq(
  $$select provider, reseller, problem from private.classify_mailbox('microsoft_oauth',
      '[{"id": 1, "name": "Zapmail"}]')$$,
  $$values ('Microsoft'::text, 'Zapmail'::text, null::text)$$,
  'microsoft_oauth is Microsoft; the Zapmail tag is the reseller');
select results_eq(
  $$select provider, reseller from private.classify_mailbox('Inbox', '[{"name": "outlook"}]')$$,
  $$values ('Microsoft'::text, null::text)$$,
  'an Inbox mailbox takes its provider from a mapped tag, case-insensitively');
select results_eq(
  $$select provider, reseller from private.classify_mailbox('Inbox', '[{"name": "CheapInboxes"}]')$$,
  $$values (null::text, 'CheapInboxes'::text)$$,
  '"Inbox" inside "CheapInboxes" is not read as anything: names match exactly');
select results_eq(
  $$select provider, reseller from private.classify_mailbox('Inbox',
      '[{"name": "Warming"}, {"name": "Healthy"}]')$$,
  $$values (null::text, null::text)$$, 'unmapped lifecycle tags classify nothing');
select results_eq(
  $$select provider from private.classify_mailbox('Inbox', '[{"name": "Google"}, {"name": "Microsoft"}]')$$,
  $$values (null::text)$$, 'tags naming two providers leave the provider empty');
select matches(
  (select problem from private.classify_mailbox('Inbox', '[{"name": "Google"}, {"name": "Microsoft"}]')),
  'several providers', '...and say why');
select results_eq(
  $$select provider, problem is not null from private.classify_mailbox('google_workspace_oauth',
      '[{"name": "Outlook"}]')$$,
  $$values ('Google'::text, true)$$,
  'the connection type wins over a contradicting tag, and the contradiction is flagged');
select results_eq(
  $$select reseller, problem is not null from private.classify_mailbox('microsoft_oauth',
      '[{"name": "Zapmail"}, {"name": "Mailr"}]')$$,
  $$values (null::text, true)$$, 'two resellers: none chosen, flagged');

select * from finish();
rollback;
