import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import axe from "axe-core";
import type { ReactNode } from "react";
import { useLocation } from "react-router";
import { CommandBar } from "./CommandBar";
import { commandResult, estimateHandler, PROVIDERS, spec } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";
import { LiveContext, useLive } from "../live/LiveEvents";
import type { VoicePartial, VoiceSocket, VoiceStartAck } from "../api/voice";

function Where() {
  const location = useLocation();
  return <span data-testid="where">{location.pathname + location.search}</span>;
}

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

type Upload = { url: string; form: FormData; headers: Record<string, string> };

/** The live connection as the app's provider would give it, with `socket` added. */
function WithSocket({ socket, children }: { socket: VoiceSocket; children: ReactNode }) {
  const live = useLive();
  return <LiveContext.Provider value={{ ...live, socket }}>{children}</LiveContext.Provider>;
}

/** The fake API, and what was uploaded (fakeFetch reads JSON bodies only). */
function setup(
  handlers: Handlers,
  upload?: (sent: Upload, count: number) => { status?: number; body?: unknown },
  socket?: VoiceSocket,
) {
  const uploads: Upload[] = [];
  const answerUploads = (fake: typeof fetch) =>
    (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.body instanceof FormData) {
        const sent = { url: String(input), form: init.body, headers: { ...(init.headers as Record<string, string>) } };
        uploads.push(sent);
        const answer = upload?.(sent, uploads.length) ?? { status: 404 };
        return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
          status: answer.status ?? 200,
          headers: { "Content-Type": "application/json" },
        });
      }
      return fake(input, init);
    }) as typeof fetch;
  const bar = socket ? (
    <WithSocket socket={socket}>
      <CommandBar />
    </WithSocket>
  ) : (
    <CommandBar />
  );
  const app = renderWithApp(
    <>
      {bar}
      <Where />
    </>,
    handlers,
    { fetcher: answerUploads },
  );
  return { ...app, uploads };
}

/** Every command typed or said is understood as `commandResult(overrides)`. */
function parsedAs(overrides: Record<string, unknown> = {}): Handlers {
  return { "POST /api/voice/process-text": () => ({ body: commandResult(overrides) }) };
}

