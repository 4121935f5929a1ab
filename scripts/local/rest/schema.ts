// What PostgREST keeps in its schema cache, looked up per request instead (so a migration applied
// to a running stack is visible at once, as hosted reloads its cache on DDL): a relation and its
// columns, the overloads of a function, the settings of the role a request switches to, and the
// names behind "Perhaps you meant ..." hints. Read from pg_catalog as the connecting role, which
// is what PostgREST's cache reflects too (nothing here depends on the caller's privileges).
import type postgres from "postgres";

export interface Column {
  name: string;
  /** The column's type as regtype prints it (a domain keeps its own name). */
  type: string;
  /** The underlying type through one level of domain. */
  baseType: string;
}

export interface Relation {
  kind: string;
  /** pg_relation_is_updatable's bits: 8 insert, 4 update, 16 delete. */
  updatable: number;
  hasPrimaryKey: boolean;
  columns: Column[];
}

export interface RoutineParam {
  name: string;
  type: string;
  /** The type to cast an argument to (bit and character widened, as PostgREST does). */
  typeMaxLength: string;
  required: boolean;
  variadic: boolean;
}

export interface Routine {
  schema: string;
  name: string;
  params: RoutineParam[];
  returnsSet: boolean;
  returnsComposite: boolean;
  returnSchema: string;
  returnName: string;
  volatility: "i" | "s" | "v";
  hasVariadic: boolean;
  isolationLevel: string | null;
  /** Transaction settings the function declares (statement_timeout, ...), applied per call. */
  settings: [string, string][];
  /** Columns of the composite type it returns, when that is a table's or view's row type. */
  returnColumns: Column[];
}

export interface RoleSettings {
  settings: [string, string][];
  isolationLevel: string | null;
}

const columnsOf = (oid: string) => `
  coalesce((
    select json_agg(json_build_object(
      'name', a.attname,
      'type', a.atttypid::pg_catalog.regtype::text,
      'baseType', coalesce(bt.typname, t.typname)
    ) order by a.attnum)
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_type t on t.oid = a.atttypid
    left join pg_catalog.pg_type bt on bt.oid = nullif(t.typbasetype, 0)
    where a.attrelid = ${oid} and a.attnum > 0 and not a.attisdropped
  ), '[]')`;

// Settings an API role carries (alter role ... set), applied by PostgREST with set_config because
// switching role inside a transaction does not apply them.
const roleSettingsQuery = `(
  select json_build_object(
    'settings', coalesce(json_agg(json_build_array(kv.key, kv.value))
      filter (where kv.key <> 'default_transaction_isolation' and kv.settable), '[]'),
    'isolationLevel', max(kv.value) filter (where kv.key = 'default_transaction_isolation'))
  from (
    select split_part(s.setting, '=', 1) as key,
      substr(s.setting, strpos(s.setting, '=') + 1) as value,
      exists (
        select from pg_catalog.pg_settings ps
        where ps.name = split_part(s.setting, '=', 1)
          and (ps.context = 'user'
            or pg_catalog.has_parameter_privilege(current_user, ps.name, 'set'))
      ) as settable
    from pg_catalog.pg_roles r
    cross join lateral unnest(r.rolconfig) as s(setting)
    where r.rolname = $3 and pg_catalog.pg_has_role(current_user, r.oid, 'member')
  ) kv
)`;

const relationQuery = `
  with rel as (
    select c.oid, c.relkind
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and c.relname = $2
      and c.relkind in ('r', 'v', 'm', 'f', 'p') and not c.relispartition
  )
  select
    (select json_build_object(
      'kind', rel.relkind,
      'updatable', pg_catalog.pg_relation_is_updatable(rel.oid, false),
      'hasPrimaryKey', exists (
        select from pg_catalog.pg_constraint k where k.conrelid = rel.oid and k.contype = 'p'),
      'columns', ${columnsOf("rel.oid")}
    ) from rel) as relation,
    ${roleSettingsQuery} as role`;

// Transaction settings a function may declare that PostgREST applies around the call.
const hoistedSettings = `array['statement_timeout', 'plan_filter.statement_cost_limit',
  'default_transaction_isolation']`;

