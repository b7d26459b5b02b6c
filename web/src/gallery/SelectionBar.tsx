import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { describeError } from "../api/client";
import { useAddToCollection, useCollectionChoices } from "./queries";
import "./gallery.css";

const NEW = "__new__";

type Props = {
  selected: string[];
  /** Empty the selection (select mode stays on). */
  onClear(): void;
  /** Leave select mode. */
  onDone(): void;
};

type Message = { tone: "ok" | "error"; text: string; link?: { to: string; label: string } };

function designs(n: number): string {
  return n === 1 ? "1 design" : `${n} designs`;
}

/** At the bottom while designs are being chosen: how many, and "Add to collection" (an
 *  existing one or a new one named here). */
export function SelectionBar({ selected, onClear, onDone }: Props) {
  const [adding, setAdding] = useState(false);
  const [choice, setChoice] = useState("");
  const [name, setName] = useState("");
  const [message, setMessage] = useState<Message | null>(null);
  const collections = useCollectionChoices(adding);
  const add = useAddToCollection();
  const collectionId = useId();
  const nameId = useId();
  const first = useRef<HTMLSelectElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const count = selected.length;

  // Once the list arrives, start on the newest collection (or a new one if there is none).
  useEffect(() => {
    if (!adding || choice || !collections.data) return;
    setChoice(collections.data[0]?.id ?? NEW);
  }, [adding, choice, collections.data]);

  useEffect(() => {
    if (adding) first.current?.focus();
  }, [adding]);

  const close = () => {
    setAdding(false);
    setChoice("");
    setName("");
    add.reset();
    opener.current?.focus();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!count) return;
    const creating = choice === NEW;
    if (creating && !name.trim()) return;
    setMessage(null);
    add.mutate(
      { target: creating ? { newName: name } : { collectionId: choice }, imageIds: selected },
      {
        onSuccess: (outcome) => {
          const chosen = collections.data?.find((c) => c.id === outcome.collection.id);
          const title = outcome.collection.name || chosen?.name || "the collection";
          const already = outcome.alreadyPresent ? ` (${designs(outcome.alreadyPresent)} already there)` : "";
          setMessage({
            tone: "ok",
            text: creating
              ? `Created “${title}” with ${designs(count)}.`
              : `Added ${designs(outcome.added)} to “${title}”${already}.`,
            link: { to: `/collections/${outcome.collection.id}`, label: "Open the collection" },
          });
          setAdding(false);
          setChoice("");
          setName("");
          onClear();
        },
        onError: (error) => setMessage({ tone: "error", text: describeError(error) }),
      },
    );
  };

  const creating = choice === NEW;
  const ready = count > 0 && choice !== "" && (!creating || name.trim() !== "") && !add.isPending;

  return (
    <section className="selection-bar" aria-label="Selection">
      <div className="selection-row">
        <span className="selection-count" aria-live="polite">
          {count === 0 ? "Choose designs" : `${count} selected`}
        </span>
        <button
          ref={opener}
          type="button"
          className="button secondary"
          disabled={count === 0}
          aria-expanded={adding}
          onClick={() => {
            if (adding) return close();
            setMessage(null);
            setAdding(true);
          }}
        >
          Add to collection
        </button>
        <button type="button" className="button ghost" disabled={count === 0} onClick={onClear}>
          Clear
        </button>
        <button type="button" className="button ghost" onClick={onDone}>
          Done
        </button>
      </div>
      {adding && (
        <form
          className="add-form"
          onSubmit={submit}
          aria-label="Add to collection"
          onKeyDown={(e) => e.key === "Escape" && close()}
        >
          <label htmlFor={collectionId} className="filter-field">
            <span>Collection</span>
            <select
              id={collectionId}
              ref={first}
              value={choice}
              onChange={(e) => setChoice(e.target.value)}
              disabled={collections.isPending}
            >
              {collections.isPending && <option value="">Loading collections…</option>}
              {collections.data?.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.image_count})
                </option>
              ))}
              <option value={NEW}>New collection…</option>
            </select>
          </label>
          {creating && (
            <label htmlFor={nameId} className="filter-field">
              <span>Name</span>
              <input
                id={nameId}
                type="text"
                value={name}
                maxLength={200}
                autoComplete="off"
                placeholder="Summer capsule"
                onChange={(e) => setName(e.target.value)}
                autoFocus
              />
            </label>
          )}
          <button type="submit" className="button secondary" disabled={!ready}>
            {add.isPending ? "Adding…" : creating ? "Create and add" : "Add"}
          </button>
          <button type="button" className="button ghost" onClick={close}>
            Cancel
          </button>
          {collections.isError && (
            <p className="selection-message error" role="alert">
              {describeError(collections.error)}
            </p>
          )}
        </form>
      )}
      <div aria-live="polite">
        {message && (
          <p className={`selection-message${message.tone === "error" ? " error" : ""}`}>
            {message.text} {message.link && <Link to={message.link.to}>{message.link.label}</Link>}
          </p>
        )}
      </div>
    </section>
  );
}
