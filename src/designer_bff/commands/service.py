"""Commands: text (or speech, transcribed) -> parse -> stored history -> the action
behind the intent. Actions are registered by the features that own them (generation,
gallery, nightly, billing) so this module does not depend on them."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.commands.hearing import (
    Hearing,
    command_vocabulary,
    confirm_prompt,
    settled_reading,
    understand,
)
from designer_bff.commands.interpreter import (
    PAID_SPEECH,
    CallBilling,
    CommandInterpreter,
    Interpretation,
    RuleInterpreter,
)
from designer_bff.commands.models import VoiceCommand
from designer_bff.commands.parser import (
    EXAMPLES,
    Intent,
    ParseError,
    ParseResult,
    get_parser,
    parse_command,
)
from designer_bff.commands.schemas import CommandResult
from designer_bff.core.errors import AppError
from designer_bff.core.pagination import newest_first_page
from designer_bff.db.base import new_id
from designer_bff.speech import (
    RecognitionHints,
    SpeechError,
    SpeechProvider,
    Transcript,
    load_audio,
)

log = structlog.get_logger("designer_bff.commands")


@dataclass
class ActionOutcome:
    """What an intent's action did; merged into the reply and stored with the command."""

    job_id: uuid.UUID | None = None
    reply: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


def count_designs(n: int) -> str:
    """ "1 design", "3 designs": for action replies."""
    return f"{n} design" if n == 1 else f"{n} designs"


# (db, user_id, command_id, parse) -> outcome
IntentAction = Callable[[AsyncSession, uuid.UUID, uuid.UUID, ParseResult], Awaitable[ActionOutcome]]
# (db, user_id) -> names a designer may say (their collections, ...): recognition hints
# and the values a spoken slot is matched against.
NameSource = Callable[[AsyncSession, uuid.UUID], Awaitable[list[str]]]

NEEDS_CONFIRMATION = "needs_confirmation"
# Recent commands given to the recogniser as hints, after the designer's names.
RECENT_HINTS = 5

# Intents whose answer is the reply itself: nothing to do, so nothing can be missing.
REPLY_ONLY: frozenset[str] = frozenset({"help", "unknown"})

