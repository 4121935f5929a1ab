-- Supabase grants EXECUTE on every new function to PUBLIC and, in schema public, to anon and
-- authenticated. Every function this project writes is private unless a later migration grants
-- it to a role on purpose (basejump's rule), so the defaults are revoked before any exists.
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;
