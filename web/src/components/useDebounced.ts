import { useEffect, useState } from "react";

/** `value` once it has stayed the same (by its JSON) for `ms`: what to ask the server
 *  about while the designer is still typing or clicking. */
export function useDebounced<T>(value: T, ms: number): T {
  const key = JSON.stringify(value);
  const [settled, setSettled] = useState<{ key: string; value: T }>({ key, value });
  useEffect(() => {
    if (key === settled.key) return;
    const timer = setTimeout(() => setSettled({ key, value }), ms);
    return () => clearTimeout(timer);
    // `value` is named by `key`: a new object with the same JSON is the same value.
  }, [key, ms, settled.key]);
  return settled.value;
}
