"""Audio upload validation and decoding to 16 kHz mono float32.

The container is sniffed from magic bytes: a client's ``Content-Type`` is a claim, not a
fact, and we only hand FFmpeg the demuxer for the format we recognised so that it never
probes its way into some other, less-trodden parser.

Decoding uses PyAV (installed with the ``speech`` extra). Without PyAV, plain PCM WAV
still decodes through the standard library so that the cloud providers keep working.
"""

from __future__ import annotations

import asyncio
import io
import struct
import wave
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
import numpy.typing as npt

from designer_bff.speech.base import (
    AudioTooLarge,
    AudioTooLong,
    SpeechUnavailable,
    UnsupportedAudio,
)

av: ModuleType | None
try:  # The optional extra: without it only WAV can be decoded.
    import av
    import av.error
except ImportError:  # pragma: no cover - exercised only where the extra is absent
    av = None

SAMPLE_RATE = 16_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_DURATION_S = 60.0
# Lossy codecs pad the stream (MP3 ~1152 priming samples, AAC 1024, Opus 312), so a
# recording stopped at exactly the limit decodes a few tens of ms longer.
DURATION_GRACE_S = 0.25

# Sniffed format -> FFmpeg demuxer to force.
_DEMUXERS: dict[str, str] = {
    "wav": "wav",
    "webm": "matroska",
    "matroska": "matroska",
    "ogg": "ogg",
    "mp3": "mp3",
    "m4a": "mp4",
    "flac": "flac",
    "aac": "aac",
}
SUPPORTED_FORMATS: frozenset[str] = frozenset(_DEMUXERS)

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class AudioClip:
    """Decoded audio: mono float32 in [-1, 1] at :data:`SAMPLE_RATE`."""

    samples: Samples = field(repr=False)
    format: str
    size_bytes: int
    sample_rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    def pcm16(self) -> bytes:
        """Little-endian signed 16-bit PCM (Google's LINEAR16, the WAV payload)."""
        clipped = np.clip(self.samples, -1.0, 1.0)
        return (clipped * 32767.0).round().astype("<i2").tobytes()

    def wav_bytes(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.sample_rate)
            out.writeframes(self.pcm16())
        return buf.getvalue()


def sniff_audio_format(data: bytes) -> str | None:
    """The container named by the leading magic bytes, or None if it is not one we take."""
    if len(data) >= 12 and data[:4] in (b"RIFF", b"RIFX") and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"\x1a\x45\xdf\xa3":  # EBML: the DocType element says webm or matroska
        return "webm" if b"webm" in data[:64] else "matroska"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"fLaC":
        return "flac"
    if len(data) >= 12 and data[4:8] == b"ftyp":  # ISO BMFF: m4a / mp4 / 3gp
        return "m4a"
    if data[:3] == b"ID3":
        return "mp3"
    if len(data) >= 3 and data[0] == 0xFF:
        b1, b2 = data[1], data[2]
        if b1 & 0xF6 == 0xF0:  # ADTS: 12-bit sync, layer 00
            return "aac"
        version, layer = (b1 >> 3) & 0b11, (b1 >> 1) & 0b11
        bitrate, rate = b2 >> 4, (b2 >> 2) & 0b11
        # 11-bit MPEG audio frame sync with no reserved field values.
        if b1 & 0xE0 == 0xE0 and version != 1 and layer != 0 and bitrate != 15 and rate != 3:
            return "mp3"
    return None


