"""Upload validation: format sniffing, size and duration limits, decoding."""

from __future__ import annotations

import importlib.util
import io
import os
import wave

import numpy as np
import pytest
from speech_testkit import dominant_frequency, make_wav, require, tone

from designer_bff.speech import (
    SAMPLE_RATE,
    AudioClip,
    AudioTooLarge,
    AudioTooLong,
    SpeechUnavailable,
    UnsupportedAudio,
    decode_audio,
    load_audio,
    sniff_audio_format,
)
from designer_bff.speech import audio as audio_module
from designer_bff.speech.audio import _decode_wav_stdlib

HAVE_AV = importlib.util.find_spec("av") is not None


def needs_av() -> None:
    require(HAVE_AV, "PyAV is not installed (it comes with the 'speech' extra)")


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def encode(
    container: str, codec: str, seconds: float = 1.5, rate: int = 48_000, layout: str = "mono"
) -> bytes:
    """Encode a 440 Hz tone with PyAV's own encoders; skip if this build lacks the codec."""
    needs_av()
    import av

    try:
        av.codec.Codec(codec, "w")
    except av.error.FFmpegError:
        pytest.skip(f"this PyAV build has no {codec} encoder")
    channels = 2 if layout == "stereo" else 1
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=container) as out:
        # FFmpeg's native Vorbis encoder is flagged experimental (and stereo-only).
        stream = out.add_stream(codec, rate=rate, layout=layout, options={"strict": "-2"})
        fmt = stream.codec_context.codec.audio_formats[0].name
        frame_size = stream.codec_context.frame_size or 1024
        # Convert to the sample format the encoder wants (s16p for mp3, fltp for aac...).
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
        samples = tone(seconds, rate, channels=channels)
        for start in range(0, len(samples), frame_size):
            chunk = np.ascontiguousarray(samples[start : start + frame_size].reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            for converted in resampler.resample(frame):
                for packet in stream.encode(converted):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


ENCODED = [
    pytest.param("ogg", "libopus", "ogg", "mono", id="ogg-opus"),
    pytest.param("ogg", "vorbis", "ogg", "stereo", id="ogg-vorbis"),
    pytest.param("webm", "libopus", "webm", "mono", id="webm-opus"),
    pytest.param("mp3", "libmp3lame", "mp3", "stereo", id="mp3"),
    pytest.param("ipod", "aac", "m4a", "mono", id="m4a-aac"),
    pytest.param("flac", "flac", "flac", "mono", id="flac"),
]


@pytest.mark.parametrize(("container", "codec", "expected", "layout"), ENCODED)
def test_each_format_is_sniffed_and_decoded(
    container: str, codec: str, expected: str, layout: str
) -> None:
    data = encode(container, codec, layout=layout)
    assert sniff_audio_format(data) == expected
    clip = decode_audio(data)
    assert clip.format == expected
    assert clip.sample_rate == SAMPLE_RATE
    assert clip.samples.dtype == np.float32 and clip.samples.ndim == 1
    # Encoders add priming/padding samples; the tone must still be ~1.5 s, 440 Hz, and
    # as loud as it went in (0.5 peak; channels are averaged, not summed).
    assert clip.duration_s == pytest.approx(1.5, abs=0.1)
    assert dominant_frequency(clip.samples) == pytest.approx(440, abs=5)
    middle = clip.samples[len(clip.samples) // 4 : -len(clip.samples) // 4]
    assert float(np.sqrt(np.mean(middle**2))) == pytest.approx(0.5 / np.sqrt(2), abs=0.05)


def test_wav_is_downmixed_and_resampled() -> None:
    data = make_wav(2.0, rate=44_100, channels=2, freq=1000)
    clip = decode_audio(data)
    assert clip.format == "wav"
    assert clip.size_bytes == len(data)
    assert clip.duration_s == pytest.approx(2.0, abs=0.01)
    assert dominant_frequency(clip.samples) == pytest.approx(1000, abs=5)
    assert 0.3 < float(np.abs(clip.samples).max()) <= 0.51


def test_clip_serialises_to_16k_mono_pcm_wav() -> None:
    clip = decode_audio(make_wav(1.0, rate=8_000))
    with wave.open(io.BytesIO(clip.wav_bytes())) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16_000)
        assert wav.getnframes() == len(clip.samples)
    pcm = np.frombuffer(clip.pcm16(), dtype="<i2")
    assert np.allclose(pcm / 32767, clip.samples, atol=1e-4)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "wav"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x82\x88matroska", "matroska"),
        (b"OggS\x00\x02", "ogg"),
        (b"ID3\x04\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x64", "mp3"),  # MPEG-1 layer III frame, 128 kb/s, 44.1 kHz
        (b"\x00\x00\x00\x20ftypM4A \x00\x00", "m4a"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"\xff\xf1\x50\x80", "aac"),  # ADTS
        (b"RIFF\x24\x00\x00\x00AVI LIST", None),  # RIFF but a video, not WAVE
        (PNG, None),
        (b"%PDF-1.7", None),
        (b"\xff\xd8\xff\xe0", None),  # JPEG: starts with 0xFF but is no audio frame
        (b"hello, world", None),
        (b"", None),
    ],
)
def test_sniffing_uses_magic_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_audio_format(head) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(PNG, id="png"),
        pytest.param(b"just some text that a client called audio/wav", id="text"),
        pytest.param(
            bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8)), id="random"
        ),
        pytest.param(b"", id="empty"),
        # Real magic bytes followed by garbage: sniffed, then refused by the decoder.
        pytest.param(b"RIFF\x00\x10\x00\x00WAVE" + os.urandom(2000), id="garbage-wav"),
        pytest.param(b"OggS" + os.urandom(2000), id="garbage-ogg"),
        pytest.param(b"\x1a\x45\xdf\xa3" + os.urandom(2000), id="garbage-webm"),
        pytest.param(b"\x00\x00\x00\x18ftypM4A " + os.urandom(2000), id="garbage-m4a"),
    ],
)
def test_non_audio_is_unsupported(data: bytes) -> None:
    if data[:4] in (b"OggS", b"\x1a\x45\xdf\xa3") or data[4:8] == b"ftyp":
        needs_av()  # without PyAV these containers are refused as undecodable here
    with pytest.raises(UnsupportedAudio) as caught:
        decode_audio(data)
    assert caught.value.status_code == 415
    assert caught.value.code == "unsupported_media_type"