describe("CommandBar", () => {
  it("shows what it understood as chips, and Generate sends the edited spec", async () => {
    const { calls, user, live } = setup({
      ...parsedAs(),
      "POST /api/generations": () => ({ status: 201, body: { id: "job-1", status: "queued", quantity: 6 } }),
    });

    await user.type(screen.getByRole("textbox", { name: "Command" }), "make me 4 bohemian dresses in red silk{Enter}");

    // Parsed first, without doing anything.
    expect(calls.find((c) => c.url === "/api/voice/process-text")?.body).toEqual({
      command: "make me 4 bohemian dresses in red silk",
      dry_run: true,
    });
    expect(await screen.findByText("You said")).toBeTruthy();
    const chips = screen.getByRole("list", { name: "Understood details" });
    expect(within(chips).getAllByRole("listitem").map((li) => li.textContent?.replace("×", ""))).toEqual([
      "garmentdress",
      "stylebohemian",
      "colourred",
      "fabricsilk",
    ]);
    expect((screen.getByRole("spinbutton", { name: "Quantity" }) as HTMLInputElement).value).toBe("4");

    // The designer takes red away and asks for 6.
    await user.click(screen.getByRole("button", { name: "Remove red" }));
    expect(within(chips).queryByText("red")).toBeNull();
    const quantity = screen.getByRole("spinbutton", { name: "Quantity" });
    await user.clear(quantity);
    await user.type(quantity, "6");
    await user.click(screen.getByRole("button", { name: "Generate" }));

    await waitFor(() => expect(calls.some((c) => c.url === "/api/generations")).toBe(true));
    const sent = calls.find((c) => c.url === "/api/generations")!.body as { spec: ReturnType<typeof spec>; quantity: number };
    expect(sent.quantity).toBe(6);
    expect(sent.spec).toEqual({ ...spec(), colors: [], quantity: 6 });
    expect(live.track).toHaveBeenCalledWith({ id: "job-1", label: "6 bohemian silk dresses", total: 6 });
    // Only the dry run went to process-text: Generate created the job itself.
    expect(calls.filter((c) => c.url === "/api/voice/process-text")).toHaveLength(1);
    expect(await screen.findByText(/On it: 6 bohemian silk dresses/)).toBeTruthy();
  });

  it("changes a chip to another value of its attribute, from the vocabulary", async () => {
    const vocabulary = {
      attributes: [
        { field: "garment_type", multi: false, values: ["blazer", "dress", "skirt"] },
        { field: "colors", multi: true, values: ["navy", "red", "sage"] },
      ],
    };
    const { calls, user } = setup({
      ...parsedAs(),
      "GET /api/voice/vocabulary": () => ({ body: vocabulary }),
      "POST /api/generations": () => ({ status: 201, body: { id: "job-2", status: "queued", quantity: 4 } }),
    });
    await user.type(screen.getByRole("textbox", { name: "Command" }), "make me 4 bohemian dresses in red silk{Enter}");
    const colour = await screen.findByRole("combobox", { name: "Change colour: red" });
    await user.selectOptions(colour, "navy");
    await user.selectOptions(screen.getByRole("combobox", { name: "Change garment: dress" }), "skirt");
    // Attributes the vocabulary does not list stay plain text (and removable).
    expect(screen.queryByRole("combobox", { name: /^Change fabric/ })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Generate" }));
    await waitFor(() => expect(calls.some((c) => c.url === "/api/generations")).toBe(true));
    const sent = calls.find((c) => c.url === "/api/generations")!.body as { spec: ReturnType<typeof spec> };
    expect(sent.spec).toEqual({ ...spec(), garment_type: "skirt", colors: ["navy"], quantity: 4 });
  });

  it("acts at once on other intents and says so", async () => {
    const { calls, user } = setup({
      "POST /api/voice/process-text": (c) => ({
        body: commandResult({
          intent: "collection_create",
          spec: spec({ quantity: null, garment_type: null, styles: [], colors: [], fabrics: [] }),
          reply: (c.body as { dry_run?: boolean }).dry_run ? "Creating “summer”." : "Created “summer”.",
        }),
      }),
    });
    await user.type(screen.getByRole("textbox", { name: "Command" }), "create a collection called summer{Enter}");
    expect(await screen.findByText("Created “summer”.")).toBeTruthy();
    const sent = calls.filter((c) => c.url === "/api/voice/process-text").map((c) => c.body);
    expect(sent).toEqual([
      { command: "create a collection called summer", dry_run: true },
      { command: "create a collection called summer" },
    ]);
    expect(screen.queryByRole("button", { name: "Generate" })).toBeNull();
  });

  it("says plainly when something is not available yet", async () => {
    const { user } = setup(
      parsedAs({
        intent: "cost_report",
        reply: "I understood that, but cost reports are not available yet.",
        error: { code: "not_available", message: "Cost reports are not available yet." },
      }),
    );
    await user.type(screen.getByRole("textbox", { name: "Command" }), "how much did I spend{Enter}");
    expect(await screen.findByText("Not available yet")).toBeTruthy();
    expect(screen.getByText("I understood that, but cost reports are not available yet.")).toBeTruthy();
  });
});

describe("CommandBar costs", () => {
  const priced: Handlers = {
    ...parsedAs(),
    "GET /api/generations/providers": () => ({ body: PROVIDERS }),
    "GET /api/generations/defaults": () => ({ body: { default_provider: "replicate", provider_strategy: null } }),
    "POST /api/generations/estimate": estimateHandler("19.840000"),
  };

  it("estimates the cost of what the chips say, and again when the quantity or provider changes", async () => {
    const { calls, user } = setup({
      ...priced,
      "POST /api/generations": () => ({ status: 202, body: { id: "job-3", status: "queued", quantity: 6 } }),
    });
    await user.type(screen.getByRole("textbox", { name: "Command" }), "make me 4 bohemian dresses in red silk{Enter}");

    // The designer's default provider is picked; the generate providers are listed with their prices.
    const picker = await screen.findByRole("combobox", { name: "Provider" });
    await waitFor(() => expect((picker as HTMLSelectElement).value).toBe("replicate"));
    expect(within(picker).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "Automatic",
      "local-flats — Free",
      "replicate — $0.04 per design (your default)",
      "openai — $0.08 per design",
    ]);
    expect(await screen.findByText("4 designs · $0.16 · $19.84 left this month")).toBeTruthy();

    const quantity = screen.getByRole("spinbutton", { name: "Quantity" });
    await user.clear(quantity);
    await user.type(quantity, "6");
    expect(await screen.findByText("6 designs · $0.24 · $19.84 left this month")).toBeTruthy();
    // Debounced: not one estimate per keystroke (the cleared field asks nothing).
    const estimates = calls.filter((c) => c.url === "/api/generations/estimate");
    expect(estimates.map((c) => (c.body as { quantity: number }).quantity)).toEqual([4, 6]);
    expect(estimates[1].body).toMatchObject({ provider: "replicate", spec: { ...spec(), quantity: 6 } });

    await user.selectOptions(picker, "local-flats");
    expect(await screen.findByText("6 designs · Free · $19.84 left this month")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Generate" }).getAttribute("aria-describedby")).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Generate" }));
    await waitFor(() => expect(calls.some((c) => c.url === "/api/generations")).toBe(true));
    expect(calls.find((c) => c.url === "/api/generations")!.body).toMatchObject({ quantity: 6, provider: "local-flats" });
  });

  it("Automatic over a default provider asks by strategy, and says who would make it", async () => {
    const { calls, user } = setup(priced);
    await user.type(screen.getByRole("textbox", { name: "Command" }), "make me 4 bohemian dresses in red silk{Enter}");
    const picker = await screen.findByRole("combobox", { name: "Provider" });
    await waitFor(() => expect((picker as HTMLSelectElement).value).toBe("replicate"));
    await user.selectOptions(picker, "");
    expect(await screen.findByText("4 designs · Free · $19.84 left this month")).toBeTruthy();
    expect(screen.getByText(/made by local-flats/)).toBeTruthy();
    const last = calls.filter((c) => c.url === "/api/generations/estimate").at(-1)!;
    expect(last.body).toMatchObject({ strategy: "balanced" });
    expect(last.body).not.toHaveProperty("provider");
  });

  it("says plainly when the estimate is over the budget", async () => {
    const { user } = setup({ ...priced, "POST /api/generations/estimate": estimateHandler("0.100000") });
    await user.type(screen.getByRole("textbox", { name: "Command" }), "make me 4 bohemian dresses in red silk{Enter}");
    expect(await screen.findByText("4 designs · $0.16 · $0.10 left this month")).toBeTruthy();
    const warning = screen.getByRole("alert");
    expect(warning.textContent).toContain("Over your monthly budget: this would cost $0.16 and $0.10 is left.");
    expect(within(warning).getByRole("link", { name: "raise your budget" }).getAttribute("href")).toBe("/costs");
  });

  it("shows a 402 from Generate and keeps the command as it was", async () => {
    const message =
      "This would cost $0.16, and $0.10 is left of your monthly budget. Make fewer designs, choose a cheaper provider or raise the budget.";
    const { calls, user, live } = setup({
      ...priced,
      "POST /api/generations": () => ({
        status: 402,
        body: { error: { code: "budget_exceeded", message, details: { estimate_usd: "0.160000", remaining_usd: "0.100000" } } },
      }),
    });
    await user.type(screen.getByRole("textbox", { name: "Command" }), "make me 4 bohemian dresses in red silk{Enter}");
    await user.click(await screen.findByRole("button", { name: "Remove red" }));
    await user.click(screen.getByRole("button", { name: "Generate" }));

    expect((await screen.findByRole("alert")).textContent).toBe(message);
    expect(calls.find((c) => c.url === "/api/generations")!.body).toMatchObject({ provider: "replicate", quantity: 4 });
    // Nothing is lost: the confirmation, its edits and the typed command are all still there.
    expect(screen.getByText("You said")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Remove red" })).toBeNull();
    expect(screen.getByRole("button", { name: "Remove silk" })).toBeTruthy();
    expect((screen.getByRole("spinbutton", { name: "Quantity" }) as HTMLInputElement).value).toBe("4");
    expect((screen.getByRole("combobox", { name: "Provider" }) as HTMLSelectElement).value).toBe("replicate");
    expect((screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement).value).toBe(
      "make me 4 bohemian dresses in red silk",
    );
    expect(screen.getByRole("button", { name: "Generate" })).toBeTruthy();
    expect(live.track).not.toHaveBeenCalled();
    expect(screen.getByTestId("where").textContent).toBe("/");
  });
});

