import { useEffect, useId, useRef, useState, type DragEvent, type FormEvent, type KeyboardEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import {
  isGone,
  moveBefore,
  sharePageUrl,
  shareToken,
  useCollection,
  useCollectionImages,
  useDeleteCollection,
  useRemoveFromCollection,
  useReorder,
  useSharing,
  useUpdateCollection,
  type Collection,
  type CollectionChanges,
} from "../api/collections";
import type { GalleryItem } from "../api/types";
import { ErrorNotice, GridSkeletons, LoadFailed, LoadMore } from "../components/states";
import { useConfirm } from "../components/useConfirm";
import { Thumb } from "../components/Thumb";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { describe } from "../gallery/DesignCard";
import { CollectionFields, designCount, HowToCollect, useCollectionDraft } from "./collectionParts";
import "./collections.css";

// -- name, description, rename, delete --------------------------------------------------------

function Details({ collection }: { collection: Collection }) {
  const navigate = useNavigate();
  const update = useUpdateCollection(collection.id);
  const remove = useDeleteCollection(collection.id);
  const [editing, setEditing] = useState(false);
  const confirm = useConfirm();
  const draft = useCollectionDraft(collection.name, collection.description ?? "");
  const confirmId = useId();
  const nameInput = useRef<HTMLInputElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  const focusRename = useRef(false);

  useEffect(() => {
    if (editing) nameInput.current?.select();
    else if (focusRename.current) {
      focusRename.current = false;
      renameButton.current?.focus();
    }
  }, [editing]);

  const startEditing = () => {
    update.reset();
    draft.reset(collection.name, collection.description ?? "");
    confirm.setOpen(false);
    setEditing(true);
  };

  const stopEditing = () => {
    focusRename.current = true;
    setEditing(false);
  };

  const save = (event: FormEvent) => {
    event.preventDefault();
    const changes: CollectionChanges = {};
    const trimmed = draft.name.trim();
    if (!trimmed) return;
    if (trimmed !== collection.name) changes.name = trimmed;
    const text = draft.description.trim() || null;
    if (text !== (collection.description ?? null)) changes.description = text;
    if (Object.keys(changes).length === 0) return stopEditing();
    update.mutate(changes, { onSuccess: stopEditing });
  };

  const onEditKey = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      stopEditing();
    }
  };

  const confirmDelete = () => {
    remove.mutate(undefined, {
      onSuccess: () => navigate("/collections", { replace: true, state: { deleted: collection.name } }),
    });
  };

  if (editing) {
    return (
      <form className="col-panel col-edit" onSubmit={save} onKeyDown={onEditKey} aria-label="Rename collection">
        <CollectionFields draft={draft} nameLabel="Collection name" nameRef={nameInput} descriptionRows={3} />
        {update.isError && <ErrorNotice error={update.error} />}
        <div className="col-actions">
          <button type="submit" className="button primary" disabled={update.isPending || !draft.name.trim()}>
            {update.isPending ? "Saving…" : "Save"}
          </button>
          <button type="button" className="button secondary" onClick={stopEditing}>
            Cancel
          </button>
        </div>
      </form>
    );
  }

  return (
    <header className="col-head">
      <div className="col-title">
        <h1 id="collection-title">{collection.name}</h1>
        {collection.description && <p className="col-description">{collection.description}</p>}
        <p className="muted small">
          {designCount(collection.image_count)}
          {collection.shared ? " · shared" : ""}
        </p>
      </div>
      <div className="col-actions">
        <button ref={renameButton} type="button" className="button secondary" onClick={startEditing}>
          Rename
        </button>
        <button
          type="button"
          className="button secondary"
          {...confirm.openerProps}
          aria-controls={confirm.open ? confirmId : undefined}
          onClick={() => {
            remove.reset();
            confirm.setOpen(true);
          }}
        >
          Delete
        </button>
      </div>
      {confirm.open && (
        <div id={confirmId} className="col-panel col-confirm" role="group" aria-label="Confirm delete">
          <p>
            <strong>Delete “{collection.name}”?</strong> Its designs stay in your gallery
            {collection.shared ? "; its share link stops working." : "."}
          </p>
          {remove.isError && <ErrorNotice error={remove.error} />}
          <div className="col-actions">
            <button type="button" className="button danger" disabled={remove.isPending} onClick={confirmDelete}>
              {remove.isPending ? "Deleting…" : "Delete collection"}
            </button>
            <button ref={confirm.cancel} type="button" className="button secondary" onClick={confirm.close}>
              Keep it
            </button>
          </div>
        </div>
      )}
    </header>
  );
}

