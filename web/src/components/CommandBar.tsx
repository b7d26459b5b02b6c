import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type FormEvent,
  type ReactNode,
} from "react";
import { Link, useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { describeError, type Api } from "../api/client";
import type { CommandResult, GarmentSpec, Job } from "../api/types";
import {
  canRecord,
  describeVoiceError,
  MAX_SECONDS,
  NOTHING_HEARD,
  transcribe,
  VoiceRecorder,
  VoiceStream,
  type SpokenParse,
  type Transcription,
  type UnsureSlot,
  type VoiceSocket,
} from "../api/voice";
import { useApi } from "../auth/AuthContext";
import { showPath } from "../gallery/filters";
import { collectionChoicesKey, fetchCollectionChoices } from "../gallery/queries";
import { useLive } from "../live/LiveEvents";
import { useVocabulary, valuesOf } from "../api/vocabulary";
import {
  routingFor,
  spendingChanged,
  useEstimate,
  useProviderDefaults,
  useProviders,
  type Estimate,
  type Provider,
  type ProviderDefaults,
  type Routing,
} from "../api/costs";
import { micros, price, usd } from "../api/money";
import { useDebounced } from "./useDebounced";
import { chipText, specChips, summary, withChipValue, withoutChip, type Chip } from "./spec";
import { isUnsureChip, VoiceDoubt } from "./VoiceDoubt";
import "../gallery/gallery.css";

const DRAFT = "designer-bff.command-draft";
const MAX_QUANTITY = 100;

type Proposal = {
  /** What the designer said: typed, or the transcript as heard. */
  said: string;
  /** The command as understood (spoken: misheard words corrected, or the reading the
   *  designer picked). */
  command: string;
  spec: GarmentSpec;
  quantity: number;
  commandId: string | null;
  /** The provider picked ("" for Automatic); null until the designer picks one, when
   *  their default applies. */
  provider: string | null;
};
type Outcome = { tone: "ok" | "unavailable" | "error"; text: string };

/** A spoken command, from its transcription. */
type Heard = {
  transcript: string;
  /** What the server understood (misheard words corrected): what is acted on. */
  understood: string;
  /** Set while the server was unsure of some words: nothing is done before the designer
   *  confirms (or picks another reading). */
  doubt: { prompt: string | null; unsure: UnsureSlot[] } | null;
};

/** A spoken command other than a generation, waiting to be confirmed ("Do it"). */
type Pending = { command: string; reply: string };

type Bar = {
  text: string;
  setText(text: string): void;
  busy: boolean;
  proposal: Proposal | null;
  outcome: Outcome | null;
  /** The last spoken command, while its answer is shown. */
  heard: Heard | null;
  /** A spoken command the server was unsure of, other than a generation. */
  pending: Pending | null;
  run(command: string): Promise<void>;
  /** A spoken command, transcribed: its understood text is then handled like a typed
   *  command, except that nothing is done at once while the server is unsure of it. */
  hear(transcription: Transcription): Promise<void>;
  /** Another reading of the spoken command (an unsure slot's option): understood afresh. */
  choose(command: string): Promise<void>;
  /** Carry out the pending command. */
  accept(): Promise<void>;
  removeChip(key: string): void;
  /** Another value of the same attribute for one chip ("red" -> "navy"). */
  changeChip(key: string, value: string): void;
  setQuantity(quantity: number): void;
  setProvider(choice: string): void;
  /** Make the proposal, by the provider (or strategy) the picker says. */
  generate(routing: Routing): Promise<void>;
  dismiss(): void;
};

const BarContext = createContext<Bar | null>(null);

function readDraft(): string {
  try {
    return sessionStorage.getItem(DRAFT) ?? "";
  } catch {
    return "";
  }
}

export function CommandBarProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const live = useLive();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [text, setTextState] = useState(readDraft);
  const [busy, setBusy] = useState(false);
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [heard, setHeard] = useState<Heard | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);

  const setText = useCallback((value: string) => {
    setTextState(value);
    try {
      // Kept for this tab, so a session that ends mid-sentence loses nothing.
      sessionStorage.setItem(DRAFT, value);
    } catch {
      /* private mode */
    }
  }, []);

  const say = useCallback((result: Pick<CommandResult, "error" | "reply">) => {
    if (result.error) {
      setOutcome({
        tone: result.error.code === "not_available" ? "unavailable" : "error",
        text: result.error.code === "not_available" ? result.reply || result.error.message : result.error.message,
      });
    } else {
      setOutcome({ tone: "ok", text: result.reply });
    }
  }, []);

  /** Where a "show …" command leads: the gallery with its filters (a named collection
   *  is looked up among mine). */
  const showTarget = useCallback(
    async (result: CommandResult): Promise<string> => {
      const name = result.target.collection_name;
      let collectionId: string | null = null;
      if (name) {
        const all = await queryClient
          .fetchQuery({
            queryKey: collectionChoicesKey,
            queryFn: ({ signal }) => fetchCollectionChoices(api, signal),
            staleTime: 30_000,
          })
          .catch(() => []);
        collectionId = all.find((c) => c.name.toLowerCase() === name.toLowerCase())?.id ?? null;
      }
      return showPath(result.target, collectionId);
    },
    [api, queryClient],
  );

  /** Carry out a command (anything but a generation, which is confirmed first). */
  const act = useCallback(
    async (command: string) => {
      const result = await api.json<CommandResult>("/api/voice/process-text", { body: { command } });
      say(result);
      setText("");
      void queryClient.invalidateQueries({ queryKey: ["history"] });
      if (result.intent === "show" && !result.error) navigate(await showTarget(result));
      if (result.intent.startsWith("collection")) void queryClient.invalidateQueries({ queryKey: ["collections"] });
      if (result.intent === "cancel") void queryClient.invalidateQueries({ queryKey: ["images"] });
    },
    [api, navigate, queryClient, say, setText, showTarget],
  );

  /** What to do with a command once understood: confirm a generation, say why not, wait
   *  for the designer when the words were uncertain, or carry out anything else at once. */
  const handle = useCallback(
    async (command: string, parsed: SpokenParse & { command_id?: string | null }, spoken: Heard | null) => {
      if (parsed.intent === "generate" && !parsed.error) {
        const quantity = Math.min(parsed.spec.quantity ?? 1, MAX_QUANTITY);
        setProposal({
          said: spoken?.transcript ?? command,
          command,
          spec: parsed.spec,
          quantity,
          commandId: parsed.command_id ?? null,
          provider: null,
        });
        return;
      }
      if (parsed.error) {
        say(parsed);
        return;
      }
      if (spoken?.doubt) {
        setPending({ command, reply: parsed.reply });
        return;
      }
      await act(command);
    },
    [act, say],
  );

  /** Understand a command (typed, or as a spoken one was understood) and handle it. The
   *  parse of a spoken command may come with its transcription; otherwise a dry run asks. */
  const understand = useCallback(
    async (command: string, spoken: Heard | null, parse: SpokenParse | null = null) => {
      const said = command.trim();
      if (!said) return;
      setText(said);
      setHeard(spoken);
      setBusy(true);
      setOutcome(null);
      setProposal(null);
      setPending(null);
      try {
        const parsed =
          parse ??
          (await api.json<CommandResult>("/api/voice/process-text", {
            body: { command: said, dry_run: true },
          }));
        await handle(said, parsed, spoken);
      } catch (err) {
        setOutcome({ tone: "error", text: describeError(err) });
      } finally {
        setBusy(false);
      }
    },
    [api, handle, setText],
  );

  const run = useCallback((command: string) => understand(command, null), [understand]);
  const hear = useCallback(
    (t: Transcription) => {
      // The corrected command, never the raw transcript (an older server sends none).
      const understood = t.understood_text?.trim() || t.transcript.trim();
      const doubt = t.needs_confirmation ? { prompt: t.confirm_prompt, unsure: t.unsure ?? [] } : null;
      return understand(understood, { transcript: t.transcript.trim(), understood, doubt }, t.parse);
    },
    [understand],
  );
  // The reading keeps what was heard (and the doubt, so the designer may pick again).
  const choose = useCallback((command: string) => understand(command, heard), [understand, heard]);

  const accept = useCallback(async () => {
    if (!pending) return;
    setBusy(true);
    setOutcome(null);
    try {
      await act(pending.command);
      setPending(null);
      // Done: no more readings to pick (what was heard stays shown).
      setHeard((h) => (h ? { ...h, doubt: null } : h));
    } catch (err) {
      setOutcome({ tone: "error", text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }, [act, pending]);

  const generate = useCallback(async (routing: Routing) => {
    if (!proposal) return;
    setBusy(true);
    setOutcome(null);
    try {
      const spec = { ...proposal.spec, quantity: proposal.quantity };
      const job = await api.json<Job>("/api/generations", {
        body: { spec, quantity: proposal.quantity, ...routing },
      });
      const label = summary(spec, proposal.quantity);
      live.track({ id: job.id, label, total: job.quantity });
      setOutcome({ tone: "ok", text: `On it: ${label}. They will appear below as they are made.` });
      setProposal(null);
      setHeard(null);
      setText("");
      void queryClient.invalidateQueries({ queryKey: ["history"] });
      spendingChanged(queryClient);
      navigate("/");
    } catch (err) {
      // Shown in the confirmation, which stays as it was (a 402 says the budget is spent).
      setOutcome({ tone: "error", text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }, [api, live, navigate, proposal, queryClient, setText]);

  /** An edit of the proposal: a failure said about the one before is out of date. */
  const edit = useCallback((change: (p: Proposal) => Proposal) => {
    setProposal((p) => (p ? change(p) : p));
    setOutcome((o) => (o?.tone === "error" ? null : o));
  }, []);

  const value = useMemo<Bar>(
    () => ({
      text,
      setText,
      busy,
      proposal,
      outcome,
      heard,
      pending,
      run,
      hear,
      choose,
      accept,
      generate,
      removeChip: (key) =>
        edit((p) => {
          const chip = specChips(p.spec).find((c) => c.key === key);
          return chip ? { ...p, spec: withoutChip(p.spec, chip) } : p;
        }),
      changeChip: (key, value) =>
        edit((p) => {
          const chip = specChips(p.spec).find((c) => c.key === key);
          return chip ? { ...p, spec: withChipValue(p.spec, chip, value) } : p;
        }),
      setQuantity: (quantity) => edit((p) => (p.quantity === quantity ? p : { ...p, quantity })),
      setProvider: (choice) => edit((p) => ({ ...p, provider: choice })),
      dismiss: () => {
        setProposal(null);
        setPending(null);
        setOutcome(null);
        setHeard(null);
      },
    }),
    [text, setText, busy, proposal, outcome, heard, pending, run, hear, choose, accept, generate, edit],
  );
  return <BarContext.Provider value={value}>{children}</BarContext.Provider>;
}

export function useCommandBar(): Bar {
  const value = useContext(BarContext);
  if (!value) throw new Error("useCommandBar outside CommandBarProvider");
  return value;
}

type Voice =
  | { phase: "idle" }
  | { phase: "starting" }
  /** `words`: what the server has heard so far, while streaming. */
  | { phase: "recording"; since: number; words: string }
  | { phase: "sending" }
  | { phase: "error"; text: string };

/** The microphone: record (streaming it for the words so far, when the live socket is
 *  connected), stop, transcribe, then hand the words to the command bar. */
function useVoice(api: Api, hear: Bar["hear"], socket: VoiceSocket | null | undefined) {
  const [voice, setVoice] = useState<Voice>({ phase: "idle" });
  const recorder = useRef<VoiceRecorder | null>(null);
  const streaming = useRef<VoiceStream | null>(null);
  const sending = useRef<AbortController | null>(null);

  useEffect(
    () => () => {
      recorder.current?.cancel();
      streaming.current?.close();
      sending.current?.abort();
    },
    [],
  );

  const stop = useCallback(async () => {
    const current = recorder.current;
    if (!current) return;
    recorder.current = null;
    const words = streaming.current;
    streaming.current = null;
    setVoice({ phase: "sending" });
    const controller = new AbortController();
    sending.current = controller;
    try {
      const audio = await current.stop();
      // After the recorder's last chunk, which stop() hands over.
      words?.close();
      if (audio.size === 0) {
        setVoice({ phase: "error", text: NOTHING_HEARD });
        return;
      }
      const heard = await transcribe(api, audio, controller.signal);
      if (controller.signal.aborted) return;
      if (!heard.transcript.trim()) {
        setVoice({ phase: "error", text: NOTHING_HEARD });
        return;
      }
      setVoice({ phase: "idle" });
      await hear(heard);
    } catch (error) {
      words?.close();
      if (!controller.signal.aborted) setVoice({ phase: "error", text: describeVoiceError(error) });
    } finally {
      if (sending.current === controller) sending.current = null;
    }
  }, [api, hear]);

  const start = useCallback(async () => {
    const next = new VoiceRecorder();
    recorder.current = next;
    // Best effort: without a connected socket the recording is exactly as before.
    const words = socket?.connected
      ? new VoiceStream(socket, (text) => {
          if (streaming.current !== words) return;
          setVoice((v) => (v.phase === "recording" ? { ...v, words: text } : v));
        })
      : null;
    streaming.current?.close();
    streaming.current = words;
    setVoice({ phase: "starting" });
    try {
      await next.start(words ? (chunk) => words.send(chunk) : undefined);
      if (recorder.current !== next) {
        // Stopped while asking.
        words?.close();
        return next.cancel();
      }
      setVoice({ phase: "recording", since: Date.now(), words: "" });
      words?.open(next.mimeType);
    } catch (error) {
      words?.close();
      if (streaming.current === words) streaming.current = null;
      recorder.current = null;
      setVoice({ phase: "error", text: describeVoiceError(error) });
    }
  }, [socket]);

  // Stop on its own before the server's limit.
  const recording = voice.phase === "recording";
  useEffect(() => {
    if (!recording) return;
    const timer = setTimeout(() => void stop(), MAX_SECONDS * 1000);
    return () => clearTimeout(timer);
  }, [recording, stop]);

  const cancel = useCallback(() => {
    recorder.current?.cancel();
    recorder.current = null;
    streaming.current?.close();
    streaming.current = null;
    setVoice({ phase: "idle" });
  }, []);

  return { voice, start, stop, cancel, clear: () => setVoice({ phase: "idle" }) };
}

/** Seconds since `since`, ticking on its own (only this re-renders). */
function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  return (
    // Not announced every second inside the live region around it.
    <span className="elapsed" aria-live="off">
      {Math.floor(seconds / 60)}:{String(seconds % 60).padStart(2, "0")}
    </span>
  );
}

function MicIcon() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true">
      <rect x="9" y="3" width="6" height="11" rx="3" />
      <path d="M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21M8.5 21h7" />
    </svg>
  );
}

function StopIcon() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true">
      <rect x="7" y="7" width="10" height="10" rx="2" />
    </svg>
  );
}