describe("CommandBar show", () => {
  it("opens the gallery with the filters a show command names", async () => {
    const { user } = setup(
      parsedAs({
        intent: "show",
        reply: "Showing your red dresses (3 designs).",
        target: {
          filters: { garment_type: "dress", colors: ["red"], is_outlier: true },
          time_range: { label: "last week", start: "2026-01-05", end: "2026-01-11" },
        },
      }),
    );
    await user.type(screen.getByRole("textbox", { name: "Command" }), "show my red dress outliers from last week{Enter}");
    await waitFor(() =>
      expect(screen.getByTestId("where").textContent).toBe(
        "/?garment=dress&colour=red&from=2026-01-05&to=2026-01-11&outliers=true",
      ),
    );
  });

  it("finds the collection a show command names", async () => {
    const { user } = setup({
      ...parsedAs({ intent: "show", reply: "Showing your designs in “Summer”.", target: { collection_name: "summer", filters: {} } }),
      "GET /api/collections": () => ({
        body: { items: [{ id: "c-1", name: "Summer", image_count: 3 }], next_cursor: null },
      }),
    });
    await user.type(screen.getByRole("textbox", { name: "Command" }), "show my summer collection{Enter}");
    await waitFor(() => expect(screen.getByTestId("where").textContent).toBe("/?collection=c-1"));
  });
});