// -- share link ----------------------------------------------------------------------------

function SharePanel({ collection }: { collection: Collection }) {
  const { share, revoke } = useSharing(collection.id);
  const [message, setMessage] = useState<string | null>(null);
  const linkId = useId();
  const headingId = useId();
  const linkInput = useRef<HTMLInputElement>(null);
  const token = shareToken(collection.share_url);
  const link = collection.shared && token ? sharePageUrl(token) : null;
  const error = share.error ?? revoke.error;

  const create = () => {
    setMessage(null);
    revoke.reset();
    share.mutate(undefined, { onSuccess: () => setMessage("Share link ready. Copy it and send it to anyone.") });
  };

  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setMessage("Link copied.");
    } catch {
      linkInput.current?.select();
      setMessage("Copying is blocked here: the link is selected, press Ctrl+C (⌘C on a Mac).");
    }
  };

  const stop = () => {
    setMessage(null);
    share.reset();
    revoke.mutate(undefined, { onSuccess: () => setMessage("Sharing stopped: the old link no longer works.") });
  };

  return (
    <section className="col-panel col-share" aria-labelledby={headingId}>
      <h2 id={headingId} className="col-share-title">
        Share
      </h2>
      {link ? (
        <>
          <p className="muted small">Anyone with this link can see these designs, without an account.</p>
          <div className="col-share-row">
            <label htmlFor={linkId} className="visually-hidden">
              Share link
            </label>
            <input
              id={linkId}
              ref={linkInput}
              className="col-share-link"
              readOnly
              value={link}
              onFocus={(e) => e.currentTarget.select()}
            />
            <button type="button" className="button primary" onClick={() => void copy()}>
              Copy link
            </button>
          </div>
          <div className="col-actions">
            <a href={link} target="_blank" rel="noreferrer" className="link-button">
              Open the shared page<span className="visually-hidden"> (new tab)</span>
            </a>
            <button type="button" className="button secondary" disabled={revoke.isPending} onClick={stop}>
              {revoke.isPending ? "Revoking…" : "Revoke link"}
            </button>
          </div>
        </>
      ) : (
        <div className="col-share-row">
          <p className="muted small">
            Create a link to a read-only page of this collection. You can revoke it at any time.
          </p>
          <button type="button" className="button primary" disabled={share.isPending} onClick={create}>
            {share.isPending ? "Creating link…" : "Create share link"}
          </button>
        </div>
      )}
      <div aria-live="polite">{message && <p className="small col-message">{message}</p>}</div>
      {error && <ErrorNotice error={error} />}
    </section>
  );
}

// -- the designs, in order -------------------------------------------------------------------

type Drag = { id: string; over: number | null; after: boolean };
type Focus =
  | { id: string; control: "earlier" | "later" | "link"; at?: number }
  | { id: null; control: "list"; at?: undefined };

const arrowLeft = "M15 5l-7 7 7 7";
const arrowRight = "M9 5l7 7-7 7";
const coverIcon = "M4 5h16v14H4zM4 15l4.5-4 4 3.5 3-2.5L20 15.5";

function Icon({ d }: { d: string }) {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" className="col-icon">
      <path d={d} />
    </svg>
  );
}

/** Moves a design one place earlier or later (focus: the move's `data-control`). */
function MoveButton(props: { way: "earlier" | "later"; label: string; disabled: boolean; onMove(): void }) {
  return (
    <button
      type="button"
      className="col-tool"
      data-control={props.way}
      aria-label={`Move ${props.way}: ${props.label}`}
      title={`Move ${props.way}`}
      disabled={props.disabled}
      onClick={props.onMove}
    >
      <Icon d={props.way === "earlier" ? arrowLeft : arrowRight} />
    </button>
  );
}

