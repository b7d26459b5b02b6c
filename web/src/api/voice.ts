// Speaking a command: record the microphone (MediaRecorder), send the audio as a
// multipart upload, and say what went wrong in plain words.
//
// The audio goes to POST /api/voice/transcribe, which answers the transcript and how it
// would be understood, doing nothing. (POST /api/voice/process-audio also carries out the
// command: a spoken "make me 4 dresses" would start the job before the designer has seen
// the "You said / I understood" confirmation, and Generate would then start a second.)
// The server corrects what the recogniser misheard ("make me free western bed and
// jackets" -> "make me 3 western denim jackets"): the command bar acts on that corrected
// `understood_text`, never on the raw transcript, and where the server is unsure of a word
// the designer confirms it first.
//
// While recording, the audio may also stream over the live socket for partial transcripts
// (best effort: the final answer always comes from the upload).

import { ApiError, describeError, type Api } from "./client";
import type { CommandResult } from "./types";

/** How a transcript would be understood: a command result without id or timing. */
export type SpokenParse = Omit<CommandResult, "command_id" | "job_id">;

/** Another reading of one unsure slot: the value to show, and the whole command it makes. */
export type SlotOption = { label: string; text: string };

/** A part of the command the server is not sure it heard right. */
export type UnsureSlot = {
  /** A spec or target field: "quantity", "fabrics", "colors", "garment_type", "collection_name"... */
  slot: string;
  /** The words as heard ("free"). */
  heard: string;
  /** The value chosen ("3"). */
  understood: string;
  options: SlotOption[];
};

/** How sure the server is of what it heard (transcribe and process-audio answer it). */
export type Hearing = {
  /** The command as understood, misheard words corrected: what is acted on. */
  understood_text: string;
  /** Other full readings the recogniser weighed, best first. */
  alternatives: string[];
  unsure: UnsureSlot[];
  /** True when `unsure` is not empty: the designer confirms before anything is done. */
  needs_confirmation: boolean;
  /** A question to ask ("3 tulle ball gowns in fuchsia for prom?"). */
  confirm_prompt: string | null;
};

/** POST /api/voice/transcribe. */
export type Transcription = Hearing & {
  transcript: string;
  language: string | null;
  duration_s: number;
  provider: string;
  /** How `understood_text` would be understood; absent when nothing was said. */
  parse: SpokenParse | null;
};

/** POST /api/voice/process-audio: when `needs_confirmation`, nothing was done, `command_id`
 *  is set and `error.code` is "needs_confirmation" (see confirmCommand). */
export type AudioCommandResult = CommandResult &
  Hearing & {
    transcript: string;
    language: string | null;
    duration_s: number;
    provider: string;
  };

/** POST /api/voice/commands/{id}/confirm: carry out a spoken command that waited for the
 *  designer, as understood (no `text`) or as they corrected it (`text`). */
export function confirmCommand(api: Api, commandId: string, text?: string, signal?: AbortSignal): Promise<CommandResult> {
  return api.json<CommandResult>(`/api/voice/commands/${encodeURIComponent(commandId)}/confirm`, {
    body: text === undefined ? {} : { text },
    signal,
  });
}

/** The server takes at most 60 s (and 10 MB) of audio: recording stops a little before. */
export const MAX_SECONDS = 59;

const EXTENSIONS: [string, string][] = [
  ["webm", "webm"],
  ["ogg", "ogg"],
  ["mp4", "m4a"],
  ["aac", "m4a"],
  ["mpeg", "mp3"],
  ["wav", "wav"],
  ["flac", "flac"],
];

function fileName(type: string): string {
  const ext = EXTENSIONS.find(([part]) => type.includes(part))?.[1] ?? "webm";
  return `command.${ext}`;
}

/** Send recorded audio (multipart, field `audio`) and get its transcript. */
export function transcribe(api: Api, audio: Blob, signal?: AbortSignal): Promise<Transcription> {
  const form = new FormData();
  form.append("audio", audio, fileName(audio.type));
  return api.upload<Transcription>("/api/voice/transcribe", form, signal);
}

