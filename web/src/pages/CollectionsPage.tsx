import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { useCollections, useCreateCollection, type Collection } from "../api/collections";
import { ErrorNotice, GridSkeletons, LoadFailed, LoadMore } from "../components/states";
import { Thumb } from "../components/Thumb";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { CollectionFields, designCount, HowToCollect, useCollectionDraft } from "./collectionParts";
import "./collections.css";

function CollectionCard({ collection }: { collection: Collection }) {
  const cover = collection.cover;
  return (
    <li className="col-card">
      <Link to={`/collections/${collection.id}`} className="col-card-link">
        <span className="col-card-cover">
          {cover ? (
            <Thumb fill picture={cover} alt="" sizes="(max-width: 600px) 50vw, 300px" />
          ) : (
            <span className="col-card-blank" aria-hidden="true">
              <svg viewBox="0 0 24 24" width="32" height="32">
                <rect x="3.5" y="5" width="17" height="14" rx="2" />
                <path d="M3.5 15.5l4.5-4 4 3.5 3-2.5 5.5 4.5" />
              </svg>
            </span>
          )}
          {collection.shared && <span className="badge col-shared-badge">Shared</span>}
        </span>
        <span className="col-card-name">{collection.name}</span>
        <span className="col-card-meta">{designCount(collection.image_count)}</span>
      </Link>
    </li>
  );
}

type CreateProps = { onDone(created?: Collection): void; autoFocus: boolean; cancellable: boolean };

function CreateForm({ onDone, autoFocus, cancellable }: CreateProps) {
  const create = useCreateCollection();
  const draft = useCollectionDraft();
  const errorId = useId();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (autoFocus) input.current?.focus();
  }, [autoFocus]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = draft.name.trim();
    if (!trimmed) return;
    const text = draft.description.trim();
    create.mutate(text ? { name: trimmed, description: text } : { name: trimmed }, {
      onSuccess: (created) => {
        draft.reset("", "");
        onDone(created);
      },
    });
  };

  return (
    <form className="col-panel col-create" onSubmit={submit} aria-label="New collection">
      <CollectionFields
        draft={draft}
        nameLabel="Name"
        nameRef={input}
        descriptionRows={2}
        errorId={create.isError ? errorId : undefined}
        placeholders={{ name: "Summer Capsule", description: "Linen, sage and sand for the June drop" }}
      />
      {create.isError && <ErrorNotice error={create.error} id={errorId} />}
      <div className="col-actions">
        <button type="submit" className="button primary" disabled={create.isPending || !draft.name.trim()}>
          {create.isPending ? "Creating…" : "Create collection"}
        </button>
        {cancellable && (
          <button type="button" className="button secondary" onClick={() => onDone()}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function CollectionsPage() {
  const collections = useCollections();
  const items = collections.data?.pages.flatMap((p) => p.items) ?? [];
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Collection | null>(null);
  const newButton = useRef<HTMLButtonElement>(null);
  const empty = collections.isSuccess && items.length === 0;
  // Back from a collection just deleted (CollectionPage says which).
  const deleted = (useLocation().state as { deleted?: string } | null)?.deleted;

  useDocumentTitle("Collections · Designer BFF");

  const done = (collection?: Collection) => {
    setCreating(false);
    setCreated(collection ?? null);
    if (!collection) newButton.current?.focus();
  };

  return (
    <section className="collections" aria-labelledby="collections-title">
      <header className="section-head">
        <div>
          <h1 id="collections-title">Collections</h1>
          <p className="muted">Your edits of the gallery: capsules, boards and line-ups to share.</p>
        </div>
        {!creating && !empty && (
          <button
            ref={newButton}
            type="button"
            className="button primary"
            onClick={() => {
              setCreated(null);
              setCreating(true);
            }}
          >
            New collection
          </button>
        )}
      </header>

      <div aria-live="polite" className="col-live">
        {deleted && !created && (
          <p className="notice" role="status">
            Deleted “{deleted}”. Its designs are still in your gallery.
          </p>
        )}
        {created && (
          <p className="notice" role="status">
            Created <Link to={`/collections/${created.id}`}>{created.name}</Link>.
          </p>
        )}
      </div>

      {creating && !empty && <CreateForm onDone={done} autoFocus cancellable />}

      {collections.isPending && <GridSkeletons className="col-grid" label="Loading collections" />}
      {collections.isError && <LoadFailed error={collections.error} onRetry={() => void collections.refetch()} />}

      {empty && (
        <div className="empty col-empty">
          <h2>Collect your favourite designs</h2>
          <HowToCollect example="add the last 3 to Summer Capsule" />
          <p className="muted">Or start an empty one now and fill it as you go.</p>
          <CreateForm onDone={done} autoFocus={false} cancellable={false} />
        </div>
      )}

      {items.length > 0 && (
        <ul className="col-grid" aria-label="Your collections">
          {items.map((c) => (
            <CollectionCard key={c.id} collection={c} />
          ))}
        </ul>
      )}
      <LoadMore list={collections} label="Show more collections" />
    </section>
  );
}