# What each intent lets a designer do, for the help reply and the not-available answer.
CAPABILITIES: dict[str, tuple[str, str]] = {
    "generate": ("design", "make me 10 bohemian dresses"),
    "variations": ("riff on a result", "5 more like the last one but in navy"),
    "show": ("browse", "show my outliers from last week"),
    "collection_add": ("organise", "add the last 3 to Summer Capsule"),
    "schedule_nightly": ("schedule a nightly batch", "every night make me 20 minimalist tops"),
    "cost_report": ("check costs", "how much did I spend this month?"),
    "cancel": ("stop a batch", "cancel that"),
}
_NOT_AVAILABLE = {
    "schedule_nightly": "Nightly batches",
    "cost_report": "Cost reports",
}


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
        interpreter: CommandInterpreter | None = None,
        billing: CallBilling | None = None,
    ) -> None:
        self.max_quantity = max_quantity
        # The rule parser, or a model for what the rules are unsure of (the rules stay
        # the fallback): see commands/interpreter.py. A paid one is charged via `billing`.
        self.interpreter = interpreter or RuleInterpreter()
        if self.interpreter.paid and billing is None:
            raise ValueError(f"the {self.interpreter.name} interpreter needs billing")
        self.billing = billing
        self.speech = speech
        self.speech_max_bytes = speech_max_bytes
        self.speech_max_seconds = speech_max_seconds
        self._actions: dict[str, IntentAction] = {}
        self._names: list[NameSource] = []

    async def warm_up(self) -> None:
        """Load what the first command would otherwise wait for: the parser's vocabulary
        index (~80 ms) and the speech model."""
        await asyncio.to_thread(get_parser)
        if self.speech is not None and self.speech.available():
            try:
                await self.speech.warm_up()
                log.info("speech_ready", provider=self.speech.name)
            except Exception:
                log.exception("speech_warm_up_failed", provider=self.speech.name)

    def register_action(self, intent: Intent, action: IntentAction) -> None:
        self._actions[intent] = action

    def register_names(self, source: NameSource) -> None:
        self._names.append(source)

    async def names(self, db: AsyncSession, user_id: uuid.UUID) -> list[str]:
        found: dict[str, None] = {}
        for source in self._names:
            for name in await source(db, user_id):
                found.setdefault(name, None)
        return list(found)

    async def hear(
        self, db: AsyncSession, user_id: uuid.UUID, data: bytes
    ) -> tuple[Transcript, Hearing]:
        """Speech to the command it most likely is: the recogniser is told the designer's
        own names, then its readings are weighed (commands/hearing.py)."""
        names = await self.names(db, user_id)
        # What they said lately, understood: designers repeat their own words.
        recent = await db.scalars(
            select(VoiceCommand.text)
            .where(VoiceCommand.user_id == user_id, VoiceCommand.error_code.is_(None))
            .order_by(VoiceCommand.created_at.desc())
            .limit(RECENT_HINTS)
        )
        phrases = tuple(dict.fromkeys([*names, *recent]))
        await db.commit()  # no transaction stays open while the recogniser runs
        transcript = await self.transcribe(
            data,
            RecognitionHints(
                phrases=phrases, vocabulary=command_vocabulary(), settled=settled_reading
            ),
        )
        hearing = await asyncio.to_thread(
            understand,
            [transcript.transcript, *transcript.alternatives],
            scorer=transcript.scorer,
            collections=names,
            parse=lambda text: parse_command(text, max_quantity=self.max_quantity),
        )
        return transcript, hearing

    def confirm_prompt(self, text: str, *, new_collection: bool = False) -> str:
        return confirm_prompt(self.parse(text), new_collection=new_collection)

    def available(self, intent: str) -> bool:
        return intent in REPLY_ONLY or intent in self._actions

    def parse(self, text: str) -> ParseResult:
        """The rules' parse, made honest (see `_honest`). Free and offline: what previews
        (transcribe, examples) use; `process` asks the configured interpreter."""
        return self._honest(parse_command(text, max_quantity=self.max_quantity))

    def _honest(self, parsed: ParseResult) -> ParseResult:
        """An intent this server cannot act on says so (error `not_available`) instead of
        the parser's reply, and help lists only what works."""
        if parsed.intent == "help":
            return parsed.model_copy(update={"reply": self.help_reply()})
        if parsed.error is None and not self.available(parsed.intent):
            what = _NOT_AVAILABLE.get(parsed.intent, "That")
            message = f"{what} are not available yet."
            return parsed.model_copy(
                update={
                    "reply": f"I understood that, but {message[0].lower()}{message[1:]}",
                    "error": ParseError(code="not_available", message=message),
                }
            )
        return parsed

    def help_reply(self) -> str:
        can = [(what, ex) for intent, (what, ex) in CAPABILITIES.items() if self.available(intent)]
        if not can:
            return "I can't act on commands on this server yet."
        phrases = [f'{what} ("{example}")' for what, example in can]
        listed = ", ".join(phrases[:-1]) + " or " + phrases[-1] if len(phrases) > 1 else phrases[0]
        return f"You can ask me to {listed}."

    def examples(self) -> list[dict[str, str]]:
        """Commands to try, each with its intent: only those this server can act on."""
        out: list[dict[str, str]] = []
        for text in EXAMPLES:
            parsed = self.parse(text)
            if parsed.error is None or parsed.error.code != "not_available":
                out.append({"command": text, "intent": parsed.intent})
        return out

    async def process(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        text: str,
        *,
        dry_run: bool = False,
        transcript: Transcript | None = None,
        audio_bytes: int | None = None,
        hearing: Hearing | None = None,
        confirms: uuid.UUID | None = None,
    ) -> CommandResult:
        """Understand `text` and act on it. A spoken command whose `hearing` found a slot
        unsure is kept but not acted on: the reply asks, and `confirm` acts."""
        start = time.perf_counter()
        billing = self.billing

        async def may_spend() -> bool:
            # Only asked right before a paid call; the read's transaction ends at once,
            # so none stays open while the model answers.
            assert billing is not None
            allowed = await billing.may_spend(db, user_id)
            await db.commit()
            return allowed

        interpretation = await self.interpreter.interpret(
            text, max_quantity=self.max_quantity, may_spend=may_spend if billing else None
        )
        call = interpretation.call
        used = interpretation.interpreted_by != "rules"
        parsed = self._honest(interpretation.parsed)
        error = parsed.error.model_dump() if parsed.error else None
        if dry_run:
            if call is not None and billing is not None:
                # The model was asked and answered, so the call is charged although nothing
                # else is kept; a dry run has no command to name it by, so a fresh id keys it.
                key = f"interpret:{uuid.uuid4()}"
                await billing.charge(db, user_id, key, call, used=used, dry_run=True)
                await db.commit()
            return self._result(None, parsed, error, None, parsed.reply, start, interpretation)

        meta: dict[str, Any] = {"interpretation": interpretation.meta()}
        held = hearing is not None and hearing.needs_confirmation and error is None
        if hearing is not None:
            meta["hearing"] = {
                "transcript": hearing.transcript,
                "understood_text": hearing.understood_text,
                "alternatives": hearing.alternatives,
                "unsure": [u.to_dict() for u in hearing.unsure],
            }
        if confirms is not None:
            meta["confirms"] = str(confirms)
        reply_now = parsed.reply
        if held:
            reply_now = confirm_prompt(
                parsed, new_collection=hearing is not None and hearing.new_collection
            )
            error = {
                "code": NEEDS_CONFIRMATION,
                "message": "Some words were unclear: confirm or correct the command first.",
            }
        command = VoiceCommand(
            id=new_id(),
            user_id=user_id,
            source="audio" if transcript else "text",
            text=text,
            intent=parsed.intent,
            confidence=float(parsed.confidence),
            parse=parsed.to_dict(),
            result=meta,
            reply=reply_now,
            error_code=(error or {}).get("code"),
            speech_provider=transcript.provider if transcript else None,
            audio_duration_s=transcript.duration_s if transcript else None,
            audio_bytes=audio_bytes,
        )
        db.add(command)
        if call is not None and billing is not None:
            # In the transaction that keeps the command: charged once, under its id.
            await billing.charge(db, user_id, f"interpret:{command.id}", call, used=used)
        if transcript is not None:
            await self.charge_transcription(
                db, user_id, transcript, f"transcribe:{command.id}", commit=False
            )
        # Committed first: the command stays in history whatever its action does.
        await db.commit()

        outcome = ActionOutcome()
        action = self._actions.get(parsed.intent)
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
        reply = outcome.reply or reply_now
        command.reply = reply
        command.job_id = outcome.job_id
        command.result = {**(outcome.result or {}), **meta}
        command.error_code = (error or {}).get("code")
        command.processing_time_ms = round((time.perf_counter() - start) * 1000, 3)
        await db.commit()
        log.info(
            "command_processed",
            command_id=str(command.id),
            intent=parsed.intent,
            source=command.source,
            interpreted_by=interpretation.interpreted_by,
            ms=command.processing_time_ms,
        )
        return self._result(command.id, parsed, error, outcome.job_id, reply, start, interpretation)

    async def confirm(
        self, db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, text: str | None
    ) -> CommandResult:
        """Act on a spoken command that was held for confirmation: as understood, or as
        the designer corrected it. Once only."""
        command = await db.get(VoiceCommand, command_id, with_for_update=True)
        if command is None or command.user_id != user_id:
            raise AppError("No such command.", code="not_found", status_code=404)
        confirmed = (command.result or {}).get("confirmed_by")
        if command.error_code != NEEDS_CONFIRMATION or confirmed:
            raise AppError(
                "That command is not waiting for confirmation"
                + (" (it was confirmed already)." if confirmed else "."),
                code="not_pending",
                status_code=409,
            )
        command.result = {**(command.result or {}), "confirmed_by": "pending"}
        await db.commit()
        result = await self.process(
            db, user_id, (text or command.text).strip(), confirms=command.id
        )
        command.result = {**(command.result or {}), "confirmed_by": str(result.command_id)}
        await db.commit()
        return result

    @staticmethod
    def _result(
        command_id: uuid.UUID | None,
        parsed: ParseResult,
        error: dict[str, Any] | None,
        job_id: uuid.UUID | None,
        reply: str,
        start: float,
        interpretation: Interpretation,
    ) -> CommandResult:
        data = parsed.to_dict()
        return CommandResult(
            command_id=command_id,
            intent=parsed.intent,
            confidence=parsed.confidence,
            spec=data["spec"],
            specs=data["specs"],
            target=data["target"],
            reply=reply,
            job_id=job_id,
            error=error,
            interpreted_by=interpretation.interpreted_by,
            processing_time_ms=round((time.perf_counter() - start) * 1000, 3),
        )

    async def charge_transcription(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        transcript: Transcript,
        key: str | None = None,
        *,
        commit: bool = True,
    ) -> None:
        """Charge a remote recogniser's call (the local one is free). `key` names the
        call (the command it became); a preview that keeps nothing gets a fresh one."""
        if self.billing is None or transcript.provider not in PAID_SPEECH:
            return
        model = PAID_SPEECH[transcript.provider] or getattr(self.speech, "model", None)
        if not isinstance(model, str):
            return
        recorded = await self.billing.charge_transcription(
            db,
            user_id,
            key or f"transcribe:{uuid.uuid4()}",
            vendor=transcript.provider,
            model=model,
            seconds=transcript.duration_s,
        )
        if not recorded:
            log.warning("transcription_unpriced", provider=transcript.provider, model=model)
        if commit:
            await db.commit()

    async def transcribe(self, data: bytes, hints: RecognitionHints | None = None) -> Transcript:
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
            return await self.speech.transcribe(clip, hints)
        except SpeechError as exc:
            raise speech_error_to_app_error(exc) from exc

    async def history(
        self, db: AsyncSession, user_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[VoiceCommand], str | None]:
        stmt = select(VoiceCommand).where(VoiceCommand.user_id == user_id)
        return await newest_first_page(db, stmt, VoiceCommand, limit=limit, cursor=cursor)