/** A failure of the microphone or of speech recognition, in words for the designer. */
export class VoiceError extends Error {
  constructor(
    readonly code: "unsupported" | "permission" | "no_microphone" | "busy_microphone" | "microphone" | "nothing_heard",
    message: string,
  ) {
    super(message);
    this.name = "VoiceError";
  }
}

export const NOTHING_HEARD = "Nothing was heard. Try again, a little closer to the microphone.";

export function describeVoiceError(error: unknown): string {
  if (error instanceof VoiceError) return error.message;
  if (error instanceof ApiError) {
    switch (error.status) {
      case 413:
        return "That recording is too long. Keep a spoken command under a minute.";
      case 415:
        return "The studio could not read that recording. Try again, or type the command.";
      case 502:
      case 504:
        return "The speech service did not answer. Try again, or type the command.";
      case 503:
        return error.code === "speech_rate_limited"
          ? "Speech recognition is busy right now. Try again in a moment, or type the command."
          : "Speech recognition is not available right now. Type the command instead.";
    }
  }
  return describeError(error);
}

function microphoneError(error: unknown): VoiceError {
  const name = error instanceof DOMException || error instanceof Error ? error.name : "";
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return new VoiceError(
        "permission",
        "The studio may not use your microphone. Allow it for this site in the browser's settings, then try again.",
      );
    case "NotFoundError":
    case "OverconstrainedError":
      return new VoiceError("no_microphone", "No microphone was found. Connect one, or type the command.");
    case "NotReadableError":
    case "AbortError":
      return new VoiceError("busy_microphone", "The microphone is in use by another app. Close it and try again.");
    default:
      return new VoiceError("microphone", "The microphone could not start. Try again, or type the command.");
  }
}

/** Whether this browser can record (MediaRecorder and getUserMedia, on a secure origin). */
export function canRecord(): boolean {
  return (
    typeof MediaRecorder !== "undefined" &&
    typeof navigator !== "undefined" &&
    typeof navigator.mediaDevices?.getUserMedia === "function"
  );
}

// In order of preference; the server takes webm/opus, ogg, mp3, m4a, wav and flac.
const TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];

/** How often a recording hands over what it has so far, when it is streamed. */
export const CHUNK_MS = 400;

/** One recording: start(), then stop() for the audio, or cancel(). */
export class VoiceRecorder {
  private stream: MediaStream | null = null;
  private recorder: MediaRecorder | null = null;
  private chunks: Blob[] = [];
  private type = "";

  /** With `onChunk`, the audio is also handed over every CHUNK_MS as it is recorded (in
   *  order; together the chunks are the same audio as stop()'s). */
  async start(onChunk?: (chunk: Blob) => void): Promise<void> {
    if (!canRecord()) {
      throw new VoiceError("unsupported", "This browser cannot record audio. Type the command instead.");
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      throw microphoneError(error);
    }
    const supported = typeof MediaRecorder.isTypeSupported === "function" ? MediaRecorder.isTypeSupported : null;
    const mimeType = supported ? TYPES.find((t) => supported.call(MediaRecorder, t)) : undefined;
    try {
      this.recorder = new MediaRecorder(this.stream, mimeType ? { mimeType } : undefined);
    } catch (error) {
      this.release();
      throw microphoneError(error);
    }
    const recorder = this.recorder;
    this.chunks = [];
    recorder.addEventListener("dataavailable", (event: BlobEvent) => {
      if (!event.data || event.data.size === 0) return;
      this.chunks.push(event.data);
      onChunk?.(event.data);
    });
    if (onChunk) recorder.start(CHUNK_MS);
    else recorder.start();
    this.type = recorder.mimeType || mimeType || "";
  }

  /** The audio's type, once started ("" when the browser does not say). */
  get mimeType(): string {
    return this.type;
  }

  /** The audio recorded so far; the microphone is released. */
  stop(): Promise<Blob> {
    const recorder = this.recorder;
    if (!recorder || recorder.state === "inactive") {
      this.release();
      return Promise.resolve(new Blob(this.chunks));
    }
    return new Promise((resolve) => {
      recorder.addEventListener(
        "stop",
        () => {
          const type = recorder.mimeType || this.chunks[0]?.type || "audio/webm";
          resolve(new Blob(this.chunks, { type }));
          this.release();
        },
        { once: true },
      );
      recorder.stop();
    });
  }