def test_truncated_wav_is_refused_or_shorter() -> None:
    data = make_wav(2.0)
    # Cut inside the header: nothing usable is left.
    with pytest.raises(UnsupportedAudio):
        decode_audio(data[:30])
    # Cut inside the samples: what arrived decodes (a cut-off upload still transcribes).
    assert decode_audio(data[: len(data) // 2]).duration_s == pytest.approx(1.0, abs=0.01)


def test_too_large() -> None:
    with pytest.raises(AudioTooLarge) as caught:
        decode_audio(b"RIFF" + bytes(10 * 1024 * 1024))
    assert (caught.value.status_code, caught.value.code) == (413, "audio_too_large")
    small_limit = make_wav(1.0)
    with pytest.raises(AudioTooLarge):
        decode_audio(small_limit, max_bytes=len(small_limit) - 1)
    assert decode_audio(small_limit, max_bytes=len(small_limit)).duration_s == pytest.approx(1.0)


def test_too_long() -> None:
    with pytest.raises(AudioTooLong) as caught:
        decode_audio(make_wav(61.0))
    assert (caught.value.status_code, caught.value.code) == (413, "audio_too_long")
    assert decode_audio(make_wav(60.0)).duration_s == pytest.approx(60.0)
    with pytest.raises(AudioTooLong):
        decode_audio(make_wav(2.0), max_duration_s=1.5)


def test_long_compressed_audio_stops_decoding_early() -> None:
    # 61 s of Opus is small on disk; the limit must still apply (to decoded time).
    data = encode("ogg", "libopus", seconds=61.0)
    assert len(data) < 10 * 1024 * 1024
    with pytest.raises(AudioTooLong):
        decode_audio(data)


async def test_load_audio_decodes_in_a_thread() -> None:
    data = make_wav(1.0, rate=48_000)
    clip = await load_audio(data)
    assert isinstance(clip, AudioClip)
    assert clip.duration_s == pytest.approx(1.0, abs=0.01)
    with pytest.raises(AudioTooLarge):
        await load_audio(data, max_bytes=100)
    with pytest.raises(AudioTooLong):
        await load_audio(data, max_duration_s=0.5)


@pytest.mark.parametrize("sampwidth", [1, 2, 3, 4])
def test_stdlib_wav_fallback_matches_pyav(sampwidth: int) -> None:
    """Without the speech extra, PCM WAV decodes through the standard library."""
    needs_av()
    data = make_wav(1.0, rate=22_050, channels=2, freq=800, sampwidth=sampwidth)
    fallback = _decode_wav_stdlib(data, max_samples=10 * SAMPLE_RATE, max_duration_s=10)
    reference = decode_audio(data).samples
    assert len(fallback) == pytest.approx(len(reference), abs=2)
    assert dominant_frequency(fallback) == pytest.approx(800, abs=5)
    n = min(len(fallback), len(reference))
    assert float(np.abs(fallback[:n] - reference[:n]).mean()) < 0.02
    with pytest.raises(AudioTooLong):
        _decode_wav_stdlib(data, max_samples=SAMPLE_RATE // 2, max_duration_s=0.5)


def test_without_pyav_only_wav_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    ogg = encode("ogg", "libopus")  # made while PyAV is still importable
    # As in a deployment without the speech extra, where the optional import failed.
    monkeypatch.setattr(audio_module, "av", None)
    clip = decode_audio(make_wav(1.0, rate=44_100, channels=2))
    assert clip.duration_s == pytest.approx(1.0, abs=0.01)
    assert dominant_frequency(clip.samples) == pytest.approx(440, abs=5)
    with pytest.raises(SpeechUnavailable):
        decode_audio(ogg)
    with pytest.raises(AudioTooLong):
        decode_audio(make_wav(61.0))