const routinesQuery = `
  with args as (
    select p.oid,
      json_agg(json_build_object(
        'name', coalesce(a.name, ''),
        'type', a.type::pg_catalog.regtype::text,
        'typeMaxLength', case a.type
          when 'bit'::pg_catalog.regtype then 'bit varying'
          when 'bit[]'::pg_catalog.regtype then 'bit varying[]'
          when 'character'::pg_catalog.regtype then 'character varying'
          when 'character[]'::pg_catalog.regtype then 'character varying[]'
          else a.type::pg_catalog.regtype::text end,
        'required', a.idx <= (p.pronargs - p.pronargdefaults),
        'variadic', coalesce(a.mode = 'v', false)
      ) order by a.idx) as params,
      case count(*) - count(a.name)
        when 0 then true
        when 1 then (array_agg(a.type))[1] in ('bytea'::pg_catalog.regtype,
          'json'::pg_catalog.regtype, 'jsonb'::pg_catalog.regtype, 'text'::pg_catalog.regtype,
          'xml'::pg_catalog.regtype)
        else false end as callable
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
    cross join lateral unnest(p.proargnames, p.proargtypes::oid[], p.proargmodes)
      with ordinality as a(name, type, mode, idx)
    where pn.nspname = $1 and p.proname = $2 and a.type is not null
    group by p.oid
  )
  select
    coalesce((select json_agg(json_build_object(
      'schema', pn.nspname,
      'name', p.proname,
      'params', coalesce(args.params, '[]'),
      'returnsSet', p.proretset,
      'returnsComposite', t.typtype = 'c'
        or coalesce(p.proargmodes::text[] && '{t,b,o}', false),
      'returnSchema', tn.nspname,
      'returnName', coalesce(comp.relname, t.typname),
      'volatility', p.provolatile,
      'hasVariadic', p.provariadic > 0,
      'isolationLevel', (
        select (regexp_split_to_array(split_part(c, '=', 2), ','))[1]
        from unnest(p.proconfig) c where c like 'default_transaction_isolation%' limit 1),
      'settings', coalesce((
        select json_agg(json_build_array(split_part(c, '=', 1), substr(c, strpos(c, '=') + 1)))
        from unnest(p.proconfig) c where c ~ any(${hoistedSettings})), '[]'),
      'returnColumns', case when comp.relkind in ('r', 'v', 'm', 'f', 'p')
        then ${columnsOf("comp.oid")} else '[]' end
    ) order by p.oid)
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
    join pg_catalog.pg_type rt on rt.oid = p.prorettype
    join pg_catalog.pg_type t on t.oid = coalesce(nullif(rt.typbasetype, 0), rt.oid)
    join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
    left join pg_catalog.pg_class comp on comp.oid = t.typrelid
    left join args on args.oid = p.oid
    where pn.nspname = $1 and p.proname = $2 and p.prokind = 'f'
      and t.oid <> 'trigger'::pg_catalog.regtype and coalesce(args.callable, true)
    ), '[]') as routines,
    ${roleSettingsQuery} as role`;

const tableNamesQuery = `
  select coalesce(json_agg(c.relname), '[]') as names
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'f', 'p') and not c.relispartition`;

const routineNamesQuery = `
  select coalesce(json_agg(distinct p.proname), '[]') as names
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
  where pn.nspname = $1 and p.prokind = 'f'
    and p.prorettype <> 'trigger'::pg_catalog.regtype`;

interface RoleRow {
  settings: [string, string][];
  isolationLevel: string | null;
}

const noRoleSettings = (row: RoleRow | null): RoleSettings =>
  row ?? { settings: [], isolationLevel: null };

export async function lookUpRelation(
  sql: postgres.Sql,
  schema: string,
  name: string,
  role: string,
): Promise<{ relation: Relation | null; role: RoleSettings }> {
  const [row] = await sql.unsafe(relationQuery, [schema, name, role]);
  return { relation: row.relation, role: noRoleSettings(row.role) };
}

export async function lookUpRoutines(
  sql: postgres.Sql,
  schema: string,
  name: string,
  role: string,
): Promise<{ routines: Routine[]; role: RoleSettings }> {
  const [row] = await sql.unsafe(routinesQuery, [schema, name, role]);
  return { routines: row.routines, role: noRoleSettings(row.role) };
}

export async function tableNames(sql: postgres.Sql, schema: string): Promise<string[]> {
  const [row] = await sql.unsafe(tableNamesQuery, [schema]);
  return row.names;
}

export async function routineNames(sql: postgres.Sql, schema: string): Promise<string[]> {
  const [row] = await sql.unsafe(routineNamesQuery, [schema]);
  return row.names;
}