  cancel(): void {
    if (this.recorder && this.recorder.state !== "inactive") {
      try {
        this.recorder.stop();
      } catch {
        /* already stopped */
      }
    }
    this.release();
  }

  private release(): void {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.recorder = null;
  }
}

// -- partial transcripts over the live socket ---------------------------------------------------

/** `voice.partial`: a newer transcript of what was said so far (a higher `seq`). */
export type VoicePartial = { stream_id: string; text: string; seq: number };

/** The answer to `voice.start`. */
export type VoiceStartAck = { ok: true; stream_id: string } | { ok: false; error: { code: string; message: string } };

/** The live connection, as far as streaming speech uses it (a Socket.IO socket). */
export interface VoiceSocket {
  readonly connected: boolean;
  emit(event: "voice.start", data: { mime: string }, ack: (answer: VoiceStartAck) => void): unknown;
  emit(event: "voice.chunk", data: { stream_id: string; data: ArrayBuffer }): unknown;
  emit(event: "voice.stop", data: { stream_id: string }): unknown;
  on(event: "voice.partial", listener: (partial: VoicePartial) => void): unknown;
  off(event: "voice.partial", listener: (partial: VoicePartial) => void): unknown;
}

/** How long `voice.start` may go unanswered (a server without streaming never answers). */
export const START_TIMEOUT_MS = 3000;

/**
 * One recording streamed for partial transcripts: send() each chunk as it is recorded
 * (before open() too: chunks wait for the stream's id), open() once the audio's type is
 * known, close() when recording ends. Best effort: when the server refuses, does not
 * answer or the socket drops, chunks are dropped and no words come, nothing fails.
 */
export class VoiceStream {
  private id: string | null = null;
  private settled = false;
  private resolveId!: (id: string | null) => void;
  private readonly streamId = new Promise<string | null>((resolve) => {
    this.resolveId = resolve;
  });
  // Chunks are read (Blob -> ArrayBuffer) one after the other, so they go out in order.
  private queue: Promise<unknown> = Promise.resolve();
  private seq = -Infinity;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly socket: VoiceSocket,
    private readonly onPartial: (text: string) => void,
  ) {}

  open(mime: string): void {
    if (this.closed || this.settled) return;
    if (!this.socket.connected) {
      this.settle(null);
      return;
    }
    this.socket.on("voice.partial", this.partial);
    this.timer = setTimeout(() => this.settle(null), START_TIMEOUT_MS);
    this.socket.emit("voice.start", { mime: mime || "audio/webm" }, (answer) => {
      const id = answer?.ok && typeof answer.stream_id === "string" ? answer.stream_id : null;
      // Answered too late (timed out, or the recording already ended): end it on the server.
      if (!this.settle(id) && id && this.socket.connected) this.socket.emit("voice.stop", { stream_id: id });
    });
  }

  send(chunk: Blob): void {
    if (this.closed) return;
    this.queue = this.queue
      .then(async () => {
        const id = await this.streamId;
        if (!id) return;
        const data = await chunk.arrayBuffer();
        // Socket.IO would buffer it while disconnected and send it on reconnecting, to a
        // server that has forgotten the stream.
        if (this.socket.connected) this.socket.emit("voice.chunk", { stream_id: id, data });
      })
      .catch(() => undefined);
  }

  /** No more words are wanted; the chunks already sent are followed by `voice.stop`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.off("voice.partial", this.partial);
    // Chunks still waiting for an answer to voice.start are dropped with it.
    this.settle(null);
    this.queue = this.queue
      .then(async () => {
        const id = await this.streamId;
        if (id && this.socket.connected) this.socket.emit("voice.stop", { stream_id: id });
      })
      .catch(() => undefined);
  }

  private settle(id: string | null): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.id = id;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.resolveId(id);
    return true;
  }

  private readonly partial = (event: VoicePartial) => {
    if (this.closed || this.id === null || event?.stream_id !== this.id) return;
    if (typeof event.text !== "string" || !(event.seq > this.seq)) return; // an older transcript
    this.seq = event.seq;
    this.onPartial(event.text);
  };
}