function Designs({ collection }: { collection: Collection }) {
  const images = useCollectionImages(collection.id);
  const reorder = useReorder(collection.id);
  const update = useUpdateCollection(collection.id);
  const remove = useRemoveFromCollection(collection.id);
  const [drag, setDrag] = useState<Drag | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [focus, setFocus] = useState<Focus | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const items = images.data?.pages.flatMap((p) => p.items) ?? [];
  const order = items.map((i) => i.id);
  // The chosen cover, else the first design (as the API has it).
  const coverId = collection.cover_image_id ?? items[0]?.id ?? null;
  const error = reorder.error ?? remove.error ?? update.error;

  const orderKey = order.join(",");
  useEffect(() => {
    if (!focus) return;
    const root = list.current;
    if (!root) return setFocus(null);
    if (focus.id === null) {
      root.focus();
      return setFocus(null);
    }
    // A move shows once its optimistic order is in: focus then, as moving a focused
    // element in the page loses its focus.
    if (focus.at !== undefined && orderKey.split(",").indexOf(focus.id) !== focus.at) return;
    const item = root.querySelector<HTMLElement>(`[data-item="${focus.id}"]`);
    const want = item?.querySelector<HTMLButtonElement>(`[data-control="${focus.control}"]`);
    const other = focus.control === "earlier" ? "later" : "earlier";
    const target =
      want && !want.disabled ? want : (item?.querySelector<HTMLElement>(`[data-control="${other}"]`) ?? want);
    target?.focus();
    setFocus(null);
  }, [focus, orderKey]);

  const move = (item: GalleryItem, before: number, focusOn?: "earlier" | "later") => {
    const after = moveBefore(order, item.id, before);
    if (after === order) return;
    const position = after.indexOf(item.id) + 1;
    reorder.reset();
    setAnnouncement(`${describe(item)} moved to position ${position} of ${after.length}.`);
    reorder.mutate(
      { before: order, after },
      {
        onError: () => {
          setAnnouncement("The new order was not saved; the designs are back as they were.");
          setFocus((f) => (f && f.id === item.id ? { ...f, at: undefined } : f));
        },
      },
    );
    if (focusOn) setFocus({ id: item.id, control: focusOn, at: position - 1 });
  };

  const setCover = (item: GalleryItem) => {
    const chosen = collection.cover_image_id === item.id;
    update.reset();
    update.mutate(
      { cover_image_id: chosen ? null : item.id },
      {
        onSuccess: () =>
          setAnnouncement(
            chosen ? "Cover cleared: the first design is the cover." : `${describe(item)} is now the cover.`,
          ),
      },
    );
  };

  const takeOut = (item: GalleryItem, index: number) => {
    const next = items[index + 1] ?? items[index - 1];
    remove.reset();
    remove.mutate(item.id, {
      onSuccess: () => setAnnouncement(`${describe(item)} removed from the collection. It is still in your gallery.`),
    });
    setFocus(next ? { id: next.id, control: "link" } : { id: null, control: "list" });
  };

  // Drag and drop (HTML5): drop before or after the design under the pointer.
  const onDragStart = (event: DragEvent, item: GalleryItem) => {
    event.dataTransfer?.setData("text/plain", item.id);
    if (event.dataTransfer) event.dataTransfer.effectAllowed = "move";
    setDrag({ id: item.id, over: null, after: false });
  };
  const onDragOver = (event: DragEvent<HTMLLIElement>, index: number) => {
    if (!drag) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "move";
    const rect = event.currentTarget.getBoundingClientRect();
    const after = rect.width > 0 && event.clientX > rect.left + rect.width / 2;
    if (drag.over !== index || drag.after !== after) setDrag({ ...drag, over: index, after });
  };
  const onDrop = (event: DragEvent, index: number) => {
    event.preventDefault();
    const dragged = drag && items.find((i) => i.id === drag.id);
    setDrag(null);
    if (dragged) move(dragged, drag.over === index && drag.after ? index + 1 : index);
  };

  if (images.isPending) {
    return <GridSkeletons className="col-designs" label="Loading designs" />;
  }
  if (images.isError) {
    return <LoadFailed error={images.error} onRetry={() => void images.refetch()} />;
  }
  if (items.length === 0) {
    return (
      <div className="empty col-empty">
        <h2>No designs here yet</h2>
        <HowToCollect example={`add the last 3 to ${collection.name}`} />
      </div>
    );
  }

  const dragFrom = drag ? order.indexOf(drag.id) : -1;
  const last = items.length - 1;

  return (
    <>
      <p className="muted small col-hint">
        Drag designs to reorder them, or use the arrows on each one. The first design is the cover unless you make
        another one the cover.
      </p>
      <div className="visually-hidden" aria-live="polite">
        {announcement}
      </div>
      {error && <ErrorNotice error={error}>{error === reorder.error && " The designs are back in their saved order."}</ErrorNotice>}
      <ol ref={list} className="col-designs" aria-label={`Designs in ${collection.name}`} tabIndex={-1}>
        {items.map((item, index) => {
          const label = describe(item);
          const isCover = coverId === item.id;
          const chosen = collection.cover_image_id === item.id;
          const target = drag && drag.over === index && dragFrom >= 0 ? (drag.after ? index + 1 : index) : null;
          const noop = target !== null && (target === dragFrom || target === dragFrom + 1);
          const dropClass = target === null || noop ? "" : drag!.after ? " drop-after" : " drop-before";
          return (
            <li
              key={item.id}
              data-item={item.id}
              className={`col-design${drag?.id === item.id ? " dragging" : ""}${dropClass}`}
              draggable
              onDragStart={(e) => onDragStart(e, item)}
              onDragOver={(e) => onDragOver(e, index)}
              onDrop={(e) => onDrop(e, index)}
              onDragEnd={() => setDrag(null)}
            >
              <Link to={`/designs/${item.id}`} className="col-design-link" data-control="link" draggable={false}>
                <Thumb picture={item} alt={label} shape="3 / 4" sizes="(max-width: 600px) 50vw, 260px" />
                <span className="col-design-caption">{label}</span>
              </Link>
              <span className="col-position" aria-hidden="true">
                {index + 1}
              </span>
              {isCover && <span className="badge col-cover-badge">Cover</span>}
              <div className="col-tools" role="group" aria-label={`Arrange ${label}`}>
                <MoveButton way="earlier" label={label} disabled={index === 0} onMove={() => move(item, index - 1, "earlier")} />
                <MoveButton way="later" label={label} disabled={index === last} onMove={() => move(item, index + 2, "later")} />
                <button
                  type="button"
                  className={`col-tool text${chosen ? " on" : ""}`}
                  aria-pressed={chosen}
                  aria-label={`Make cover: ${label}`}
                  title={chosen ? "The cover — click to go back to the first design" : "Make this the cover"}
                  disabled={update.isPending}
                  onClick={() => setCover(item)}
                >
                  <Icon d={coverIcon} />
                  <span className="col-tool-text">{chosen ? "Cover" : "Make cover"}</span>
                </button>
                <button
                  type="button"
                  className="col-tool"
                  aria-label={`Remove from collection: ${label}`}
                  title="Remove from collection"
                  onClick={() => takeOut(item, index)}
                >
                  <Icon d="M6 6l12 12M18 6L6 18" />
                </button>
              </div>
            </li>
          );
        })}
      </ol>
      <LoadMore list={images} label="Show more designs" />
    </>
  );
}

