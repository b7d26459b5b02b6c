"""What spoken/typed commands do with the nightly batch (`schedule_nightly`):

    "every night make me 20 minimalist tops" -> sets it up (or replaces what it makes)
    "move the nightly batch to 3am"          -> changes when it runs
    "stop the nightly batch"                 -> turns it off

The reply says what is now set, with the next run in the designer's own time zone."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.commands.parser import ParseResult
from designer_bff.commands.service import ActionOutcome, CommandService
from designer_bff.garments.spec import GarmentSpec
from designer_bff.garments.taxonomy import pluralize
from designer_bff.nightly.schedule import load_zone
from designer_bff.nightly.service import NightlyService

_NONE_YET = (
    "You don't have a nightly batch yet. Say, for example, "
    '"every night make me 20 minimalist tops".'
)


def describe(spec: dict[str, Any] | None, quantity: int) -> str:
    """ "20 minimalist tops", "1 design"."""
    parsed = GarmentSpec.from_stored(spec) if spec else GarmentSpec()
    words = [value for family, value in parsed.attribute_items() if family != "garment_type"]
    noun = parsed.garment_type or "design"
    return " ".join([str(quantity), *words, noun if quantity == 1 else pluralize(noun)])


def when(view: dict[str, Any]) -> str:
    """ "Tue 3 Mar at 02:00 (Europe/Paris)": the next run as the designer's clock reads."""
    next_at: datetime | None = view["next_run_at"]
    if next_at is None:
        return "not scheduled"
    local = next_at.astimezone(load_zone(view["timezone"]))
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M} ({view['timezone']})"


def register_nightly_actions(commands: CommandService, nightly: NightlyService) -> None:
    async def schedule_nightly(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: ParseResult
    ) -> ActionOutcome:
        said = parsed.target.schedule
        current = await nightly.get(db, user_id)
        if said is None:
            return ActionOutcome(reply=_NONE_YET)
        if said.action == "stop":
            if not current["enabled"]:
                return ActionOutcome(
                    reply="There is no nightly batch running, so there is nothing to stop.",
                    result={"nightly": _result(current)},
                )
            view = await nightly.update(db, user_id, {"enabled": False})
            return ActionOutcome(
                reply="Okay, I stopped your nightly batch: nothing more will be made overnight "
                "until you turn it back on.",
                result={"nightly": _result(view)},
            )
        changes: dict[str, Any] = {}
        if said.time:
            changes["local_time"] = said.time
        has_content = said.spec is not None and said.spec.has_attributes()
        # "start the nightly batch" says no designs (the parser counts it as 1): it turns
        # the batch on as it was, rather than replacing it by one design.
        resume = said.action == "create" and not has_content and said.quantity in (None, 1)
        if said.quantity is not None and not (resume and current["configured"]):
            changes["quantity"] = said.quantity
        if has_content and said.spec is not None:
            changes["spec"] = said.spec.without_quantity()
        if said.action == "create":
            changes["enabled"] = True
            if not resume:
                # What this command asks for replaces what the batch made before.
                changes.setdefault("spec", None)
        elif not current["configured"]:
            return ActionOutcome(reply=_NONE_YET)
        view = await nightly.update(db, user_id, changes)
        what = describe(view["spec"], view["quantity"])
        at = f"{view['local_time']} ({view['timezone']})"
        next_one = f"The next one runs {when(view)}."
        if said.action == "create":
            reply = f"Nightly batch set: {what} every night at {at}. {next_one}"
        elif view["enabled"]:
            reply = f"Nightly batch updated: {what} every night at {at}. {next_one}"
        else:
            reply = (
                f"Nightly batch updated: {what} at {at}. It is turned off, so nothing runs "
                'until you turn it on ("every night make me ...").'
            )
        return ActionOutcome(reply=reply, result={"nightly": _result(view)})

    commands.register_action("schedule_nightly", schedule_nightly)


def _result(view: dict[str, Any]) -> dict[str, Any]:
    """The schedule as a command's stored result (plain JSON)."""
    next_at = view["next_run_at"]
    return {
        "enabled": view["enabled"],
        "local_time": view["local_time"],
        "timezone": view["timezone"],
        "quantity": view["quantity"],
        "spec": view["spec"],
        "next_run_at": None if next_at is None else next_at.isoformat(),
        "next_run_local": view["next_run_local"],
    }
