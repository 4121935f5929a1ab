-- The helpers that read Bison's loosely typed values: counters may come as numbers or strings,
-- times as ISO-8601 strings. Anything unusable becomes null and never raises, since one odd field
-- must not fail an event (and fail it again on every reprocess).
begin;
select plan(27);

select is(private.jsonb_bigint('42'), 42::bigint, 'a JSON number is read');
select is(private.jsonb_bigint('" 42 "'), 42::bigint, 'a numeric string is read, spaces trimmed');
select is(private.jsonb_bigint('-7'), -7::bigint, 'a negative number is read');
select is(private.jsonb_bigint('"12.0"'), 12::bigint, 'a whole number with a zero fraction is read');
select is(private.jsonb_bigint('12.5'), null, 'a fraction is not a counter');
select is(private.jsonb_bigint('"1e3"'), null, 'exponent notation in a string is not read');
select is(private.jsonb_bigint('999999999999999999'), 999999999999999999::bigint,
  '18 digits are read');
select is(private.jsonb_bigint('"99999999999999999999"'), null,
  '20 digits (beyond bigint) become null instead of raising');
select is(private.jsonb_bigint('"abc"'), null, 'text is not a counter');
select is(private.jsonb_bigint('true'), null, 'a boolean is not a counter');
select is(private.jsonb_bigint('{"id": 1}'), null, 'an object is not a counter');


select is(private.jsonb_timestamptz('"2024-08-02T06:08:38.000000Z"'),
  '2024-08-02 06:08:38+00'::timestamptz, 'Bison''s microsecond UTC format is read');
select is(private.jsonb_timestamptz('"2024-08-02 01:08:38-05:00"'),
  '2024-08-02 06:08:38+00'::timestamptz, 'an offset and a space separator are read');
select is(private.jsonb_timestamptz('"2024-02-29T10:00:00Z"'),
  '2024-02-29 10:00:00+00'::timestamptz, 'a leap day is read');
select is(private.jsonb_timestamptz('"2026-02-30T10:00:00Z"'), null,
  'a day beyond its month becomes null');
select is(private.jsonb_timestamptz('"2026-13-01T10:00:00Z"'), null,
  'a thirteenth month becomes null');
select is(private.jsonb_timestamptz('"2026-11-20T24:30:00Z"'), null, 'hour 24 becomes null');
select is(private.jsonb_timestamptz('"2026-11-20T24:00:00Z"'), null,
  '24:00 becomes null, not the next day''s midnight');
select is(private.jsonb_timestamptz('"2026-11-20T10:00:00+20:00"'), null,
  'an offset beyond 15 hours becomes null');
select is(private.jsonb_timestamptz('"2026-11-20T10:00:00+29:00"'), null,
  'an offset that is not an hour of the day becomes null');
select is(private.jsonb_timestamptz('"now"'), null,
  'words the cast would accept (now) become null');
select is(private.jsonb_timestamptz('"infinity"'), null, 'infinity becomes null');
select is(private.jsonb_timestamptz('1722578918'), null, 'a number is not a time');

select is(private.jsonb_boolean('"yes"'), true, 'a "yes" string is true');
select is(private.jsonb_boolean('0'), false, '0 is false');
select is(private.jsonb_boolean('null'), null, 'null stays unknown');

select is(
  private.webhook_event_time('lead_interested', $j$
    {"reply": {"date_received": "2026-11-20T10:00:00Z"},
     "campaign_event": {"created_at": "2026-11-21T09:00:00Z"}}$j$),
  '2026-11-21 09:00:00+00'::timestamptz,
  'an interested event happens when it was marked, not when the reply arrived');

select * from finish();
rollback;
