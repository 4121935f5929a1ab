// People and access: workspace members (what RLS lets a user read) and agency admins (who see every
// workspace's health). Users are created through Supabase Auth's admin API with the service key,
// locally and on hosted alike; without a password, the answer is an invite link to pass on.
import { createClient } from "@supabase/supabase-js";
import {
  parseOptions,
  positiveInteger,
  required,
  say,
  secretOption,
  table,
  UsageError,
} from "./cli.ts";
import { type Context, findWorkspace } from "./context.ts";

export const usages = {
  member: "bison member add --email <email> --workspace <id> [--role member|admin] " +
    "[--password <password | -> | --redirect-to <dashboard URL>]\n" +
    "bison member remove --email <email> --workspace <id>\n" +
    "bison member list [--workspace <id>] [--json]",
  admin: "bison admin add --email <email> " +
    "[--password <password | -> | --redirect-to <dashboard URL>]\n" +
    "bison admin remove --email <email>\n" +
    "bison admin list [--json]",
};

const roles = ["member", "admin"] as const;

function email(value: string | undefined, usage: string): string {
  const address = required(value, "email", usage).toLowerCase();
  if (!/^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[a-z0-9-]{2,}$/i.test(address)) {
    throw new UsageError(`--email ${JSON.stringify(value)} is not an email address`, usage);
  }
  return address;
}

async function findUser(ctx: Context, address: string): Promise<string | null> {
  const [row] = await ctx.sql`select id from auth.users where lower(email) = ${address}`;
  return row?.id ?? null;
}

/**
 * Where an invite link should land instead of Auth's Site URL: an http(s) URL, which Auth takes
 * only when its Redirect URLs allow it (else it sends the person to the Site URL).
 */
function redirectOption(
  value: string | undefined,
  password: string | undefined,
  usage: string,
): string | undefined {
  if (value === undefined) return undefined;
  if (password !== undefined) {
    throw new UsageError("--redirect-to is for invites: leave out --password", usage);
  }
  if (!/^https?:\/\/[^\s/]+/.test(value) || !URL.canParse(value)) {
    throw new UsageError(`--redirect-to ${JSON.stringify(value)} is not an http(s) URL`, usage);
  }
  return value;
}

/**
 * The user with this email, created through Auth's admin API when there is none: with the
 * password given, or invited (the invite link is returned, to pass on to the person; it signs
 * them in on the dashboard, where they choose their password).
 */
async function ensureUser(
  ctx: Context,
  address: string,
  password: string | undefined,
  redirectTo: string | undefined,
): Promise<{ user_id: string; created: boolean; invite_link?: string }> {
  const existing = await findUser(ctx, address);
  if (existing) {
    if (password !== undefined) {
      say(`${address} already has an account; its password is unchanged.`);
    }
    return { user_id: existing, created: false };
  }
  const { supabaseUrl, serviceRoleKey } = ctx.settings;
  if (!supabaseUrl || !serviceRoleKey) {
    throw new UsageError(
      "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are needed to create users (run `npm start` " +
        "for local ones; on hosted, the project URL and its service_role key)",
    );
  }
  const auth = createClient(supabaseUrl, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  }).auth.admin;
  if (password !== undefined) {
    const { data, error } = await auth.createUser({
      email: address,
      password,
      email_confirm: true,
    });
    if (error) throw authError(error);
    say(`Created the account ${address} with the password given.`);
    return { user_id: data.user.id, created: true };
  }
  const { data, error } = await auth.generateLink({
    type: "invite",
    email: address,
    options: redirectTo ? { redirectTo } : undefined,
  });
  if (error) throw authError(error);
  say(
    `Invited ${address}: pass on the invite link. It works once and signs them in on the ` +
      "dashboard, where they choose their password.",
  );
  return {
    user_id: data.user.id,
    created: true,
    invite_link: data.properties.action_link,
  };
}

/** What Auth refused of the input (a weak password, say) is the operator's to fix: exit 2. */
function authError(error: { message: string; status?: number }): Error {
  const message = `Supabase Auth refused: ${error.message}`;
  return error.status !== undefined && error.status >= 400 && error.status < 500
    ? new UsageError(message)
    : new Error(message);
}

