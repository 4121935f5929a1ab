// The one Supabase client, and who is signed in. Signing in through supabase-js's Auth (rather
// than handing Realtime a token) is what keeps private channels authorised: the client passes
// every new session, refreshed tokens included, to Realtime itself.
import { signal } from "@preact/signals";
import { createClient, type Session, type SupabaseClient } from "@supabase/supabase-js";
import type { DashboardConfig } from "./config.ts";
import type { Database } from "../../supabase/types/database.ts";

let client: SupabaseClient<Database> | null = null;

/** undefined until Auth has said whether a session is stored. */
export const session = signal<Session | null | undefined>(undefined);
/** Agency admins see every workspace and may set targets; the database enforces both. */
export const isAgencyAdmin = signal(false);

export function supabase(): SupabaseClient<Database> {
  if (!client) throw new Error("the Supabase client is used before config.json was read");
  return client;
}

export function connectSupabase(config: DashboardConfig): SupabaseClient<Database> {
  client = createClient<Database>(config.supabaseUrl, config.supabaseAnonKey, {
    auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
  });
  client.auth.onAuthStateChange((_event, next) => {
    const userChanged = next?.user.id !== session.value?.user.id;
    session.value = next;
    // Auth's callback must not wait on other Supabase calls: look the role up afterwards.
    if (userChanged) setTimeout(() => refreshAdmin(next), 0);
  });
  return client;
}

async function refreshAdmin(current: Session | null) {
  if (!current) {
    isAgencyAdmin.value = false;
    return;
  }
  // RLS lets only agency admins read agency_admins: a member gets no row.
  const { data } = await supabase().from("agency_admins").select("user_id")
    .eq("user_id", current.user.id).maybeSingle();
  if (session.value?.user.id === current.user.id) isAgencyAdmin.value = data !== null;
}

export async function signIn(email: string, password: string): Promise<string | null> {
  const { error } = await supabase().auth.signInWithPassword({ email, password });
  return error ? error.message : null;
}