// -- the page ----------------------------------------------------------------------------------

export function CollectionPage() {
  const { id = "" } = useParams();
  const collection = useCollection(id);
  const data = collection.data;

  useDocumentTitle(data ? `${data.name} · Designer BFF` : null);

  const missing = isGone(collection.error);

  return (
    <section className="collection" aria-label={data?.name ?? "Collection"}>
      <nav aria-label="Breadcrumb" className="col-breadcrumb">
        <Link to="/collections">
          <Icon d={arrowLeft} /> All collections
        </Link>
      </nav>
      {collection.isPending && (
        <div role="progressbar" aria-busy="true" aria-label="Loading collection">
          <div className="skeleton col-skeleton-title" />
        </div>
      )}
      {missing && (
        <div className="empty">
          <h1>This collection is gone</h1>
          <p>It may have been deleted, perhaps in another tab. Its designs are still in your gallery.</p>
          <Link to="/collections" className="button secondary">
            Back to collections
          </Link>
        </div>
      )}
      {collection.isError && !missing && !data && (
        <LoadFailed error={collection.error} onRetry={() => void collection.refetch()} />
      )}
      {data && !missing && (
        <>
          <div className="col-top">
            <Details key={data.id} collection={data} />
            <SharePanel collection={data} />
          </div>
          <Designs collection={data} />
        </>
      )}
    </section>
  );
}
