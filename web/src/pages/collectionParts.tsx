// Pieces the collection pages (the list, one collection, the shared page) have in common.

import { useId, useState, type Ref } from "react";
import { Link } from "react-router";

export function designCount(n: number): string {
  return n === 1 ? "1 design" : `${n.toLocaleString()} designs`;
}

/** How designs get into a collection, with a command to say (`example`). */
export function HowToCollect({ example }: { example: string }) {
  return (
    <p>
      Select designs in the <Link to="/">gallery</Link> and choose <strong>Add to collection</strong>, or say{" "}
      <q className="col-example">{example}</q> in the command bar.
    </p>
  );
}

/** A collection's name and description as they are being typed. */
export function useCollectionDraft(initialName = "", initialDescription = "") {
  const [name, setName] = useState(initialName);
  const [description, setDescription] = useState(initialDescription);
  const reset = (to: string, toDescription: string) => {
    setName(to);
    setDescription(toDescription);
  };
  return { name, setName, description, setDescription, reset };
}

type FieldsProps = {
  draft: ReturnType<typeof useCollectionDraft>;
  nameLabel: string;
  nameRef: Ref<HTMLInputElement>;
  descriptionRows: number;
  /** The id of the error shown about these fields, if one is. */
  errorId?: string;
  placeholders?: { name: string; description: string };
};

/** A collection's name and description, as the forms that create and rename one ask them. */
export function CollectionFields(props: FieldsProps) {
  const { draft } = props;
  const nameId = useId();
  const descriptionId = useId();
  return (
    <>
      <div className="field">
        <label htmlFor={nameId}>{props.nameLabel}</label>
        <input
          id={nameId}
          ref={props.nameRef}
          value={draft.name}
          onChange={(e) => draft.setName(e.target.value)}
          maxLength={200}
          required
          autoComplete="off"
          placeholder={props.placeholders?.name}
          aria-invalid={props.errorId ? true : undefined}
          aria-describedby={props.errorId}
        />
      </div>
      <div className="field">
        <label htmlFor={descriptionId}>
          Description <span className="muted small">(optional)</span>
        </label>
        <textarea
          id={descriptionId}
          value={draft.description}
          onChange={(e) => draft.setDescription(e.target.value)}
          maxLength={4000}
          rows={props.descriptionRows}
          placeholder={props.placeholders?.description}
        />
      </div>
    </>
  );
}
