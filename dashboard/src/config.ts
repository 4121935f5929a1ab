// Which Supabase project the dashboard talks to is read when it starts, from config.json beside
// index.html, never built in: the same static files serve `npm start` and a hosted project.

export interface DashboardConfig {
  /** The project URL (hosted: https://<ref>.supabase.co; local: the stack's API URL). */
  supabaseUrl: string;
  /** The project's anon (or publishable) key: public by design, RLS decides what it reads. */
  supabaseAnonKey: string;
}

export class ConfigError extends Error {}

/** Validates what config.json holds; a mistake gets a message that says what to fix. */
export function parseConfig(value: unknown): DashboardConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError("config.json must be a JSON object");
  }
  const { supabaseUrl, supabaseAnonKey } = value as Record<string, unknown>;
  if (typeof supabaseUrl !== "string" || !/^https?:\/\/[^\s/]+/.test(supabaseUrl)) {
    throw new ConfigError('config.json: "supabaseUrl" must be the project\'s http(s) URL');
  }
  if (typeof supabaseAnonKey !== "string" || supabaseAnonKey.trim() === "") {
    throw new ConfigError('config.json: "supabaseAnonKey" must be the project\'s anon key');
  }
  return { supabaseUrl: supabaseUrl.replace(/\/+$/, ""), supabaseAnonKey };
}

export async function loadConfig(): Promise<DashboardConfig> {
  let response: Response;
  try {
    response = await fetch("config.json", { cache: "no-store" });
  } catch {
    throw new ConfigError("config.json could not be fetched");
  }
  if (!response.ok) {
    throw new ConfigError(
      `config.json answered HTTP ${response.status}: put one beside index.html (docs/dashboard.md)`,
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ConfigError("config.json is not valid JSON");
  }
  return parseConfig(body);
}
