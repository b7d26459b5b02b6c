import { useId, useState, type FormEvent, type ReactNode } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { describeError } from "../api/client";
import { useAuth } from "../auth/AuthContext";

function Field(props: { label: string; type: string; value: string; onChange(v: string): void; autoComplete: string; hint?: string }) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type}
        value={props.value}
        required
        autoComplete={props.autoComplete}
        aria-describedby={props.hint ? hintId : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint && (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

function AuthFrame({ title, lead, children }: { title: string; lead: string; children: ReactNode }) {
  return (
    <main className="auth">
      <div className="auth-art" aria-hidden="true">
        <span className="wordmark large">Designer BFF</span>
        <p>Say it. See it. Keep the standouts.</p>
      </div>
      <div className="auth-panel">
        <h1>{title}</h1>
        <p className="muted">{lead}</p>
        {children}
      </div>
    </main>
  );
}

/** A form's submit that waits for `action`: busy meanwhile, and a failure in plain words. */
function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return { submit, busy, error };
}

/** The fields, the failure if there was one, and the submit button (`busyLabel` while it waits). */
function AuthForm(props: { submitting: ReturnType<typeof useSubmit>; label: string; busyLabel: string; children: ReactNode }) {
  const { submit, busy, error } = props.submitting;
  return (
    <form onSubmit={submit} className="stack">
      {props.children}
      {error && (
        <p className="notice error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="button primary wide" disabled={busy}>
        {busy ? props.busyLabel : props.label}
      </button>
    </form>
  );
}

export function useReturnPath(): string {
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return from && from.startsWith("/") && !from.startsWith("/login") && !from.startsWith("/signup") ? from : "/";
}

export function LoginPage() {
  const { login, notice } = useAuth();
  const navigate = useNavigate();
  const back = useReturnPath();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const submitting = useSubmit(async () => {
    await login(email, password);
    navigate(back, { replace: true });
  });

  return (
    <AuthFrame title="Welcome back" lead="Log in to your studio.">
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <AuthForm submitting={submitting} label="Log in" busyLabel="Logging in…">
        <Field label="Email" type="email" value={email} onChange={setEmail} autoComplete="email" />
        <Field label="Password" type="password" value={password} onChange={setPassword} autoComplete="current-password" />
      </AuthForm>
      <p className="muted">
        New here? <Link to="/signup" state={{ from: back }}>Create an account</Link>
      </p>
    </AuthFrame>
  );
}

export function SignupPage() {
  const { register } = useAuth();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const submitting = useSubmit(async () => {
    await register(name, email, password);
    navigate("/", { replace: true });
  });

  return (
    <AuthFrame title="Open your studio" lead="Describe a collection in a sentence; watch it appear.">
      <AuthForm submitting={submitting} label="Sign up" busyLabel="Creating your studio…">
        <Field label="Name" type="text" value={name} onChange={setName} autoComplete="name" />
        <Field label="Email" type="email" value={email} onChange={setEmail} autoComplete="email" />
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          hint="At least 8 characters, and not your email."
        />
      </AuthForm>
      <p className="muted">
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </AuthFrame>
  );
}
