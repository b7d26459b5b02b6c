// A spoken command the server was not sure it heard right: its question, and for each
// unsure slot the value understood and the other readings, each one tap (or key) away.

import { useId } from "react";
import type { UnsureSlot } from "../api/voice";
import type { Chip } from "./spec";

const SLOT_NAMES: Record<string, string> = {
  quantity: "how many",
  garment_type: "garment",
  fabrics: "fabric",
  colors: "colour",
  styles: "style",
  patterns: "pattern",
  palettes: "palette",
  occasions: "occasion",
  seasons: "season",
  collection_name: "collection",
  command: "command",
};

export function slotName(slot: string): string {
  return SLOT_NAMES[slot] ?? slot.replace(/_/g, " ");
}

const LIST_FIELDS = new Set(["styles", "colors", "palettes", "patterns", "fabrics", "occasions", "seasons", "details"]);
const canonical = (value: string) => value.trim().toLowerCase().replace(/[\s-]+/g, "_");

/** Whether a chip shows a value the server was unsure of: the same value of that field (a
 *  garment, silhouette... is the only value of its field, so any value of it). */
export function isUnsureChip(chip: Chip, unsure: UnsureSlot[]): boolean {
  if (chip.exclude) return false;
  return unsure.some(
    (u) => u.slot === chip.field && (!LIST_FIELDS.has(chip.field) || canonical(u.understood) === canonical(chip.value)),
  );
}

type Props = {
  prompt: string | null;
  unsure: UnsureSlot[];
  /** The whole command as the server understood it. */
  understood: string;
  /** The command the bar holds now: the understood one, or a reading picked since. */
  current: string;
  busy: boolean;
  onChoose(command: string): void;
};

export function VoiceDoubt({ prompt, unsure, understood, current, busy, onChoose }: Props) {
  const headingId = useId();
  return (
    <section className="voice-doubt" aria-labelledby={headingId}>
      <h2 id={headingId} className="voice-question">
        {prompt || `Did you mean “${understood}”?`}
      </h2>
      {unsure.length > 0 && (
        <p className="muted small">I may have misheard a word. Tap what you said, or go ahead as it is.</p>
      )}
      {unsure.map((slot, index) => (
        <SlotChoice
          key={`${slot.slot}-${index}`}
          slot={slot}
          understood={understood}
          current={current}
          busy={busy}
          onChoose={onChoose}
        />
      ))}
    </section>
  );
}

function SlotChoice({ slot, understood, current, busy, onChoose }: Omit<Props, "prompt" | "unsure"> & { slot: UnsureSlot }) {
  const labelId = useId();
  // The value understood first (to go back to it), then the other readings, each once.
  const choices = [{ label: slot.understood, text: understood }, ...slot.options].filter(
    (choice, i, all) => choice.text && all.findIndex((c) => c.text === choice.text) === i,
  );
  return (
    <div className="unsure-slot" role="group" aria-labelledby={labelId}>
      <span id={labelId} className="unsure-slot-label">
        <span className="chip-kind">{slotName(slot.slot)}</span> heard “{slot.heard}”
      </span>
      <span className="slot-options">
        {choices.map((choice) => {
          const chosen = choice.text === current;
          return (
            <button
              key={choice.text}
              type="button"
              className={`slot-option${chosen ? " chosen" : ""}`}
              aria-pressed={chosen}
              // Not `disabled`: that would drop the focus of the button just pressed.
              aria-disabled={busy || undefined}
              title={choice.text}
              onClick={() => {
                if (!busy && !chosen) onChoose(choice.text);
              }}
            >
              {choice.label}
            </button>
          );
        })}
      </span>
    </div>
  );
}
