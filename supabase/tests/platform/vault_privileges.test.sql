-- Vault secrets are readable by nobody behind the Data API: anon and authenticated can neither
-- read them nor create them.
begin;
select plan(6);

select vault.create_secret('s3cr3t-value', 'test_only_secret', 'pgTAP');
select is(
  (select decrypted_secret from vault.decrypted_secrets where name = 'test_only_secret'),
  's3cr3t-value', 'postgres reads the decrypted secret');
select isnt(
  (select secret from vault.secrets where name = 'test_only_secret'),
  's3cr3t-value', 'the stored secret is not the plain text');

select tests.authenticate_as_anon();
select throws_ok($$select * from vault.decrypted_secrets$$, '42501', null,
  'anon cannot read vault.decrypted_secrets');
select throws_ok($$select vault.create_secret('x', 'anon_secret')$$, '42501', null,
  'anon cannot create secrets');

select tests.clear_authentication();
select tests.authenticate_as(tests.create_user('member@example.test'));
select throws_ok($$select * from vault.decrypted_secrets$$, '42501', null,
  'authenticated cannot read vault.decrypted_secrets');
select throws_ok($$select * from vault.secrets$$, '42501', null,
  'authenticated cannot read vault.secrets');

select * from finish();
rollback;
