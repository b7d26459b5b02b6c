import { useEffect, useRef, useState } from "react";

/** A confirmation that a button opens (a delete, say): on opening, the focus goes to its
 *  safe choice (`cancel`); `close` gives the focus back to the button that opened it. */
export function useConfirm() {
  const [open, setOpen] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (open) cancel.current?.focus();
  }, [open]);

  const close = () => {
    setOpen(false);
    opener.current?.focus();
  };

  /** The opener's ref and state, for its <button>. */
  const openerProps = { ref: opener, "aria-expanded": open };
  return { open, setOpen, close, cancel, openerProps };
}
