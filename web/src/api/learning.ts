// What the studio has learned from a designer's feedback (GET /api/preferences), their
// corrections of it, and the k-anonymous trends across designers (GET /api/trends).
// Every key starts with "preferences" or "trends".

import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { retryServerErrors } from "./client";
import { useApi } from "../auth/AuthContext";
import { pretty, PROFILE_ATTRIBUTES } from "./portfolio";

// -- shapes -------------------------------------------------------------------------------------

/** forget: discard what was learned about the value; avoid: never fill it in; prefer: lean to it. */
export type Correction = "forget" | "avoid" | "prefer";

export type PreferenceStatement = {
  attribute: string;
  value: string;
  /** Plain words, e.g. "You mark maxi lengths as outliers 3× more often than others". */
  text: string;
  ratio: number;
  direction: "more" | "less";
};

export type PreferenceValue = {
  attribute: string;
  value: string;
  successes: number;
  failures: number;
  shown: number;
  /** The posterior mean of success, 0..1; null when nothing is known of it. */
  score: number | null;
  correction: Correction | null;
};

export type Preferences = {
  designs_considered: number;
  feedback_count: number;
  /** True while there is little feedback of the designer's own: global figures are the prior. */
  cold_start: boolean;
  /** The share (0..1) of open choices left to exploring. */
  explore: number;
  statements: PreferenceStatement[];
  values: PreferenceValue[];
};

export type TrendItem = { value: string; success_rate: number; successes: number; designs: number; designers: number };

export type Trends = {
  /** The fewest designers a value needs before it is shown. */
  k: number;
  updated_at: string | null;
  styles: TrendItem[];
  attributes: Record<string, TrendItem[]>;
};

// -- words --------------------------------------------------------------------------------------

/** An attribute's heading: the taxonomy's label ("length" and "lengths" both read "Lengths"). */
export function attributeLabel(attribute: string): string {
  const known = PROFILE_ATTRIBUTES.find((a) => a.field === attribute || a.field === `${attribute}s` || a.one === attribute);
  if (known) return known.label;
  const words = pretty(attribute);
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// -- keys ---------------------------------------------------------------------------------------

export const preferencesKey = ["preferences"] as const;
export const trendsKey = ["trends"] as const;

/** After feedback (or a nightly batch): what was learned is asked again. */
export function learningChanged(queryClient: QueryClient) {
  void queryClient.invalidateQueries({ queryKey: preferencesKey });
}

const valuePath = (attribute: string, value: string) =>
  `/api/preferences/${encodeURIComponent(attribute)}/${encodeURIComponent(value)}`;

// -- queries and changes ------------------------------------------------------------------------

export function usePreferences() {
  const api = useApi();
  return useQuery({
    queryKey: preferencesKey,
    queryFn: ({ signal }) => api.json<Preferences>("/api/preferences", { signal }),
    retry: retryServerErrors,
  });
}

export function useCorrectPreference() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ attribute, value, correction }: { attribute: string; value: string; correction: Correction | null }) =>
      api.json<Preferences>(valuePath(attribute, value), { method: "PUT", body: { correction } }),
    onSuccess: (saved) => queryClient.setQueryData(preferencesKey, saved),
  });
}

export function useResetPreferences() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.json<void>("/api/preferences", { method: "DELETE" }),
    onSuccess: () => learningChanged(queryClient),
  });
}

export function useTrends() {
  const api = useApi();
  return useQuery({
    queryKey: trendsKey,
    queryFn: ({ signal }) => api.json<Trends>("/api/trends", { signal }),
    // Rebuilt by a periodic task: minutes old is as good as fresh.
    staleTime: 5 * 60_000,
    retry: retryServerErrors,
  });
}
