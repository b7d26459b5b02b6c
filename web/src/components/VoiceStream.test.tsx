// The voice client's parts the command bar's tests do not reach: a stream's answers that
// come late or never, chunks read out of order, and confirming a command that waited.

import { afterEach, describe, expect, it, vi } from "vitest";
import { Api, memoryTokenStore } from "../api/client";
import {
  confirmCommand,
  START_TIMEOUT_MS,
  VoiceStream,
  type VoicePartial,
  type VoiceSocket,
  type VoiceStartAck,
} from "../api/voice";
import { commandResult, fakeFetch } from "../test/fakeApi";

/** A socket whose server answers voice.start only when the test says. */
class Socket implements VoiceSocket {
  connected = true;
  sent: { event: string; data: unknown }[] = [];
  answer: ((ack: VoiceStartAck) => void) | null = null;
  listener: ((partial: VoicePartial) => void) | null = null;
  emit(event: string, data: unknown, ack?: (answer: VoiceStartAck) => void): void {
    this.sent.push({ event, data });
    if (ack) this.answer = ack;
  }
  on(_event: "voice.partial", listener: (partial: VoicePartial) => void): void {
    this.listener = listener;
  }
  off(): void {
    this.listener = null;
  }
  summary(): string[] {
    return this.sent.map(({ event, data }) => {
      const d = data as { stream_id?: string; data?: ArrayBuffer };
      return d.data ? `${event} ${d.stream_id} ${new TextDecoder().decode(d.data)}` : `${event} ${d.stream_id ?? ""}`.trim();
    });
  }
}

/** A chunk whose bytes take `ms` to read. */
class SlowBlob extends Blob {
  constructor(
    text: string,
    private readonly ms: number,
  ) {
    super([text]);
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    return new Promise((resolve) => setTimeout(() => resolve(super.arrayBuffer()), this.ms));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe("VoiceStream", () => {
  it("sends chunks in the order recorded, however long each takes to read", async () => {
    const socket = new Socket();
    const stream = new VoiceStream(socket, () => undefined);
    stream.send(new SlowBlob("a", 30));
    stream.open("audio/webm");
    stream.send(new SlowBlob("b", 1));
    socket.answer!({ ok: true, stream_id: "s" });
    stream.send(new SlowBlob("c", 10));
    stream.close();
    stream.send(new Blob(["after"])); // recorded after close: not sent
    await vi.waitFor(() => expect(socket.summary().at(-1)).toBe("voice.stop s"));
    expect(socket.summary()).toEqual(["voice.start", "voice.chunk s a", "voice.chunk s b", "voice.chunk s c", "voice.stop s"]);
  });

  it("gives up on a server that does not answer, and ends a stream answered too late", async () => {
    vi.useFakeTimers();
    const socket = new Socket();
    const heard: string[] = [];
    const stream = new VoiceStream(socket, (text) => heard.push(text));
    stream.open("audio/ogg");
    stream.send(new Blob(["a"]));
    await vi.advanceTimersByTimeAsync(START_TIMEOUT_MS);
    socket.answer!({ ok: true, stream_id: "late" });
    socket.listener?.({ stream_id: "late", text: "make me", seq: 1 });
    stream.send(new Blob(["b"]));
    stream.close();
    await vi.runAllTimersAsync();
    expect(socket.sent[0]).toEqual({ event: "voice.start", data: { mime: "audio/ogg" } });
    // No chunk went to a stream the recording never knew; the server's one is ended.
    expect(socket.summary()).toEqual(["voice.start", "voice.stop late"]);
    expect(heard).toEqual([]);
  });

  it("stops at once a stream the server opens after the recording ended", async () => {
    const socket = new Socket();
    const stream = new VoiceStream(socket, () => undefined);
    stream.open("audio/webm");
    stream.send(new Blob(["a"]));
    stream.close();
    socket.answer!({ ok: true, stream_id: "s" });
    await settle();
    expect(socket.summary()).toEqual(["voice.start", "voice.stop s"]);
    expect(socket.listener).toBeNull();
  });

  it("drops what is recorded while the socket is disconnected instead of queueing it", async () => {
    const socket = new Socket();
    const heard: string[] = [];
    const stream = new VoiceStream(socket, (text) => heard.push(text));
    stream.open("audio/webm");
    socket.answer!({ ok: true, stream_id: "s" });
    stream.send(new Blob(["a"]));
    await vi.waitFor(() => expect(socket.summary()).toHaveLength(2));
    socket.connected = false;
    stream.send(new Blob(["b"]));
    socket.listener?.({ stream_id: "s", text: "make me", seq: 4 });
    socket.listener?.({ stream_id: "s", text: "make", seq: 4 }); // not newer
    stream.close();
    await settle();
    expect(socket.summary()).toEqual(["voice.start", "voice.chunk s a"]);
    expect(heard).toEqual(["make me"]);
  });

  it("never asks a socket that is not connected", () => {
    const socket = new Socket();
    socket.connected = false;
    const stream = new VoiceStream(socket, () => undefined);
    stream.open("audio/webm");
    stream.send(new Blob(["a"]));
    stream.close();
    expect(socket.sent).toEqual([]);
    expect(socket.listener).toBeNull();
  });
});

describe("confirmCommand", () => {
  it("confirms as understood with an empty body, or as corrected with its text", async () => {
    const fake = fakeFetch({
      "POST /api/voice/commands/c%201/confirm": (c) => ({
        body: commandResult({ command_id: "c 1", job_id: "job-1", reply: JSON.stringify(c.body) }),
      }),
    });
    const api = new Api(memoryTokenStore({ access: "a", refresh: "r" }), fake.fetcher);
    const asIs = await confirmCommand(api, "c 1");
    const corrected = await confirmCommand(api, "c 1", "make me 30 western denim jackets");
    expect(fake.calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ["POST", "/api/voice/commands/c%201/confirm", {}],
      ["POST", "/api/voice/commands/c%201/confirm", { text: "make me 30 western denim jackets" }],
    ]);
    expect(asIs.job_id).toBe("job-1");
    expect(corrected.reply).toBe('{"text":"make me 30 western denim jackets"}');
  });
});
