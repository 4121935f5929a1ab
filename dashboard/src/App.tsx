// The frame around every page: sign-in when nobody is signed in, else the navigation, the
// connection's state and the page the URL's hash names.
import { useState } from "preact/hooks";
import { isAgencyAdmin, session, signIn, supabase } from "./session.ts";
import { leaveAll } from "./live.ts";
import { href, route } from "./route.ts";
import { ConnectionBadge } from "./components/ui.tsx";
import { Overview } from "./pages/Overview.tsx";
import { Client } from "./pages/Client.tsx";
import { Infrastructure } from "./pages/Infrastructure.tsx";
import { Health } from "./pages/Health.tsx";

export function App() {
  const current = session.value;
  if (current === undefined) return <p class="boot">Loading…</p>;
  if (current === null) return <SignIn />;
  const page = route.value;
  return (
    <>
      <nav class="top">
        <a href={href.overview} class={page.page === "overview" ? "current" : ""}>Overview</a>
        <a href={href.infrastructure} class={page.page === "infrastructure" ? "current" : ""}>
          Infrastructure
        </a>
        <a href={href.health} class={page.page === "health" ? "current" : ""}>Health</a>
        <span class="spacer" />
        <ConnectionBadge />
        <span class="user" data-user={current.user.email}>
          {current.user.email}
          {isAgencyAdmin.value ? " (agency admin)" : ""}
        </span>
        <button type="button" class="link" onClick={signOut}>Sign out</button>
      </nav>
      {page.page === "overview" && <Overview />}
      {page.page === "client" && <Client key={page.workspaceId} workspaceId={page.workspaceId} />}
      {page.page === "infrastructure" && <Infrastructure />}
      {page.page === "health" && <Health />}
      {page.page === "not-found" && (
        <main class="page">
          <h1>Not found</h1>
          <p>
            There is no page here. <a href={href.overview}>Back to the overview</a>
          </p>
        </main>
      )}
    </>
  );
}

async function signOut() {
  leaveAll();
  await supabase().removeAllChannels();
  await supabase().auth.signOut();
}

function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({
    busy: false,
    error: null,
  });
  async function submit(event: Event) {
    event.preventDefault();
    setState({ busy: true, error: null });
    const error = await signIn(email.trim(), password);
    setState({ busy: false, error });
  }
  return (
    <main class="page sign-in">
      <h1>Sign in</h1>
      <form onSubmit={submit}>
        <Field label="Email" name="email" type="email" value={email} onInput={setEmail} />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
        />
        <button type="submit" disabled={state.busy}>
          {state.busy ? "Signing in…" : "Sign in"}
        </button>
        {state.error && <p class="problem" role="alert">{state.error}</p>}
      </form>
    </main>
  );
}

function Field(
  { label, name, type, value, onInput }: {
    label: string;
    name: string;
    type: string;
    value: string;
    onInput: (value: string) => void;
  },
) {
  return (
    <label>
      {label}
      <input
        name={name}
        type={type}
        autocomplete={type === "password" ? "current-password" : "username"}
        required
        value={value}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}