// -- the microphone --------------------------------------------------------------------------

type Listener = (event: { data?: Blob }) => void;

/** MediaRecorder as far as the command bar uses it. */
class FakeRecorder {
  static instances: FakeRecorder[] = [];
  static isTypeSupported = (type: string) => type.startsWith("audio/webm");
  state: "inactive" | "recording" = "inactive";
  /** The timeslice start() was given: set only when the audio is streamed. */
  timeslice: number | undefined;
  mimeType: string;
  private listeners: Record<string, Listener[]> = {};
  constructor(
    readonly stream: unknown,
    options?: { mimeType?: string },
  ) {
    this.mimeType = options?.mimeType ?? "audio/webm";
    FakeRecorder.instances.push(this);
  }
  addEventListener(type: string, listener: Listener) {
    (this.listeners[type] ??= []).push(listener);
  }
  start(timeslice?: number) {
    this.state = "recording";
    this.timeslice = timeslice;
  }
  /** A timeslice's worth of audio, as the browser hands it over while recording. */
  chunk(bytes: string) {
    this.listeners.dataavailable?.forEach((l) => l({ data: new Blob([bytes], { type: this.mimeType }) }));
  }
  stop() {
    this.state = "inactive";
    setTimeout(() => {
      this.listeners.dataavailable?.forEach((l) => l({ data: new Blob(["OggS-opus-bytes"], { type: this.mimeType }) }));
      this.listeners.stop?.forEach((l) => l({}));
    }, 5);
  }
}

const stopTrack = vi.fn();

function microphone(getUserMedia: () => Promise<unknown>) {
  FakeRecorder.instances = [];
  vi.stubGlobal("MediaRecorder", FakeRecorder);
  Object.defineProperty(navigator, "mediaDevices", {
    configurable: true,
    value: { getUserMedia: vi.fn(getUserMedia) },
  });
}

const stream = async () => ({ getTracks: () => [{ stop: stopTrack }] });

function transcription(
  transcript: string,
  parse: unknown = commandResult({ command_id: undefined }),
  hearing: Record<string, unknown> = {},
) {
  return {
    transcript,
    language: "en",
    duration_s: 2.1,
    provider: "whisper",
    parse: transcript ? parse : null,
    understood_text: transcript,
    alternatives: [],
    unsure: [],
    needs_confirmation: false,
    confirm_prompt: null,
    ...hearing,
  };
}

