import { useId, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { useAdminCosts, useSaveCap, type UserCost } from "../api/costs";
import { budgetText, parseBudget, usd } from "../api/money";
import { useAuth } from "../auth/AuthContext";
import { ErrorNotice, LoadFailed } from "../components/states";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { callsText, PeriodSwitch, periodNoun, ProviderBreakdown, providerOrder, rangeText, usePeriod } from "./costParts";
import "./costs.css";

export function AdminCostsPage() {
  const { user } = useAuth();
  useDocumentTitle("Admin costs · Designer BFF");
  // The API refuses anyone else (403); no need to ask it for them.
  if (user?.role !== "admin") return <AdminsOnly />;
  return <AdminCosts />;
}

function AdminsOnly() {
  return (
    <section className="empty" aria-labelledby="admin-title">
      <h1 id="admin-title">Admins only</h1>
      <p>This page shows every designer’s spending. It is open to the studio’s administrators only.</p>
    </section>
  );
}

function AdminCosts() {
  const [period, setPeriod] = usePeriod();
  const costs = useAdminCosts(period);
  if (costs.error instanceof ApiError && costs.error.status === 403) return <AdminsOnly />;
  const data = costs.data;
  const noun = periodNoun(period);

  return (
    <section className="costs" aria-labelledby="admin-title">
      <header className="section-head">
        <div>
          <h1 id="admin-title">Costs by designer</h1>
          <p className="muted">Everyone’s spending, their budgets, and the caps you set on them.</p>
        </div>
        <PeriodSwitch value={period} onChange={setPeriod} />
      </header>
      {costs.isPending && <div className="skeleton costs-skeleton" role="progressbar" aria-busy="true" aria-label="Loading costs" />}
      {costs.isError && <LoadFailed lead="The costs could not be loaded: " error={costs.error} onRetry={() => void costs.refetch()} />}
      {data && (
        <div className="costs-stack" aria-busy={costs.isPlaceholderData}>
          <section className="costs-panel costs-total" aria-labelledby="admin-total-title">
            <h2 id="admin-total-title">Spent {noun} by everyone</h2>
            <p className="costs-figure">{usd(data.total_usd)}</p>
            <p className="muted small">
              {callsText(data.calls)} · {rangeText(data.start, data.end)} (UTC)
            </p>
          </section>
          <Designers users={data.users} noun={noun} />
          <ProviderBreakdown rows={data.by_provider} order={providerOrder(data.by_provider)} title="By provider" />
        </div>
      )}
    </section>
  );
}

function Designers({ users, noun }: { users: UserCost[]; noun: string }) {
  const [editing, setEditing] = useState<string | null>(null);
  // Back to the row's button once its editor closes.
  const [returnTo, setReturnTo] = useState<string | null>(null);
  const close = (id: string) => {
    setEditing(null);
    setReturnTo(id);
  };
  return (
    <section className="costs-panel" aria-labelledby="designers-title">
      <h2 id="designers-title">Designers</h2>
      {users.length === 0 ? (
        <p className="muted small">Nobody spent anything {noun}, and nobody has a budget or cap.</p>
      ) : (
        <div className="table-scroll" role="region" aria-label="Table of designers" tabIndex={0}>
          <table className="costs-table designers">
            <thead>
              <tr>
                <th scope="col">Designer</th>
                <th scope="col">Spent {noun}</th>
                <th scope="col">Calls</th>
                <th scope="col">Budget</th>
                <th scope="col">Cap</th>
                <th scope="col">Left this month</th>
                <th scope="col">
                  <span className="visually-hidden">Change the cap</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.user_id}>
                  <th scope="row">
                    <span className="designer-name">{u.name || u.email}</span>
                    {u.name && <span className="muted small designer-email">{u.email}</span>}
                  </th>
                  <td>{usd(u.amount_usd)}</td>
                  <td>{u.calls.toLocaleString()}</td>
                  <td>{u.budget.monthly_budget_usd ? usd(u.budget.monthly_budget_usd) : "None"}</td>
                  <td>{u.budget.cap_usd ? usd(u.budget.cap_usd) : "None"}</td>
                  <td>{u.budget.remaining_usd === null ? "No limit" : usd(u.budget.remaining_usd)}</td>
                  <td className="cap-cell">
                    {editing === u.user_id ? (
                      <CapEditor user={u} onDone={() => close(u.user_id)} />
                    ) : (
                      <button
                        type="button"
                        className="button secondary small-button"
                        aria-label={`Edit cap for ${u.name || u.email}`}
                        ref={(el) => {
                          if (el && returnTo === u.user_id) el.focus();
                        }}
                        onClick={() => {
                          setReturnTo(null);
                          setEditing(u.user_id);
                        }}
                      >
                        Edit cap
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function CapEditor({ user, onDone }: { user: UserCost; onDone(): void }) {
  const save = useSaveCap();
  const inputId = useId();
  const errorId = useId();
  const who = user.name || user.email;
  const [value, setValue] = useState(budgetText(user.budget.cap_usd));
  const [problem, setProblem] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const send = (cap: string | null) => {
    setProblem(null);
    save.mutate({ userId: user.user_id, cap }, { onSuccess: onDone });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!value.trim()) return send(null);
    const cap = parseBudget(value);
    if (cap === null) {
      setProblem("Enter an amount in dollars, such as 50 or 50.00.");
      input.current?.focus();
      return;
    }
    send(cap);
  };

  return (
    <form className="cap-editor" onSubmit={submit} noValidate onKeyDown={(e) => e.key === "Escape" && onDone()}>
      <label htmlFor={inputId}>Cap for {who} in dollars</label>
      <span className="money-input">
        <span aria-hidden="true">$</span>
        <input
          id={inputId}
          ref={input}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          autoFocus
          placeholder="No cap"
          value={value}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? errorId : undefined}
          onChange={(e) => {
            setValue(e.target.value);
            setProblem(null);
          }}
        />
      </span>
      <span className="cap-actions">
        <button type="submit" className="button primary small-button" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save cap"}
        </button>
        {user.budget.cap_usd && (
          <button type="button" className="button secondary small-button" disabled={save.isPending} onClick={() => send(null)}>
            Remove cap
          </button>
        )}
        <button type="button" className="link-button" onClick={onDone}>
          Cancel
        </button>
      </span>
      {problem && (
        <p id={errorId} className="notice error" role="alert">
          {problem}
        </p>
      )}
      {save.isError && <ErrorNotice lead="Not saved: " error={save.error} />}
    </form>
  );
}
