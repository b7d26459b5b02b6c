from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile

from designer_bff.commands.parser import EXAMPLES
from designer_bff.commands.schemas import (
    AudioCommandResult,
    CommandResult,
    ExamplesOut,
    HistoryItem,
    HistoryPage,
    ProcessTextIn,
    TranscriptionOut,
)
from designer_bff.commands.service import CommandService
from designer_bff.core.deps import DbDep, UserDep
from designer_bff.core.errors import AppError
from designer_bff.core.pagination import MAX_LIMIT
from designer_bff.speech import Transcript

router = APIRouter(prefix="/api/voice", tags=["commands"])

AudioUpload = Annotated[
    UploadFile, File(description="wav, webm/opus, ogg, mp3 or m4a; at most 10 MB and 60 s")
]


def _service(request: Request) -> CommandService:
    return request.app.state.services.commands


async def _read_upload(service: CommandService, audio: UploadFile) -> bytes:
    # Read one byte past the limit: enough to know it is too large without reading it all.
    data = await audio.read(service.speech_max_bytes + 1)
    if len(data) > service.speech_max_bytes:
        raise AppError(
            f"Audio is larger than {service.speech_max_bytes} bytes.",
            code="audio_too_large",
            status_code=413,
        )
    return data


@router.post("/process-text", response_model=CommandResult)
async def process_text(
    body: ProcessTextIn, request: Request, db: DbDep, current: UserDep
) -> CommandResult:
    """Understand a typed command and act on it (unless `dry_run`)."""
    return await _service(request).process(db, current.id, body.command, dry_run=body.dry_run)


@router.post("/transcribe", response_model=TranscriptionOut)
async def transcribe(audio: AudioUpload, request: Request, current: UserDep) -> TranscriptionOut:
    """Speech to text, plus how the text would be understood (nothing is stored or done)."""
    service = _service(request)
    transcript = await service.transcribe(await _read_upload(service, audio))
    return _transcription(
        transcript, service.parse(transcript.transcript) if transcript.transcript.strip() else None
    )


@router.post("/process-audio", response_model=AudioCommandResult)
async def process_audio(
    audio: AudioUpload, request: Request, db: DbDep, current: UserDep
) -> AudioCommandResult:
    """Speech to text, then processed like /process-text (the original guide's call)."""
    service = _service(request)
    data = await _read_upload(service, audio)
    transcript = await service.transcribe(data)
    if not transcript.transcript.strip():
        raise AppError("No speech was recognised in the audio.", code="no_speech", status_code=422)
    result = await service.process(
        db, current.id, transcript.transcript, transcript=transcript, audio_bytes=len(data)
    )
    return AudioCommandResult(
        **result.model_dump(),
        transcript=transcript.transcript,
        language=transcript.language,
        duration_s=transcript.duration_s,
        provider=transcript.provider,
    )


def _transcription(t: Transcript, parse: dict | None) -> TranscriptionOut:
    return TranscriptionOut(
        transcript=t.transcript,
        language=t.language,
        duration_s=t.duration_s,
        provider=t.provider,
        parse=parse,
    )


@router.get("/history", response_model=HistoryPage)
async def history(
    request: Request,
    db: DbDep,
    current: UserDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HistoryPage:
    """My commands, newest first."""
    rows, next_cursor = await _service(request).history(db, current.id, limit=limit, cursor=cursor)
    return HistoryPage(
        items=[HistoryItem.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


@router.get("/examples", response_model=ExamplesOut)
async def examples(request: Request, current: UserDep) -> ExamplesOut:
    """Commands to try, each with the intent it shows."""
    service = _service(request)
    return ExamplesOut(
        examples=[{"command": text, "intent": service.parse(text)["intent"]} for text in EXAMPLES]
    )