def check_size(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    if len(data) > max_bytes:
        raise AudioTooLarge(f"audio is {len(data)} bytes; the limit is {max_bytes} bytes")
    if not data:
        raise UnsupportedAudio("the audio upload is empty")


def decode_audio(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
) -> AudioClip:
    """Validate and decode an upload. CPU-bound: call :func:`load_audio` from async code.

    Raises AudioTooLarge, AudioTooLong, UnsupportedAudio, or SpeechUnavailable when the
    format is fine but the decoder for it (PyAV) is not installed.
    """
    check_size(data, max_bytes)
    fmt = sniff_audio_format(data)
    if fmt is None:
        raise UnsupportedAudio(
            "not a supported audio file (expected wav, webm, ogg, mp3, m4a, flac)"
        )
    max_samples = int((max_duration_s + DURATION_GRACE_S) * SAMPLE_RATE)
    if av is not None:
        samples = _decode_with_av(data, fmt, max_samples, max_duration_s)
    elif fmt == "wav":
        samples = _decode_wav_stdlib(data, max_samples, max_duration_s)
    else:
        raise SpeechUnavailable(
            f"decoding {fmt} audio needs PyAV (the 'speech' extra); only WAV works without it"
        )
    if samples.size == 0:
        raise UnsupportedAudio("the file contains no audio samples")
    return AudioClip(samples=samples, format=fmt, size_bytes=len(data))


async def load_audio(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
) -> AudioClip:
    """:func:`decode_audio` in a worker thread so the event loop stays responsive."""
    # The size check is free; do it here so an oversized upload never costs a thread.
    check_size(data, max_bytes)
    return await asyncio.to_thread(
        decode_audio, data, max_bytes=max_bytes, max_duration_s=max_duration_s
    )


def _too_long(max_duration_s: float) -> AudioTooLong:
    return AudioTooLong(f"audio is longer than the {max_duration_s:g} s limit")


def _decode_with_av(data: bytes, fmt: str, max_samples: int, max_duration_s: float) -> Samples:
    assert av is not None
    chunks: list[Samples] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r", format=_DEMUXERS[fmt]) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise UnsupportedAudio(f"the {fmt} file has no audio stream")
            # Keep the channels (planar) and average them ourselves: FFmpeg's stereo ->
            # mono downmix adds them at -3 dB, i.e. 1.41x the mean, which clips loud audio.
            resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
            for packet in container.demux(stream):
                for frame in packet.decode():
                    assert isinstance(frame, av.AudioFrame)  # an audio stream's packets
                    for out in resampler.resample(frame):
                        chunk = out.to_ndarray().mean(axis=0, dtype=np.float32)
                        chunks.append(chunk)
                        total += chunk.size
                # Stop early: a 10 MB low-bitrate Opus file can hold hours of audio.
                if total > max_samples:
                    raise _too_long(max_duration_s)
            for out in resampler.resample(None):  # flush the resampler's buffer
                chunks.append(out.to_ndarray().mean(axis=0, dtype=np.float32))
    # ValueError: PyAV's resampler refuses a stream whose layout changes mid-way.
    except (av.error.FFmpegError, ValueError) as exc:
        raise UnsupportedAudio(f"could not decode the {fmt} audio: {exc}") from exc
    samples = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else _empty()
    if samples.size > max_samples:
        raise _too_long(max_duration_s)
    return samples


def _empty() -> Samples:
    return np.zeros(0, dtype=np.float32)


def _decode_wav_stdlib(data: bytes, max_samples: int, max_duration_s: float) -> Samples:
    """PCM WAV without PyAV: integer samples, any rate, downmixed and resampled."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            # The header's frame count can be bogus (streamed WAVs write 0xFFFFFFFF):
            # readframes returns only what is there, and the upload is at most max_bytes.
            n_frames = wav.getnframes()
            if rate <= 0 or width not in (1, 2, 3, 4):
                raise UnsupportedAudio("unsupported WAV sample format")
            raw = wav.readframes(n_frames)
    # The stdlib parser signals malformed chunks with bare RuntimeError/struct.error too.
    except (wave.Error, EOFError, RuntimeError, struct.error, ValueError) as exc:
        raise UnsupportedAudio(f"could not decode the wav audio: {exc}") from exc
    if width == 1:  # 8-bit WAV is unsigned
        ints = np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0
    elif width == 3:  # 24-bit: place each triplet in the top of an int32, shift back down
        triplets = np.frombuffer(raw[: len(raw) - len(raw) % 3], dtype=np.uint8).reshape(-1, 3)
        padded = np.zeros((len(triplets), 4), dtype=np.uint8)
        padded[:, 1:] = triplets
        ints = (padded.view("<i4").reshape(-1) >> 8).astype(np.float32)
    else:
        ints = np.frombuffer(raw, dtype=f"<i{width}").astype(np.float32)
    scale = float(2 ** (8 * width - 1))
    usable = ints.size - ints.size % channels
    mono = (ints[:usable].reshape(-1, channels).mean(axis=1) / scale).astype(np.float32)
    if rate != SAMPLE_RATE and mono.size:
        # Linear interpolation: crude (no anti-alias filter) but speech sits well below
        # 8 kHz, and this path only serves deployments without the speech extra.
        n_out = round(mono.size * SAMPLE_RATE / rate)
        positions = np.arange(n_out, dtype=np.float64) * (rate / SAMPLE_RATE)
        mono = np.interp(positions, np.arange(mono.size), mono).astype(np.float32)
    if mono.size > max_samples:
        raise _too_long(max_duration_s)
    return mono
