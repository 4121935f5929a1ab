// The frame around every page: sign-in when nobody is signed in, the choice of a password after
// an invite link, else the navigation, the connection's state and the page the URL's hash names.
import { useState } from "preact/hooks";
import {
  choosePassword,
  emailLinkProblem,
  isAgencyAdmin,
  passwordToChooseFor,
  session,
  signIn,
  supabase,
  takingEmailLink,
} from "./session.ts";
import { leaveAll } from "./live.ts";
import { href, route } from "./route.ts";
import { ConnectionBadge } from "./components/ui.tsx";
import { Overview } from "./pages/Overview.tsx";
import { Client } from "./pages/Client.tsx";
import { Infrastructure } from "./pages/Infrastructure.tsx";
import { Health } from "./pages/Health.tsx";

export function App() {
  const current = session.value;
  if (current === undefined || takingEmailLink.value) return <p class="boot">Loading…</p>;
  if (current === null) return <SignIn />;
  if (passwordToChooseFor.value === current.user.id) {
    return <ChoosePassword email={current.user.email} />;
  }
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

/**
 * A form's submission: busy while `run` works, then the problem it reports (null: none), shown
 * as text. Starts with `problem` shown.
 */
function useSubmission(run: () => Promise<string | null>, problem: string | null = null) {
  const [state, setState] = useState({ busy: false, problem });
  async function submit(event: Event) {
    event.preventDefault();
    setState({ busy: true, problem: null });
    setState({ busy: false, problem: await run() });
  }
  return { ...state, submit };
}

function Submit(
  { label, busyLabel, busy, problem }: {
    label: string;
    busyLabel: string;
    busy: boolean;
    problem: string | null;
  },
) {
  return (
    <>
      <button type="submit" disabled={busy}>{busy ? busyLabel : label}</button>
      {problem && <p class="problem" role="alert">{problem}</p>}
    </>
  );
}

function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const form = useSubmission(() => signIn(email.trim(), password), emailLinkProblem.value);
  return (
    <main class="page sign-in">
      <h1>Sign in</h1>
      <form onSubmit={form.submit}>
        <Field label="Email" name="email" type="email" value={email} onInput={setEmail} />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
        />
        <Submit label="Sign in" busyLabel="Signing in…" {...form} />
      </form>
    </main>
  );
}

/** After an invite (or a password reset) signed the person in: the password they will use. */
function ChoosePassword({ email }: { email?: string }) {
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const form = useSubmission(() =>
    password === again ? choosePassword(password) : Promise.resolve("The two passwords differ.")
  );
  return (
    <main class="page sign-in">
      <h1>Choose your password</h1>
      <p>
        Signed in as{" "}
        <strong>{email}</strong>. Choose the password you will sign in with from now on.
      </p>
      <form onSubmit={form.submit}>
        {newPassword("New password", "new-password", password, setPassword)}
        {newPassword("The same password again", "confirm-password", again, setAgain)}
        <Submit label="Save the password" busyLabel="Saving…" {...form} />
      </form>
    </main>
  );
}

const newPassword = (
  label: string,
  name: string,
  value: string,
  onInput: (value: string) => void,
) => <Field {...{ label, name, value, onInput }} type="password" autocomplete="new-password" />;

function Field(
  { label, name, type, value, onInput, autocomplete }: {
    label: string;
    name: string;
    type: string;
    value: string;
    onInput: (value: string) => void;
    autocomplete?: string;
  },
) {
  return (
    <label>
      {label}
      <input
        name={name}
        type={type}
        autocomplete={autocomplete ?? (type === "password" ? "current-password" : "username")}
        required
        value={value}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}