export function CommandBar() {
  const bar = useCommandBar();
  const api = useApi();
  const live = useLive();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [micAvailable] = useState(canRecord);
  const { voice, start, stop, cancel, clear } = useVoice(api, bar.hear, live.socket);
  const recording = voice.phase === "recording";
  const listening = recording || voice.phase === "starting";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    clear();
    void bar.run(bar.text);
  };

  return (
    <div className="command">
      <form className="command-form" onSubmit={submit} role="search" aria-label="Command bar">
        <label htmlFor={inputId} className="visually-hidden">
          Command
        </label>
        <input
          id={inputId}
          ref={input}
          className="command-input"
          type="text"
          name="command"
          autoComplete="off"
          placeholder="Tell the studio what to make — “8 linen summer dresses in sage”"
          value={bar.text}
          onChange={(e) => bar.setText(e.target.value)}
          maxLength={2000}
          readOnly={listening || voice.phase === "sending"}
        />
        {micAvailable && (
          <button
            type="button"
            className={`mic${recording ? " recording" : ""}`}
            aria-label={recording ? "Stop recording" : "Record a command"}
            title={recording ? "Stop recording" : "Say a command"}
            disabled={bar.busy || voice.phase === "starting" || voice.phase === "sending"}
            onClick={() => void (recording ? stop() : start())}
          >
            {recording ? <StopIcon /> : <MicIcon />}
          </button>
        )}
        <button type="submit" className="button primary" disabled={bar.busy || listening || !bar.text.trim()}>
          {bar.busy ? "Thinking…" : "Go"}
        </button>
      </form>
      <div aria-live="polite">
        {voice.phase === "starting" && <div className="voice-state muted">Waiting for the microphone…</div>}
        {recording && (
          <div className="voice-state">
            <span className="rec-dot" aria-hidden="true" />
            <span>
              Listening… <Elapsed since={voice.since} />
            </span>
            {voice.words ? (
              <span className="partial-words">{voice.words}</span>
            ) : (
              <span className="muted">Say your command, then press stop.</span>
            )}
            <button type="button" className="link-button" onClick={cancel}>
              Cancel
            </button>
          </div>
        )}
        {voice.phase === "sending" && <div className="voice-state muted">Sending what you said…</div>}
        {bar.heard && voice.phase === "idle" && (
          <div className="voice-state">
            <span className="heard">Heard: “{bar.heard.transcript}”</span>
          </div>
        )}
      </div>
      {voice.phase === "error" && (
        <div className="voice-state error" role="alert">
          <span>{voice.text}</span>
          <button type="button" className="link-button" onClick={clear}>
            Dismiss
          </button>
        </div>
      )}
      <div aria-live="polite">
        {/* Apart from the panels below, which are replaced when a reading is picked: the
            focus stays on the option pressed. Shown also when the reading understood
            failed, so another may be picked. */}
        {bar.heard?.doubt && (
          <VoiceDoubt
            prompt={bar.heard.doubt.prompt}
            unsure={bar.heard.doubt.unsure}
            understood={bar.heard.understood}
            current={bar.proposal?.command ?? bar.pending?.command ?? bar.text}
            busy={bar.busy}
            onChoose={(command) => void bar.choose(command)}
          />
        )}
        {bar.proposal && <Understood />}
        {bar.pending && <PendingCommand />}
        {bar.outcome && !bar.proposal && (
          <div className={`outcome ${bar.outcome.tone}`} role={bar.outcome.tone === "error" ? "alert" : "status"}>
            {bar.outcome.tone === "unavailable" && <span className="badge">Not available yet</span>}
            <span>{bar.outcome.text}</span>
            <button type="button" className="link-button" onClick={bar.dismiss}>
              Dismiss
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

/** A chip's value, changeable to any other of its attribute's values when the vocabulary
 *  knows them (exclusions and free-text details can only be removed). */
function ChipValue({ chip }: { chip: Chip }) {
  const bar = useCommandBar();
  const vocabulary = useVocabulary();
  const values = chip.exclude || chip.field === "details" ? [] : valuesOf(vocabulary.data, chip.field);
  if (!values.includes(chip.value)) return <span>{chipText(chip)}</span>;
  return (
    <select
      className="chip-change"
      aria-label={`Change ${chip.label}: ${chipText(chip)}`}
      value={chip.value}
      onChange={(e) => bar.changeChip(chip.key, e.target.value)}
    >
      {values.map((v) => (
        <option key={v} value={v}>
          {v.replace(/_/g, " ")}
        </option>
      ))}
    </select>
  );
}

/** "You said" and, when the server corrected what it heard, the command it understood. */
function SaidRows({ said, command }: { said: string; command: string }) {
  return (
    <>
      <div className="understood-row">
        <span className="eyebrow">You said</span>
        <q className="said">{said}</q>
      </div>
      {command !== said && (
        <div className="understood-row">
          <span className="eyebrow">I understood</span>
          <q className="said understood-text">{command}</q>
        </div>
      )}
    </>
  );
}

/** A spoken command other than a generation that the server was unsure of: done only when
 *  the designer says so. */
function PendingCommand() {
  const bar = useCommandBar();
  const pending = bar.pending!;
  const headingId = useId();
  return (
    <section className="understood" aria-labelledby={headingId}>
      <h2 id={headingId} className="visually-hidden">
        Confirm the command
      </h2>
      <SaidRows said={bar.heard?.transcript ?? pending.command} command={pending.command} />
      {pending.reply && <p className="muted">{pending.reply}</p>}
      <div className="understood-actions">
        <div className="spacer" />
        <button type="button" className="button secondary" onClick={bar.dismiss}>
          Not now
        </button>
        <button type="button" className="button primary" onClick={() => void bar.accept()} disabled={bar.busy}>
          {bar.busy ? "Working…" : "Do it"}
        </button>
      </div>
    </section>
  );
}

function Understood() {
  const bar = useCommandBar();
  const proposal = bar.proposal!;
  const chips = specChips(proposal.spec);
  // The slots the server was unsure of, while the command is the one it understood.
  const unsure = bar.heard?.doubt && proposal.command === bar.heard.understood ? bar.heard.doubt.unsure : [];
  const quantityUnsure = unsure.some((u) => u.slot === "quantity");
  const unsureQuantityId = useId();
  const quantityId = useId();
  const headingId = useId();
  // What is typed, which may be empty for a moment; the proposal keeps the last valid count.
  const [draft, setDraft] = useState(String(proposal.quantity));
  const valid = /^\d+$/.test(draft) && Number(draft) >= 1 && Number(draft) <= MAX_QUANTITY;
  const providerId = useId();
  const estimateId = useId();
  const providers = useProviders();
  const defaults = useProviderDefaults();
  const makers = (providers.data ?? []).filter((p) => p.operation === "generate");
  const choice = proposal.provider ?? defaults.data?.default_provider ?? "";
  const routing = routingFor(choice, defaults.data);
  // What Generate would send, asked about once the chips and count have settled (and the
  // designer's defaults are known, which decide what Automatic means).
  const body = valid && !defaults.isPending
    ? { spec: { ...proposal.spec, quantity: proposal.quantity }, quantity: proposal.quantity, ...routing }
    : null;
  const settled = useDebounced(body, ESTIMATE_DELAY_MS);
  const estimate = useEstimate(settled);
  const catchingUp = JSON.stringify(body) !== JSON.stringify(settled) || estimate.isFetching;
  return (
    <section className="understood" aria-labelledby={headingId}>
      <h2 id={headingId} className="visually-hidden">
        Confirm the generation
      </h2>
      <SaidRows said={proposal.said} command={proposal.command} />
      <div className="understood-row">
        <span className="eyebrow">{proposal.command === proposal.said ? "I understood" : "Details"}</span>
        <ul className="chips" aria-label="Understood details">
          {chips.map((chip) => (
            <li
              key={chip.key}
              className={`chip${chip.exclude ? " exclude" : ""}${isUnsureChip(chip, unsure) ? " unsure" : ""}`}
            >
              <span className="chip-kind">{chip.label}</span>
              <ChipValue chip={chip} />
              {isUnsureChip(chip, unsure) && <UnsureMark />}
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${chipText(chip)}`}
                onClick={() => bar.removeChip(chip.key)}
              >
                ×
              </button>
            </li>
          ))}
          {chips.length === 0 && <li className="muted">Nothing specific: the studio will surprise you.</li>}
        </ul>
      </div>
      <div className="understood-actions">
        <label htmlFor={quantityId} className={`quantity${quantityUnsure ? " unsure" : ""}`}>
          <span>Quantity</span>
          <input
            id={quantityId}
            type="number"
            min={1}
            max={MAX_QUANTITY}
            value={draft}
            aria-invalid={!valid}
            aria-describedby={quantityUnsure ? unsureQuantityId : undefined}
            onChange={(e) => {
              setDraft(e.target.value);
              const n = Number(e.target.value);
              if (Number.isInteger(n) && n >= 1 && n <= MAX_QUANTITY) bar.setQuantity(n);
            }}
            onBlur={() => setDraft(String(proposal.quantity))}
          />
        </label>
        {quantityUnsure && <UnsureMark id={unsureQuantityId} />}
        {!valid && <span className="hint">From 1 to {MAX_QUANTITY}.</span>}
        <label htmlFor={providerId} className="quantity provider-pick">
          <span>Provider</span>
          <select id={providerId} value={choice} onChange={(e) => bar.setProvider(e.target.value)}>
            <option value="">Automatic</option>
            {makers.map((p) => (
              <option key={p.name} value={p.name}>
                {providerOption(p, defaults.data)}
              </option>
            ))}
            {choice && !makers.some((p) => p.name === choice) && <option value={choice}>{choice}</option>}
          </select>
        </label>
        <div className="spacer" />
        <button type="button" className="button secondary" onClick={bar.dismiss}>
          Not now
        </button>
        <button
          type="button"
          className="button primary"
          onClick={() => void bar.generate(routing)}
          disabled={bar.busy || !valid}
          aria-describedby={estimate.data ? estimateId : undefined}
        >
          {bar.busy ? "Starting…" : "Generate"}
        </button>
      </div>
      <div className="estimate-row">
        {estimate.data && valid && (
          <EstimateLine id={estimateId} estimate={estimate.data} automatic={!choice} stale={catchingUp} />
        )}
        {!estimate.data && valid && estimate.isPending && body && (
          <p className="muted small">Working out the cost…</p>
        )}
        {estimate.isError && !estimate.data && (
          <p className="muted small">No cost estimate: {describeError(estimate.error)}</p>
        )}
      </div>
      {bar.outcome?.tone === "error" && (
        <p className="notice error" role="alert">
          {bar.outcome.text}
        </p>
      )}
    </section>
  );
}

const ESTIMATE_DELAY_MS = 350;

/** Marks a value the server was not sure it heard right. */
function UnsureMark({ id }: { id?: string }) {
  return (
    <span id={id} className="unsure-mark" title="Not sure I heard this right">
      <span aria-hidden="true">?</span>
      <span className="visually-hidden">not sure I heard this right</span>
    </span>
  );
}

/** "replicate — $0.003 per design (your default)". */
function providerOption(p: Provider, defaults: ProviderDefaults | undefined): string {
  const cost = p.unit_price_usd === null ? "price depends on options" : micros(p.unit_price_usd) === 0 ? "Free" : `${usd(p.unit_price_usd)} per design`;
  return `${p.name} — ${cost}${defaults?.default_provider === p.name ? " (your default)" : ""}`;
}

/** "4 designs · $0.16 · $19.84 left this month", and plainly when it is over budget. */
function EstimateLine({ id, estimate, automatic, stale }: { id: string; estimate: Estimate; automatic: boolean; stale: boolean }) {
  const designs = `${estimate.quantity} ${estimate.quantity === 1 ? "design" : "designs"}`;
  const parts = [designs, price(estimate.total_usd)];
  if (estimate.remaining_usd !== null) parts.push(`${usd(estimate.remaining_usd)} left this month`);
  return (
    <>
      <p id={id} className={`estimate${stale ? " stale" : ""}`} aria-busy={stale}>
        <span className="estimate-figures">{parts.join(" · ")}</span>
        {automatic && <span className="muted"> · made by {estimate.provider}</span>}
      </p>
      {!estimate.within_budget && (
        <p className="notice error over-budget" role="alert">
          Over your monthly budget: this would cost {usd(estimate.total_usd)} and{" "}
          {usd(estimate.remaining_usd)} is left. Make fewer designs, pick a cheaper provider or{" "}
          <Link to="/costs">raise your budget</Link>.
        </p>
      )}
    </>
  );
}
