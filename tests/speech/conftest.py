from __future__ import annotations

from collections.abc import Iterator

import pytest
from speech_testkit import FakeUpstream, make_wav

from designer_bff.speech import AudioClip, decode_audio


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    server = FakeUpstream()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clip() -> AudioClip:
    """Two seconds of a 440 Hz tone, decoded like any upload."""
    return decode_audio(make_wav(2.0, rate=22_050))