describe("CommandBar voice", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    Reflect.deleteProperty(navigator, "mediaDevices");
    stopTrack.mockReset();
  });

  it("records, sends the audio as multipart and treats the transcript as a typed command", async () => {
    microphone(stream);
    const { user, uploads, calls } = setup({}, () => ({ body: transcription("make me 4 bohemian dresses in red silk") }));

    await user.click(screen.getByRole("button", { name: "Record a command" }));
    const stop = await screen.findByRole("button", { name: "Stop recording" });
    expect(screen.getByText(/Listening…/)).toBeTruthy();
    expect(screen.getByText("0:00")).toBeTruthy();
    expect(FakeRecorder.instances[0].mimeType).toBe("audio/webm;codecs=opus");
    // No live socket: recorded in one piece, as it always was.
    expect(FakeRecorder.instances[0].timeslice).toBeUndefined();
    await user.click(stop);

    expect(await screen.findByText("Heard: “make me 4 bohemian dresses in red silk”")).toBeTruthy();
    expect(uploads).toHaveLength(1);
    expect(uploads[0].url).toBe("/api/voice/transcribe");
    expect(uploads[0].headers.Authorization).toBe("Bearer a");
    // The browser writes the multipart Content-Type (with its boundary), not us.
    expect(uploads[0].headers["Content-Type"]).toBeUndefined();
    const audio = uploads[0].form.get("audio") as File;
    expect(audio).toBeInstanceOf(Blob);
    expect(audio.name).toBe("command.webm");
    expect(await audio.text()).toBe("OggS-opus-bytes");
    expect(stopTrack).toHaveBeenCalled(); // the microphone is released

    // Exactly as typed: the confirmation, nothing generated yet.
    expect(screen.getByText("You said")).toBeTruthy();
    expect(screen.getByRole("spinbutton", { name: "Quantity" })).toBeTruthy();
    expect((screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement).value).toBe(
      "make me 4 bohemian dresses in red silk",
    );
    expect(calls.some((c) => c.url === "/api/generations")).toBe(false);
  });

  it("acts at once on a spoken command that is not a generation", async () => {
    microphone(stream);
    const { user, calls } = setup(
      parsedAs({ intent: "collection_create", reply: "Created “summer”." }),
      () => ({ body: transcription("create a collection called summer", commandResult({ intent: "collection_create" })) }),
    );
    await user.click(screen.getByRole("button", { name: "Record a command" }));
    await user.click(await screen.findByRole("button", { name: "Stop recording" }));
    expect(await screen.findByText("Created “summer”.")).toBeTruthy();
    expect(screen.getByText("Heard: “create a collection called summer”")).toBeTruthy();
    expect(calls.filter((c) => c.url === "/api/voice/process-text").map((c) => c.body)).toEqual([
      { command: "create a collection called summer" },
    ]);
  });

  it("refreshes an expired session and sends the audio again", async () => {
    microphone(stream);
    const { user, uploads } = setup(
      { "POST /api/auth/refresh": () => ({ body: { access_token: "a2", refresh_token: "r2" } }) },
      (_sent, count) =>
        count === 1
          ? { status: 401, body: { error: { code: "token_expired", message: "expired" } } }
          : { body: transcription("make me 4 bohemian dresses in red silk") },
    );
    await user.click(screen.getByRole("button", { name: "Record a command" }));
    await user.click(await screen.findByRole("button", { name: "Stop recording" }));
    expect(await screen.findByText(/^Heard:/)).toBeTruthy();
    expect(uploads.map((u) => u.headers.Authorization)).toEqual(["Bearer a", "Bearer a2"]);
  });

  it("says so when the microphone is not allowed", async () => {
    microphone(() => Promise.reject(new DOMException("denied", "NotAllowedError")));
    const { user, uploads } = setup({});
    await user.click(screen.getByRole("button", { name: "Record a command" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/may not use your microphone/);
    expect(screen.getByRole("button", { name: "Record a command" })).toBeTruthy();
    expect(uploads).toHaveLength(0);
  });

  it.each([
    [503, "speech_unavailable", "Speech recognition is not available right now. Type the command instead."],
    [413, "audio_too_long", "That recording is too long. Keep a spoken command under a minute."],
  ])("says what a %i from speech recognition means", async (status, code, words) => {
    microphone(stream);
    const { user } = setup({}, () => ({ status, body: { error: { code, message: "raw" } } }));
    await user.click(screen.getByRole("button", { name: "Record a command" }));
    await user.click(await screen.findByRole("button", { name: "Stop recording" }));
    expect((await screen.findByRole("alert")).textContent).toContain(words);
  });

  it("says when nothing was heard", async () => {
    microphone(stream);
    const { user, calls } = setup({}, () => ({ body: transcription("  ") }));
    await user.click(screen.getByRole("button", { name: "Record a command" }));
    await user.click(await screen.findByRole("button", { name: "Stop recording" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Nothing was heard");
    expect(calls.some((c) => c.url === "/api/voice/process-text")).toBe(false);
  });

  it("has no microphone where the browser cannot record", () => {
    setup({});
    expect(screen.queryByRole("button", { name: "Record a command" })).toBeNull();
  });
});

// -- what the server was unsure it heard ------------------------------------------------------

const JACKETS = "make me 3 western denim jackets";

/** Understood as a generation of as many western denim jackets as the command's number. */
function jacketsParse(command: string) {
  const count = Number(/\d+/.exec(command)?.[0] ?? 1);
  return commandResult({
    spec: spec({ quantity: count, garment_type: "jacket", styles: ["western"], colors: [], fabrics: ["denim"] }),
  });
}

/** "free" heard where a number was expected: understood as 3, with 30 as the other reading. */
function unsureJackets() {
  return transcription("make me free western bed and jackets", jacketsParse(JACKETS), {
    understood_text: JACKETS,
    alternatives: ["make me 30 western denim jackets"],
    unsure: [
      {
        slot: "quantity",
        heard: "free",
        understood: "3",
        options: [{ label: "30", text: "make me 30 western denim jackets" }],
      },
    ],
    needs_confirmation: true,
    confirm_prompt: "3 western denim jackets?",
  });
}

describe("CommandBar voice, unsure", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    Reflect.deleteProperty(navigator, "mediaDevices");
  });

  const record = async (user: ReturnType<typeof setup>["user"]) => {
    await user.click(screen.getByRole("button", { name: "Record a command" }));
    await user.click(await screen.findByRole("button", { name: "Stop recording" }));
  };

  it("asks about an unsure quantity, and one tap on another reading changes what is made", async () => {
    microphone(stream);
    const { user, calls } = setup(
      {
        "POST /api/voice/process-text": (c) => ({ body: jacketsParse((c.body as { command: string }).command) }),
        "POST /api/generations": () => ({ status: 201, body: { id: "job-9", status: "queued", quantity: 30 } }),
      },
      () => ({ body: unsureJackets() }),
    );
    await record(user);

    // The question, prominently, with what was said and what was understood.
    expect(await screen.findByRole("heading", { name: "3 western denim jackets?" })).toBeTruthy();
    expect(screen.getByText("make me free western bed and jackets").closest(".understood-row")?.textContent).toContain(
      "You said",
    );
    expect(screen.getByText(JACKETS).closest(".understood-row")?.textContent).toContain("I understood");
    expect(screen.getByText("Heard: “make me free western bed and jackets”")).toBeTruthy();
    // The unsure slot, marked, with the value understood (chosen) and the other reading.
    const slot = screen.getByRole("group", { name: "how many heard “free”" });
    const options = within(slot).getAllByRole("button");
    expect(options.map((b) => [b.textContent, b.getAttribute("aria-pressed")])).toEqual([
      ["3", "true"],
      ["30", "false"],
    ]);
    const quantity = screen.getByRole("spinbutton", { name: "Quantity" }) as HTMLInputElement;
    expect(quantity.value).toBe("3");
    expect(document.getElementById(quantity.getAttribute("aria-describedby") ?? "")?.textContent).toContain("not sure");
    // Understood from the transcription's parse: nothing asked or done yet.
    expect(calls.filter((c) => c.url === "/api/voice/process-text")).toHaveLength(0);
    // Rendered without the app's landmarks (region): the bar's own markup is checked.
    const audit = await axe.run(document.body, {
      rules: { "color-contrast": { enabled: false }, region: { enabled: false } },
    });
    expect(audit.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(" ")}`)).toEqual([]);

    await user.click(within(slot).getByRole("button", { name: "30" }));
    expect(((await screen.findByRole("spinbutton", { name: "Quantity" })) as HTMLInputElement).value).toBe("30");
    expect(calls.filter((c) => c.url === "/api/voice/process-text").map((c) => c.body)).toEqual([
      { command: "make me 30 western denim jackets", dry_run: true },
    ]);
    const again = screen.getByRole("group", { name: "how many heard “free”" });
    expect(within(again).getByRole("button", { name: "30" }).getAttribute("aria-pressed")).toBe("true");
    // The focus stays where it was, so the keyboard can go on from there.
    expect(document.activeElement).toBe(within(again).getByRole("button", { name: "30" }));
    // A reading picked is no longer marked as unsure.
    expect(screen.getByRole("spinbutton", { name: "Quantity" }).getAttribute("aria-describedby")).toBeNull();
    expect((screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement).value).toBe(
      "make me 30 western denim jackets",
    );

    await user.click(screen.getByRole("button", { name: "Generate" }));
    await waitFor(() => expect(calls.some((c) => c.url === "/api/generations")).toBe(true));
    expect(calls.find((c) => c.url === "/api/generations")!.body).toMatchObject({
      quantity: 30,
      spec: { quantity: 30, garment_type: "jacket", fabrics: ["denim"] },
    });
    // The raw transcript was never sent anywhere.
    expect(JSON.stringify(calls.map((c) => c.body))).not.toContain("bed and");
  });

  it("goes back to what it understood from the keyboard", async () => {
    microphone(stream);
    const { user, calls } = setup(
      { "POST /api/voice/process-text": (c) => ({ body: jacketsParse((c.body as { command: string }).command) }) },
      () => ({ body: unsureJackets() }),
    );
    await record(user);
    const slot = await screen.findByRole("group", { name: "how many heard “free”" });
    within(slot).getByRole("button", { name: "30" }).focus();
    await user.keyboard("{Enter}");
    await waitFor(() =>
      expect((screen.getByRole("spinbutton", { name: "Quantity" }) as HTMLInputElement).value).toBe("30"),
    );
    await user.keyboard("{Shift>}{Tab}{/Shift}");
    expect(document.activeElement?.textContent).toBe("3");
    await user.keyboard(" ");
    await waitFor(() =>
      expect((screen.getByRole("spinbutton", { name: "Quantity" }) as HTMLInputElement).value).toBe("3"),
    );
    expect(calls.filter((c) => c.url === "/api/voice/process-text").map((c) => c.body)).toEqual([
      { command: "make me 30 western denim jackets", dry_run: true },
      { command: JACKETS, dry_run: true },
    ]);
  });

  it("does what was understood, not the transcript, when it is sure", async () => {
    microphone(stream);
    const heard = "add these to my some a collection";
    const understood = "add these to my summer collection";
    const { user, calls } = setup(
      parsedAs({ intent: "collection_add", reply: "Added 3 designs to “Summer”." }),
      () => ({
        body: transcription(heard, commandResult({ intent: "collection_add", reply: "Adding to “Summer”." }), {
          understood_text: understood,
        }),
      }),
    );
    await record(user);
    expect(await screen.findByText("Added 3 designs to “Summer”.")).toBeTruthy();
    expect(calls.filter((c) => c.url === "/api/voice/process-text").map((c) => c.body)).toEqual([
      { command: understood },
    ]);
  });

  it("waits for Do it when unsure of anything but a generation, and does the reading picked", async () => {
    microphone(stream);
    const heard = "add these to my so normal collection";
    const understood = "add these to my summer collection";
    const sonoma = "add these to my sonoma collection";
    const { user, calls } = setup(
      {
        "POST /api/voice/process-text": (c) => {
          const body = c.body as { command: string; dry_run?: boolean };
          const name = body.command.includes("sonoma") ? "Sonoma" : "Summer";
          return {
            body: commandResult({
              intent: "collection_add",
              reply: body.dry_run ? `Adding them to “${name}”.` : `Added 3 designs to “${name}”.`,
            }),
          };
        },
      },
      () => ({
        body: transcription(heard, commandResult({ intent: "collection_add", reply: "Adding them to “Summer”." }), {
          understood_text: understood,
          unsure: [
            {
              slot: "collection_name",
              heard: "so normal",
              understood: "Summer",
              options: [{ label: "Sonoma", text: sonoma }],
            },
          ],
          needs_confirmation: true,
          confirm_prompt: "Add them to “Summer”?",
        }),
      }),
    );
    await record(user);
    expect(await screen.findByRole("heading", { name: "Add them to “Summer”?" })).toBeTruthy();
    expect(screen.getByText("Adding them to “Summer”.")).toBeTruthy();
    // Nothing done before the designer says so.
    expect(calls.filter((c) => c.url === "/api/voice/process-text")).toHaveLength(0);

    const slot = screen.getByRole("group", { name: "collection heard “so normal”" });
    await user.click(within(slot).getByRole("button", { name: "Sonoma" }));
    expect(await screen.findByText("Adding them to “Sonoma”.")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Do it" }));
    expect(await screen.findByText("Added 3 designs to “Sonoma”.")).toBeTruthy();
    expect(calls.filter((c) => c.url === "/api/voice/process-text").map((c) => c.body)).toEqual([
      { command: sonoma, dry_run: true },
      { command: sonoma },
    ]);
    // Done: the question goes with it.
    expect(screen.queryByRole("heading", { name: "Add them to “Summer”?" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Do it" })).toBeNull();
  });

  it("Do it carries out the command as understood when no other reading is picked", async () => {
    microphone(stream);
    const understood = "add these to my summer collection";
    const { user, calls } = setup(
      parsedAs({ intent: "collection_add", reply: "Added 3 designs to “Summer”." }),
      () => ({
        body: transcription(
          "add these to my so normal collection",
          commandResult({ intent: "collection_add", reply: "Adding them to “Summer”." }),
          {
            understood_text: understood,
            unsure: [{ slot: "collection_name", heard: "so normal", understood: "Summer", options: [] }],
            needs_confirmation: true,
            confirm_prompt: null,
          },
        ),
      }),
    );
    await record(user);
    // Without a question from the server, the bar asks one.
    expect(await screen.findByRole("heading", { name: `Did you mean “${understood}”?` })).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Do it" }));
    expect(await screen.findByText("Added 3 designs to “Summer”.")).toBeTruthy();
    expect(calls.filter((c) => c.url === "/api/voice/process-text").map((c) => c.body)).toEqual([
      { command: understood },
    ]);
  });
});

// -- partial transcripts over the live socket --------------------------------------------------

/** The server's end of the live socket, as far as streaming speech goes. */
class FakeSocket implements VoiceSocket {
  sent: { event: string; data: unknown }[] = [];
  private listeners = new Set<(partial: VoicePartial) => void>();
  constructor(
    public connected = true,
    private answer: (data: { mime: string }) => VoiceStartAck | null = () => ({ ok: true, stream_id: "st-1" }),
  ) {}
  emit(event: string, data: unknown, ack?: (answer: VoiceStartAck) => void): void {
    this.sent.push({ event, data });
    if (event === "voice.start") {
      const answer = this.answer(data as { mime: string });
      if (answer) setTimeout(() => ack?.(answer), 0);
    }
  }
  on(_event: "voice.partial", listener: (partial: VoicePartial) => void): void {
    this.listeners.add(listener);
  }
  off(_event: "voice.partial", listener: (partial: VoicePartial) => void): void {
    this.listeners.delete(listener);
  }
  get listening(): number {
    return this.listeners.size;
  }
  partial(partial: VoicePartial): void {
    act(() => this.listeners.forEach((l) => l(partial)));
  }
  events(): string[] {
    return this.sent.map((s) => s.event);
  }
  /** What each voice.chunk carried, as text. */
  chunks(): string[] {
    return this.sent
      .filter((s) => s.event === "voice.chunk")
      .map((s) => new TextDecoder().decode((s.data as { data: ArrayBuffer }).data));
  }
}

describe("CommandBar voice, streamed", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    Reflect.deleteProperty(navigator, "mediaDevices");
  });

  it("shows the words as they come, newest first, and still uploads the whole recording", async () => {
    microphone(stream);
    const socket = new FakeSocket();
    const { user, uploads } = setup({ ...parsedAs() }, () => ({ body: transcription("make me three western") }), socket);
    await user.click(screen.getByRole("button", { name: "Record a command" }));
    await screen.findByRole("button", { name: "Stop recording" });
    const recorder = FakeRecorder.instances[0];
    expect(recorder.timeslice).toBe(400);
    expect(socket.sent[0]).toEqual({ event: "voice.start", data: { mime: "audio/webm;codecs=opus" } });

    // Chunks recorded before the server answered wait for its stream id, in order.
    recorder.chunk("first-");
    recorder.chunk("second-");
    await waitFor(() => expect(socket.chunks()).toEqual(["first-", "second-"]));
    expect(socket.sent.filter((s) => s.event === "voice.chunk").map((s) => (s.data as { stream_id: string }).stream_id)).toEqual([
      "st-1",
      "st-1",
    ]);

    expect(screen.getByText("Say your command, then press stop.")).toBeTruthy();
    socket.partial({ stream_id: "st-1", text: "make me", seq: 1 });
    expect(screen.getByText("make me")).toBeTruthy();
    socket.partial({ stream_id: "st-1", text: "make me three western", seq: 3 });
    const words = screen.getByText("make me three western");
    expect(words.closest("[aria-live=polite]")).toBeTruthy();
    expect(screen.getByText(/Listening…/)).toBeTruthy();
    // An older transcript arriving late, and another stream's, are ignored.
    socket.partial({ stream_id: "st-1", text: "make me tree", seq: 2 });
    socket.partial({ stream_id: "st-other", text: "something else", seq: 9 });
    expect(screen.getByText("make me three western")).toBeTruthy();
    expect(screen.queryByText("make me tree")).toBeNull();
    expect(screen.queryByText("something else")).toBeNull();

    await user.click(screen.getByRole("button", { name: "Stop recording" }));
    expect(await screen.findByText("Heard: “make me three western”")).toBeTruthy();
    // The last chunk, then voice.stop; the socket no longer listens for this recording.
    await waitFor(() => expect(socket.events().at(-1)).toBe("voice.stop"));
    expect(socket.chunks()).toEqual(["first-", "second-", "OggS-opus-bytes"]);
    expect(socket.sent.at(-1)!.data).toEqual({ stream_id: "st-1" });
    expect(socket.listening).toBe(0);
    // The upload is the whole recording: the chunks together.
    expect(await (uploads[0].form.get("audio") as File).text()).toBe("first-second-OggS-opus-bytes");
    expect(screen.queryByText(/Listening…/)).toBeNull();
  });

  it.each([
    ["not connected", new FakeSocket(false)],
    ["refused by the server", new FakeSocket(true, () => ({ ok: false, error: { code: "busy", message: "no" } }))],
  ])("records and uploads exactly as before when the socket is %s", async (_why, socket) => {
    microphone(stream);
    const { user, uploads } = setup({ ...parsedAs() }, () => ({ body: transcription("make me 4 dresses") }), socket);
    await user.click(screen.getByRole("button", { name: "Record a command" }));
    await screen.findByRole("button", { name: "Stop recording" });
    const recorder = FakeRecorder.instances[0];
    if (socket.connected) {
      // Asked; the refusal arrives, and then no chunk is sent.
      await waitFor(() => expect(socket.events()).toEqual(["voice.start"]));
      await new Promise((resolve) => setTimeout(resolve, 10));
      recorder.chunk("first-");
    } else {
      expect(recorder.timeslice).toBeUndefined();
    }
    socket.partial({ stream_id: "st-1", text: "make me", seq: 1 });
    expect(screen.queryByText("make me")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Stop recording" }));
    expect(await screen.findByText("Heard: “make me 4 dresses”")).toBeTruthy();
    expect(socket.events()).toEqual(socket.connected ? ["voice.start"] : []);
    expect(uploads).toHaveLength(1);
    expect(await (uploads[0].form.get("audio") as File).text()).toBe(
      socket.connected ? "first-OggS-opus-bytes" : "OggS-opus-bytes",
    );
  });
});
