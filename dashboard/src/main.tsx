// Start: read config.json, make the Supabase client, then render. A missing or wrong config says
// what to fix instead of showing an empty page.
import { render } from "preact";
import { loadConfig } from "./config.ts";
import { connectSupabase } from "./session.ts";
import { App } from "./App.tsx";
import "./styles.css";

const root = document.getElementById("app")!;

try {
  connectSupabase(await loadConfig());
  render(<App />, root);
} catch (error) {
  render(
    <main class="page">
      <h1>The dashboard cannot start</h1>
      <p class="problem" role="alert">{(error as Error).message}</p>
    </main>,
    root,
  );
}