export async function member(ctx: Context, args: string[]) {
  const usage = usages.member;
  const [action, ...rest] = args;
  const { values } = parseOptions(rest, {
    email: { type: "string" },
    workspace: { type: "string" },
    role: { type: "string" },
    password: { type: "string" },
    "redirect-to": { type: "string" },
  }, usage);
  const workspaceId = values.workspace === undefined
    ? null
    : positiveInteger(values.workspace, "workspace", usage);
  if (action === "list") {
    if (values.email || values.role || values.password || values["redirect-to"]) {
      throw new UsageError("member list takes only --workspace", usage);
    }
    if (workspaceId !== null) await findWorkspace(ctx.sql, workspaceId);
    const rows = await ctx.sql`
      select u.email, m.workspace_id::int, w.name as workspace_name, m.role, m.created_at
      from public.workspace_members m
      join auth.users u on u.id = m.user_id
      join public.workspaces w on w.id = m.workspace_id
      where ${workspaceId}::bigint is null or m.workspace_id = ${workspaceId}
      order by m.workspace_id, u.email`;
    if (values.json) return rows;
    console.log(
      rows.length
        ? table(
          ["email", "workspace", "name", "role"],
          rows.map((row) => [row.email, row.workspace_id, row.workspace_name, row.role]),
        )
        : "No members.",
    );
    return undefined;
  }
  if (action !== "add" && action !== "remove") {
    throw new UsageError(action ? `unknown member action: ${action}` : "missing action", usage);
  }
  const address = email(values.email, usage);
  if (workspaceId === null) throw new UsageError("--workspace is required", usage);
  const workspace = await findWorkspace(ctx.sql, workspaceId);
  if (action === "remove") {
    if (values.role || values.password || values["redirect-to"]) {
      throw new UsageError("member remove takes --email and --workspace only", usage);
    }
    const userId = await findUser(ctx, address);
    if (!userId) throw new UsageError(`no user with email ${address}`, usage);
    const removed = await ctx.sql`
      delete from public.workspace_members
      where user_id = ${userId} and workspace_id = ${workspace.id} returning 1`;
    say(
      removed.length
        ? `${address} is no longer a member of workspace ${workspace.id}.`
        : `${address} was not a member of workspace ${workspace.id}; nothing changed.`,
    );
    return { user_id: userId, workspace_id: workspace.id, removed: removed.length > 0 };
  }
  const role = values.role ?? "member";
  if (!(roles as readonly string[]).includes(role)) {
    throw new UsageError(`--role must be ${roles.join(" or ")}, got "${role}"`, usage);
  }
  const password = await secretOption(values.password, "password", "BISON_PASSWORD", usage);
  const redirectTo = redirectOption(values["redirect-to"], password, usage);
  const user = await ensureUser(ctx, address, password, redirectTo);
  if (user.created) ctx.changes.push(`created the account ${address}`);
  await ctx.sql`
    insert into public.workspace_members (user_id, workspace_id, role)
    values (${user.user_id}, ${workspace.id}, ${role})
    on conflict (user_id, workspace_id) do update set role = excluded.role`;
  say(`${address} is a${role === "admin" ? "n admin" : " member"} of workspace ${workspace.id}.`);
  return { ...user, email: address, workspace_id: workspace.id, role };
}

export async function admin(ctx: Context, args: string[]) {
  const usage = usages.admin;
  const [action, ...rest] = args;
  const { values } = parseOptions(rest, {
    email: { type: "string" },
    password: { type: "string" },
    "redirect-to": { type: "string" },
  }, usage);
  if (action === "list") {
    if (values.email || values.password || values["redirect-to"]) {
      throw new UsageError("admin list takes no options", usage);
    }
    const rows = await ctx.sql`
      select u.email, a.created_at from public.agency_admins a join auth.users u on u.id = a.user_id
      order by u.email`;
    if (values.json) return rows;
    console.log(rows.length ? table(["email"], rows.map((row) => [row.email])) : "No admins.");
    return undefined;
  }
  if (action !== "add" && action !== "remove") {
    throw new UsageError(action ? `unknown admin action: ${action}` : "missing action", usage);
  }
  const address = email(values.email, usage);
  if (action === "remove") {
    if (values.password || values["redirect-to"]) {
      throw new UsageError("admin remove takes --email only", usage);
    }
    const userId = await findUser(ctx, address);
    if (!userId) throw new UsageError(`no user with email ${address}`, usage);
    const removed = await ctx.sql`
      delete from public.agency_admins where user_id = ${userId} returning 1`;
    say(
      removed.length
        ? `${address} is no longer an agency admin.`
        : `${address} was not an agency admin; nothing changed.`,
    );
    return { user_id: userId, removed: removed.length > 0 };
  }
  const password = await secretOption(values.password, "password", "BISON_PASSWORD", usage);
  const redirectTo = redirectOption(values["redirect-to"], password, usage);
  const user = await ensureUser(ctx, address, password, redirectTo);
  if (user.created) ctx.changes.push(`created the account ${address}`);
  await ctx.sql`
    insert into public.agency_admins (user_id) values (${user.user_id})
    on conflict (user_id) do nothing`;
  say(`${address} is an agency admin: they see every workspace's health.`);
  return { ...user, email: address };
}
