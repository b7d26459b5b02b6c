import { useId, useState, type FormEvent } from "react";
import { ApiError, describeError } from "../api/client";
import {
  STRATEGIES,
  useCosts,
  useProviderDefaults,
  useProviders,
  useSaveBudget,
  useSaveProviderDefaults,
  type Budget,
  type Costs,
  type OperationCost,
  type ProviderDefaults,
  type Strategy,
} from "../api/costs";
import { budgetText, micros, parseBudget, price, usd } from "../api/money";
import { ErrorNotice, LoadFailed } from "../components/states";
import { useDocumentTitle } from "../components/useDocumentTitle";
import {
  callsText,
  DailyChart,
  PeriodSwitch,
  periodNoun,
  ProviderBreakdown,
  providerOrder,
  rangeText,
  usePeriod,
} from "./costParts";
import "./costs.css";

export function CostsPage() {
  const [period, setPeriod] = usePeriod();
  const costs = useCosts(period);
  useDocumentTitle("Costs · Designer BFF");

  return (
    <section className="costs" aria-labelledby="costs-title">
      <header className="section-head">
        <div>
          <h1 id="costs-title">Costs</h1>
          <p className="muted">What your designs cost, your monthly budget, and who makes new designs.</p>
        </div>
        <PeriodSwitch value={period} onChange={setPeriod} />
      </header>
      {costs.isPending && (
        <div className="costs-grid" role="progressbar" aria-busy="true" aria-label="Loading costs">
          <div className="skeleton costs-skeleton" />
          <div className="skeleton costs-skeleton" />
        </div>
      )}
      {costs.isError && <LoadFailed lead="Your costs could not be loaded: " error={costs.error} onRetry={() => void costs.refetch()} />}
      {costs.data && (
        <div className="costs-grid" aria-busy={costs.isPlaceholderData}>
          <div className="costs-main">
            <Spending costs={costs.data} />
          </div>
          <div className="costs-side">
            <BudgetPanel budget={costs.data.budget} />
            <DefaultsPanel />
          </div>
        </div>
      )}
    </section>
  );
}

function Spending({ costs }: { costs: Costs }) {
  const noun = periodNoun(costs.period);
  const order = providerOrder(costs.by_provider, costs.by_day);
  const nothing = costs.calls === 0 && micros(costs.total_usd) === 0;
  return (
    <>
      <section className="costs-panel costs-total" aria-labelledby="costs-total-title">
        <h2 id="costs-total-title">Spent {noun}</h2>
        <p className="costs-figure">{usd(costs.total_usd)}</p>
        <p className="muted small">
          {callsText(costs.calls)} · {rangeText(costs.start, costs.end)} (UTC)
        </p>
      </section>
      {nothing ? (
        <div className="costs-panel costs-empty">
          <h2>Nothing spent {noun}</h2>
          <p className="muted">
            When a paid provider makes or enhances a design, what it cost shows here by day, provider and
            operation. The offline flats are free.
          </p>
        </div>
      ) : (
        <>
          {costs.by_day.length > 1 && <DailyChart days={costs.by_day} order={order} title="By day" />}
          <ProviderBreakdown rows={costs.by_provider} order={order} title="By provider" />
          <Operations rows={costs.by_operation} />
        </>
      )}
    </>
  );
}

const OPERATIONS: Record<string, string> = {
  generate: "Making designs",
  enhance: "Enhancing",
  analyze: "Analysing pictures",
  transcribe: "Transcribing speech",
  interpret: "Understanding commands",
};

