// The one Supabase client, and who is signed in. Signing in through supabase-js's Auth (rather
// than handing Realtime a token) is what keeps private channels authorised: the client passes
// every new session, refreshed tokens included, to Realtime itself.
import { signal } from "@preact/signals";
import { createClient, type Session, type SupabaseClient } from "@supabase/supabase-js";
import type { DashboardConfig } from "./config.ts";
import { href, parseRoute, route } from "./route.ts";
import type { Database } from "../../supabase/types/database.ts";

let client: SupabaseClient<Database> | null = null;
const choosingKey = "bison-dashboard.password-to-choose-for";

/** Browser storage can be switched off: then what it would keep lasts this page load only. */
function stored<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

function choosingPasswordFor(userId: string | null) {
  passwordToChooseFor.value = userId;
  stored(() =>
    userId ? localStorage.setItem(choosingKey, userId) : localStorage.removeItem(choosingKey)
  );
}

/** undefined until Auth has said whether a session is stored. */
export const session = signal<Session | null | undefined>(undefined);
/** Agency admins see every workspace and may set targets; the database enforces both. */
export const isAgencyAdmin = signal(false);
/** True while the session of the email link the page was opened with is checked. */
export const takingEmailLink = signal(false);
/** Why that link signed nobody in, in Auth's words (an expired or used link, say). */
export const emailLinkProblem = signal<string | null>(null);
/**
 * The user an invite or a password reset signed in, until they have chosen a password. Kept in
 * the browser's storage with the session, so a reload still asks before any page.
 */
export const passwordToChooseFor = signal<string | null>(
  stored(() => localStorage.getItem(choosingKey)),
);

export function supabase(): SupabaseClient<Database> {
  if (!client) throw new Error("the Supabase client is used before config.json was read");
  return client;
}

export function connectSupabase(config: DashboardConfig): SupabaseClient<Database> {
  client = createClient<Database>(config.supabaseUrl, config.supabaseAnonKey, {
    // Email links are taken below, not by supabase-js: it would leave the tokens in the history.
    auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
  });
  client.auth.onAuthStateChange((_event, next) => {
    const userChanged = next?.user.id !== session.value?.user.id;
    session.value = next;
    // Auth's callback must not wait on other Supabase calls: look the role up afterwards.
    if (userChanged) setTimeout(() => refreshAdmin(next), 0);
  });
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has("access_token") || fragment.has("error_code")) {
    // Off the address bar and out of the history before anything else runs; the overview next.
    history.replaceState(history.state, "", location.pathname + location.search + href.overview);
    route.value = parseRoute(href.overview);
    takingEmailLink.value = true;
    void takeEmailLink(fragment);
  }
  return client;
}

/**
 * An email link from Auth's /verify (an invite, a password reset, a magic link) opens the page
 * with a session in the URL's fragment, or with why there is none (GoTrue's implicit flow).
 */
async function takeEmailLink(fragment: URLSearchParams) {
  const problem = fragment.get("error_code") &&
    (fragment.get("error_description") || "The link did not sign you in.");
  const { data, error } = problem
    ? { data: { user: null }, error: { message: problem } }
    : await supabase().auth.setSession({
      access_token: fragment.get("access_token") ?? "",
      refresh_token: fragment.get("refresh_token") ?? "",
    });
  emailLinkProblem.value = error?.message ?? null;
  if (data.user && ["invite", "recovery"].includes(fragment.get("type") ?? "")) {
    choosingPasswordFor(data.user.id);
  }
  takingEmailLink.value = false;
}

/** The signed-in person's new password; Auth's refusal (too weak, say) in its words. */
export async function choosePassword(password: string): Promise<string | null> {
  const { error } = await supabase().auth.updateUser({ password });
  if (error) return error.message;
  choosingPasswordFor(null);
  return null;
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
