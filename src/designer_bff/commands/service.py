"""Commands: text (or speech, transcribed) -> parse -> stored history -> the action
behind the intent. Actions are registered by the features that own them (generation,
gallery, nightly, billing) so this module does not depend on them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.commands.models import VoiceCommand
from designer_bff.commands.parser import parse_command
from designer_bff.commands.schemas import CommandResult
from designer_bff.core.errors import AppError
from designer_bff.core.pagination import newest_first_page
from designer_bff.speech import SpeechError, SpeechProvider, Transcript, load_audio

log = structlog.get_logger("designer_bff.commands")


@dataclass
class ActionOutcome:
    """What an intent's action did; merged into the reply and stored with the command."""

    job_id: uuid.UUID | None = None
    reply: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


# (db, user_id, command_id, parse) -> outcome
IntentAction = Callable[
    [AsyncSession, uuid.UUID, uuid.UUID, dict[str, Any]], Awaitable[ActionOutcome]
]


def speech_error_to_app_error(exc: SpeechError) -> AppError:
    headers = None
    if exc.retry_after is not None:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))}
    return AppError(exc.message, code=exc.code, status_code=exc.status_code, headers=headers)


class CommandService:
    def __init__(
        self,
        *,
        max_quantity: int,
        speech: SpeechProvider | None,
        speech_max_bytes: int,
        speech_max_seconds: float,
    ) -> None:
        self.max_quantity = max_quantity
        self.speech = speech
        self.speech_max_bytes = speech_max_bytes
        self.speech_max_seconds = speech_max_seconds
        self._actions: dict[str, IntentAction] = {}

    def register_action(self, intent: str, action: IntentAction) -> None:
        self._actions[intent] = action

    def parse(self, text: str) -> dict[str, Any]:
        return parse_command(text, max_quantity=self.max_quantity).to_dict()

    async def process(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        text: str,
        *,
        dry_run: bool = False,
        transcript: Transcript | None = None,
        audio_bytes: int | None = None,
    ) -> CommandResult:
        start = time.perf_counter()
        parsed = self.parse(text)
        error = parsed.get("error")
        if dry_run:
            return self._result(None, parsed, None, parsed["reply"], start)

        command = VoiceCommand(
            user_id=user_id,
            source="audio" if transcript else "text",
            text=text,
            intent=parsed["intent"],
            confidence=float(parsed["confidence"]),
            parse=parsed,
            reply=parsed["reply"],
            error_code=(error or {}).get("code"),
            speech_provider=transcript.provider if transcript else None,
            audio_duration_s=transcript.duration_s if transcript else None,
            audio_bytes=audio_bytes,
        )
        db.add(command)
        # Committed first: the command stays in history whatever its action does.
        await db.commit()

        outcome = ActionOutcome()
        action = self._actions.get(parsed["intent"])
        if action is not None and error is None:
            try:
                outcome = await action(db, user_id, command.id, parsed)
            except AppError as exc:
                # Understood, but the action was refused (budget, provider, ...): say so in
                # the reply, as a command answer, not as a failed request.
                await db.rollback()
                await db.refresh(command)
                error = {"code": exc.code, "message": exc.message}
                outcome = ActionOutcome(
                    reply=f"I understood that, but couldn't do it: {exc.message}"
                )
        reply = outcome.reply or parsed["reply"]
        command.reply = reply
        command.job_id = outcome.job_id
        command.result = outcome.result or None
        command.error_code = (error or {}).get("code")
        command.processing_time_ms = round((time.perf_counter() - start) * 1000, 3)
        await db.commit()
        log.info(
            "command_processed",
            command_id=str(command.id),
            intent=parsed["intent"],
            source=command.source,
            ms=command.processing_time_ms,
        )
        return self._result(command.id, {**parsed, "error": error}, outcome.job_id, reply, start)

    @staticmethod
    def _result(
        command_id: uuid.UUID | None,
        parsed: dict[str, Any],
        job_id: uuid.UUID | None,
        reply: str,
        start: float,
    ) -> CommandResult:
        return CommandResult(
            command_id=command_id,
            intent=parsed["intent"],
            confidence=parsed["confidence"],
            spec=parsed["spec"],
            specs=parsed["specs"],
            target=parsed["target"],
            reply=reply,
            job_id=job_id,
            error=parsed.get("error"),
            processing_time_ms=round((time.perf_counter() - start) * 1000, 3),
        )

    async def transcribe(self, data: bytes) -> Transcript:
        if self.speech is None:
            raise AppError(
                "Speech recognition is not available on this server: install the 'speech' "
                "extra or configure OPENAI_API_KEY / GOOGLE_API_KEY.",
                code="speech_unavailable",
                status_code=503,
            )
        try:
            clip = await load_audio(
                data, max_bytes=self.speech_max_bytes, max_duration_s=self.speech_max_seconds
            )
            return await self.speech.transcribe(clip)
        except SpeechError as exc:
            raise speech_error_to_app_error(exc) from exc

    async def history(
        self, db: AsyncSession, user_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[VoiceCommand], str | None]:
        stmt = select(VoiceCommand).where(VoiceCommand.user_id == user_id)
        return await newest_first_page(db, stmt, VoiceCommand, limit=limit, cursor=cursor)