function Operations({ rows }: { rows: OperationCost[] }) {
  const headingId = useId();
  return (
    <section className="costs-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>By operation</h2>
      {rows.length === 0 ? (
        <p className="muted small">No operation was charged.</p>
      ) : (
        <table className="costs-table">
          <thead>
            <tr>
              <th scope="col">Operation</th>
              <th scope="col">Spent</th>
              <th scope="col">Calls</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.operation}>
                <th scope="row">{OPERATIONS[row.operation] ?? row.operation}</th>
                <td>{usd(row.amount_usd)}</td>
                <td>{row.calls.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

// -- the budget ---------------------------------------------------------------------------------------

/** What a refused budget means, in plain words (the cap when it is above it). */
function budgetError(error: unknown): string {
  if (error instanceof ApiError && error.code === "budget_above_cap") {
    const cap = (error.details as { cap_usd?: string } | undefined)?.cap_usd;
    if (cap) return `That is above the ${usd(cap)} cap an administrator set on your budget. Choose ${usd(cap)} or less.`;
  }
  return describeError(error);
}

/** The budget's figures, and the meter of what is used of the limit that applies. */
export function BudgetFigures({ budget, who = "Your budget" }: { budget: Budget; who?: string }) {
  const meterId = useId();
  const limit = micros(budget.effective_usd);
  const spent = micros(budget.spent_usd) ?? 0;
  const share = limit ? Math.min(100, Math.round((spent / limit) * 100)) : null;
  return (
    <>
      <dl className="budget-figures">
        <div>
          <dt>{who}</dt>
          <dd>{budget.monthly_budget_usd ? usd(budget.monthly_budget_usd) : "None"}</dd>
        </div>
        <div>
          <dt>Cap set by an administrator</dt>
          <dd>{budget.cap_usd ? usd(budget.cap_usd) : "None"}</dd>
        </div>
        <div>
          <dt>Spent this month</dt>
          <dd>{usd(budget.spent_usd)}</dd>
        </div>
        <div>
          <dt>Left this month</dt>
          <dd>{budget.remaining_usd === null ? "No limit" : usd(budget.remaining_usd)}</dd>
        </div>
      </dl>
      {limit !== null && (
        <div className="budget-meter">
          <label htmlFor={meterId}>Budget used</label>
          <meter
            id={meterId}
            min={0}
            max={Math.max(limit, 1)}
            value={Math.min(spent, Math.max(limit, 1))}
            low={limit * 0.75}
            high={limit * 0.9}
            optimum={0}
          />
          <span className="small muted">
            {usd(budget.spent_usd)} of {usd(budget.effective_usd)}
            {share !== null && ` (${share}%)`}
          </span>
        </div>
      )}
    </>
  );
}

function BudgetPanel({ budget }: { budget: Budget }) {
  const save = useSaveBudget();
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const value = draft ?? budgetText(budget.monthly_budget_usd);

  const send = (amount: string | null) => {
    setProblem(null);
    setDone(null);
    save.mutate(amount, {
      onSuccess: (saved) => {
        setDraft(null);
        setDone(saved.monthly_budget_usd ? `Budget saved: ${usd(saved.monthly_budget_usd)} a month.` : "Budget removed.");
      },
      onError: (error) => setProblem(budgetError(error)),
    });
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!value.trim()) return send(null);
    const amount = parseBudget(value);
    if (amount === null) {
      setDone(null);
      setProblem("Enter an amount in dollars, such as 20 or 20.50.");
      return;
    }
    send(amount);
  };

  return (
    <section className="costs-panel" aria-labelledby="budget-title">
      <h2 id="budget-title">Monthly budget</h2>
      <BudgetFigures budget={budget} />
      <form className="budget-form" onSubmit={submit} noValidate>
        <label htmlFor={inputId}>Monthly budget in dollars</label>
        <div className="inline-form">
          <span className="money-input">
            <span aria-hidden="true">$</span>
            <input
              id={inputId}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              placeholder="No budget"
              value={value}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? `${errorId} ${hintId}` : hintId}
              onChange={(e) => {
                setDraft(e.target.value);
                setProblem(null);
                setDone(null);
              }}
            />
          </span>
          <button type="submit" className="button primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save budget"}
          </button>
          {budget.monthly_budget_usd && (
            <button type="button" className="button secondary" disabled={save.isPending} onClick={() => send(null)}>
              Remove budget
            </button>
          )}
        </div>
        <p id={hintId} className="hint">
          Paid designs stop when it is spent; free ones carry on. Calendar months, UTC.
          {budget.cap_usd && ` An administrator capped it at ${usd(budget.cap_usd)}.`}
        </p>
        {problem && (
          <p id={errorId} className="notice error" role="alert">
            {problem}
          </p>
        )}
        <p className="small" role="status">
          {done}
        </p>
      </form>
    </section>
  );
}

// -- the default provider ---------------------------------------------------------------------------

function DefaultsPanel() {
  const providers = useProviders();
  const defaults = useProviderDefaults();
  const headingId = useId();
  return (
    <section className="costs-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Provider for new designs</h2>
      {(providers.isPending || defaults.isPending) && <p className="muted small">Loading the providers…</p>}
      {defaults.isError && <ErrorNotice lead="Your provider settings could not be loaded: " error={defaults.error} />}
      {providers.isError && <ErrorNotice lead="The providers could not be loaded: " error={providers.error} />}
      {defaults.data && providers.data && (
        <DefaultsForm
          saved={defaults.data}
          makers={providers.data.filter((p) => p.operation === "generate")}
        />
      )}
    </section>
  );
}

type Maker = { name: string; unit_price_usd: string | null; is_default: boolean };

function DefaultsForm({ saved, makers }: { saved: ProviderDefaults; makers: Maker[] }) {
  const save = useSaveProviderDefaults();
  const providerId = useId();
  const strategyId = useId();
  const [provider, setProvider] = useState(saved.default_provider ?? "");
  const [strategy, setStrategy] = useState<string>(saved.provider_strategy ?? "");
  const [done, setDone] = useState(false);
  const studioDefault = makers.find((m) => m.is_default)?.name;
  const changed = provider !== (saved.default_provider ?? "") || strategy !== (saved.provider_strategy ?? "");

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    save.mutate(
      { default_provider: provider || null, provider_strategy: (strategy || null) as Strategy | null },
      { onSuccess: () => setDone(true) },
    );
  };

  return (
    <form className="defaults-form" onSubmit={submit}>
      <p className="muted small">What the command bar picks unless you choose another provider there.</p>
      <div className="field-row">
        <label htmlFor={providerId}>Default provider</label>
        <select
          id={providerId}
          value={provider}
          onChange={(e) => {
            setProvider(e.target.value);
            setDone(false);
          }}
        >
          <option value="">Automatic</option>
          {makers.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name} — {m.unit_price_usd === null ? "price depends on options" : `${price(m.unit_price_usd)}${micros(m.unit_price_usd) ? " per design" : ""}`}
            </option>
          ))}
          {provider && !makers.some((m) => m.name === provider) && <option value={provider}>{provider}</option>}
        </select>
      </div>
      <div className="field-row">
        <label htmlFor={strategyId}>Automatic picks by</label>
        <select
          id={strategyId}
          value={strategy}
          onChange={(e) => {
            setStrategy(e.target.value);
            setDone(false);
          }}
        >
          <option value="">{studioDefault ? `The studio’s default (${studioDefault})` : "The studio’s default"}</option>
          {STRATEGIES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="inline-form">
        <button type="submit" className="button secondary" disabled={!changed || save.isPending}>
          {save.isPending ? "Saving…" : "Save provider settings"}
        </button>
        <span className="small" role="status">
          {done ? "Provider settings saved." : ""}
        </span>
      </div>
      {save.isError && <ErrorNotice lead="Not saved: " error={save.error} />}
    </form>
  );
}
