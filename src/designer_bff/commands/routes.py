from __future__ import annotations

import struct
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile

from designer_bff.auth.deps import UserDep
from designer_bff.commands.hearing import Hearing
from designer_bff.commands.models import VoiceCommand
from designer_bff.commands.schemas import (
    AttributeVocabulary,
    AudioCommandResult,
    CommandResult,
    ConfirmIn,
    ExamplesOut,
    HeardFields,
    HistoryItem,
    HistoryPage,
    ProcessTextIn,
    TranscriptionOut,
    UnsureSlot,
    VocabularyOut,
)
from designer_bff.commands.service import CommandService
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.errors import AppError
from designer_bff.core.openapi import error_responses
from designer_bff.core.pagination import PageParams, newest_first_format, page_params
from designer_bff.garments.spec import ATTRIBUTES
from designer_bff.garments.taxonomy import get_taxonomy

router = APIRouter(prefix="/api/voice", tags=["commands"])


def _tiny_wav(samples: int = 80) -> str:
    """10 ms of near-silence as 8-bit 8 kHz WAV, every byte ASCII: an upload example the
    document can carry as text (and a fuzzer can send as it is)."""
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + samples)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
        + b"data"
        + struct.pack("<I", samples)
    )
    return (header + b"\x7f" * samples).decode("ascii")


AudioUpload = Annotated[
    UploadFile,
    File(
        description="wav, webm/opus, ogg, mp3, m4a or flac audio; at most 10 MB and 60 s",
        examples=[_tiny_wav()],
        # Bytes of an audio file (FastAPI's default says only "octet-stream").
        json_schema_extra={"format": "binary", "contentMediaType": "audio/*"},
    ),
]


CommandsDep = Annotated[CommandService, Depends(provide(CommandService))]

# What speech recognition can answer, beside the rules every upload follows.
_SPEECH_ERRORS = error_responses(
    {
        413: "`audio_too_large` or `audio_too_long`: over 10 MB or 60 s of audio",
        415: "`unsupported_media_type`: not wav, webm/opus, ogg, mp3, m4a or flac audio, "
        "or audio that does not decode",
        502: "`speech_provider_error`: the speech service failed",
        503: "`speech_unavailable` or `speech_rate_limited`: speech recognition cannot "
        "serve now (not configured, or the upstream service is limiting us)",
        504: "`speech_provider_timeout`: the speech service did not answer in time",
    }
)


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
    body: ProcessTextIn, service: CommandsDep, db: DbDep, current: UserDep
) -> CommandResult:
    """Understand a typed command and act on it (unless `dry_run`)."""
    return await service.process(db, current.id, body.command, dry_run=body.dry_run)


@router.post("/transcribe", response_model=TranscriptionOut, responses=_SPEECH_ERRORS)
async def transcribe(
    audio: AudioUpload, service: CommandsDep, db: DbDep, current: UserDep
) -> TranscriptionOut:
    """Speech to text, plus how the text would be understood (nothing is stored or done;
    a remote recogniser's call is still charged). `understood_text` is the command with
    misheard words corrected; `unsure` lists slots to confirm before acting."""
    transcript, hearing = await service.hear(db, current.id, await _read_upload(service, audio))
    await service.charge_transcription(db, current.id, transcript)
    text = hearing.understood_text
    return TranscriptionOut(
        transcript=transcript.transcript,
        language=transcript.language,
        duration_s=transcript.duration_s,
        provider=transcript.provider,
        parse=service.parse(text).to_dict() if text.strip() else None,
        **_heard(service, hearing).model_dump(),
    )


@router.post(
    "/process-audio",
    response_model=AudioCommandResult,
    responses=_SPEECH_ERRORS,
)
async def process_audio(
    audio: AudioUpload, service: CommandsDep, db: DbDep, current: UserDep
) -> AudioCommandResult:
    """Speech to text, then processed like /process-text (the original guide's call).
    Audio with no words in it answers `error.code` `no_speech` in the result. When a slot
    was unsure (`needs_confirmation`), nothing is done: `error.code` is
    `needs_confirmation` and POST /api/voice/commands/{command_id}/confirm acts."""
    data = await _read_upload(service, audio)
    transcript, hearing = await service.hear(db, current.id, data)
    if hearing.understood_text.strip():
        result = await service.process(
            db,
            current.id,
            hearing.understood_text,
            transcript=transcript,
            audio_bytes=len(data),
            hearing=hearing,
        )
    else:
        # Audio without words is answered like any command not understood (a reply, not a
        # failed request), and nothing is stored or done.
        await service.charge_transcription(db, current.id, transcript)
        result = await service.process(db, current.id, "", dry_run=True)
        result.error = {"code": "no_speech", "message": "No speech was recognised in the audio."}
    heard = _heard(service, hearing)
    if not heard.needs_confirmation or (result.error or {}).get("code") != "needs_confirmation":
        # Acted on (or refused for another reason): nothing is left to confirm.
        heard = heard.model_copy(update={"needs_confirmation": False, "confirm_prompt": None})
    return AudioCommandResult(
        **result.model_dump(),
        **heard.model_dump(),
        transcript=transcript.transcript,
        language=transcript.language,
        duration_s=transcript.duration_s,
        provider=transcript.provider,
    )


def _heard(service: CommandService, hearing: Hearing) -> HeardFields:
    text = hearing.understood_text
    return HeardFields(
        understood_text=text,
        alternatives=hearing.alternatives,
        unsure=[UnsureSlot.model_validate(u.to_dict()) for u in hearing.unsure],
        needs_confirmation=hearing.needs_confirmation,
        confirm_prompt=(
            service.confirm_prompt(text, new_collection=hearing.new_collection)
            if hearing.needs_confirmation
            else None
        ),
    )


@router.post(
    "/commands/{command_id}/confirm",
    response_model=CommandResult,
    responses=error_responses(
        {
            404: "`not_found`: no such command of yours",
            409: "`not_pending`: the command is not waiting for confirmation "
            "(acted on already, or confirmed once)",
        }
    ),
)
async def confirm(
    command_id: uuid.UUID, body: ConfirmIn, service: CommandsDep, db: DbDep, current: UserDep
) -> CommandResult:
    """Act on a spoken command held for confirmation: as understood (`{}`), or as
    corrected (`{"text": ...}`)."""
    return await service.confirm(db, current.id, command_id, body.text)


@router.get("/history", response_model=HistoryPage)
async def history(
    service: CommandsDep,
    db: DbDep,
    current: UserDep,
    page: Annotated[PageParams, page_params(newest_first_format(VoiceCommand), 50)],
) -> HistoryPage:
    """My commands, newest first."""
    rows, next_cursor = await service.history(db, current.id, limit=page.limit, cursor=page.cursor)
    return HistoryPage(
        items=[HistoryItem.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


@router.get("/vocabulary", response_model=VocabularyOut)
async def vocabulary(current: UserDep) -> VocabularyOut:
    """The taxonomy's canonical values per spec attribute: what a command, a spec or a
    gallery filter can name (synonyms and typos are understood in commands too)."""
    taxonomy = get_taxonomy()
    return VocabularyOut(
        attributes=[
            AttributeVocabulary(field=a.field, multi=a.multi, values=list(taxonomy.values(a.field)))
            for a in ATTRIBUTES
        ]
    )


@router.get("/examples", response_model=ExamplesOut)
async def examples(service: CommandsDep, current: UserDep) -> ExamplesOut:
    """Commands to try, each with the intent it shows (only what this server can do)."""
    return ExamplesOut(examples=service.examples())
