// The taxonomy's canonical values per spec attribute (GET /api/voice/vocabulary): what a
// filter can offer and what a chip can be changed to.

import { useQuery } from "@tanstack/react-query";
import { useApi } from "../auth/AuthContext";

export type Vocabulary = { attributes: { field: string; multi: boolean; values: string[] }[] };

export function useVocabulary() {
  const api = useApi();
  return useQuery({
    queryKey: ["vocabulary"],
    queryFn: ({ signal }) => api.json<Vocabulary>("/api/voice/vocabulary", { signal }),
    staleTime: Infinity, // the server's vocabulary changes only with a new release
    retry: false,
  });
}

/** The values of one attribute; none when the vocabulary is not (yet) known. */
export function valuesOf(vocabulary: Vocabulary | undefined, field: string): string[] {
  return vocabulary?.attributes.find((a) => a.field === field)?.values ?? [];
}
