// Speaking a command: record the microphone (MediaRecorder), send the audio as a
// multipart upload, and say what went wrong in plain words.
//
// The audio goes to POST /api/voice/transcribe, which answers the transcript and how it
// would be understood, doing nothing. (POST /api/voice/process-audio also carries out the
// command: a spoken "make me 4 dresses" would start the job before the designer has seen
// the "You said / I understood" confirmation, and Generate would then start a second.)
// The command bar then treats the transcript exactly as a typed command.

import { ApiError, describeError, type Api } from "./client";
import type { CommandResult } from "./types";

/** How a transcript would be understood: a command result without id or timing. */
export type SpokenParse = Omit<CommandResult, "command_id" | "job_id">;

/** POST /api/voice/transcribe. */
export type Transcription = {
  transcript: string;
  language: string | null;
  duration_s: number;
  provider: string;
  /** Absent when nothing was said. */
  parse: SpokenParse | null;
};

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

/** One recording: start(), then stop() for the audio, or cancel(). */
export class VoiceRecorder {
  private stream: MediaStream | null = null;
  private recorder: MediaRecorder | null = null;
  private chunks: Blob[] = [];

  async start(): Promise<void> {
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
    this.chunks = [];
    this.recorder.addEventListener("dataavailable", (event: BlobEvent) => {
      if (event.data && event.data.size > 0) this.chunks.push(event.data);
    });
    this.recorder.start();
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
