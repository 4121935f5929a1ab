-- One unit for every rate: a percentage (private.percent_of), in columns and settings whose name
-- ends in _pct. A column or setting that holds a rate or share under any other name fails here.
begin;
select plan(5);

select is(private.percent_of(3, 200), 1.50, 'percent_of(3, 200) is 1.50 (%)');
select is(private.percent_of(1, 3), 33.33, 'rounded to 2 decimals');
select is(private.percent_of(5, 0), null, 'null on nothing to divide by');

select is(
  array(
    select c.table_name || '.' || c.column_name from information_schema.columns c
    where c.table_schema in ('public', 'private')
      and (c.column_name ~ '(rate|share|ratio|utilisation|percent)' or c.column_name ~ 'pct')
      and c.column_name !~ '_pct$'
    order by 1),
  array[]::text[],
  'every rate, share or utilisation column of tables and views is named *_pct');

select is(
  array(
    select s.key from private.settings s
    where s.key ~ '(rate|share|tolerance|percent)' and s.key !~ '_pct$'
    order by 1),
  array[]::text[],
  'every rate, share or tolerance setting is named *_pct');

select * from finish();
rollback;
