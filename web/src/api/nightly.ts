// The nightly batch: its settings (GET/PUT /api/nightly) and the nights it ran
// (GET /api/nightly/runs). Every key starts with "nightly": the `nightly.ready` event
// refreshes them all with one invalidation.

import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { retryServerErrors } from "./client";
import { useApi } from "../auth/AuthContext";

// -- shapes -------------------------------------------------------------------------------------

export type RunStatus = "pending" | "running" | "completed" | "failed" | "cancelled" | "skipped";

export type NightlyRun = {
  id: string;
  run_date: string;
  status: RunStatus;
  designs: number;
  cost_usd: string;
  collection_id: string | null;
  collection_name: string | null;
  job_id: string | null;
  error_message: string | null;
  scheduled_for: string | null;
  started_at: string | null;
  finished_at: string | null;
};

export type NightlySettings = {
  /** False until the designer has saved settings once. */
  configured: boolean;
  enabled: boolean;
  /** "02:00", in `timezone`. */
  local_time: string;
  timezone: string;
  quantity: number;
  provider: string | null;
  max_cost: string | null;
  /** What to make, as a garment spec; null: from the style profile and what was learned. */
  spec: Record<string, unknown> | null;
  next_run_at: string | null;
  next_run_local: string | null;
  last_run: NightlyRun | null;
};

export type NightlyChanges = Partial<
  Pick<NightlySettings, "enabled" | "local_time" | "timezone" | "quantity" | "provider" | "max_cost" | "spec">
>;

// -- keys ---------------------------------------------------------------------------------------

export const nightlyKey = ["nightly"] as const;
const settingsKey = ["nightly", "settings"] as const;
const runsKey = (limit: number) => ["nightly", "runs", limit] as const;

/** A night's batch is ready (or settings changed elsewhere): settings and runs asked again. */
export function nightlyChanged(queryClient: QueryClient) {
  void queryClient.invalidateQueries({ queryKey: nightlyKey });
}

// -- queries and changes ------------------------------------------------------------------------

export function useNightly() {
  const api = useApi();
  return useQuery({
    queryKey: settingsKey,
    queryFn: ({ signal }) => api.json<NightlySettings>("/api/nightly", { signal }),
    retry: retryServerErrors,
  });
}

export function useSaveNightly() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: NightlyChanges) => api.json<NightlySettings>("/api/nightly", { method: "PUT", body: changes }),
    onSuccess: (saved) => queryClient.setQueryData(settingsKey, saved),
  });
}

export function useNightlyRuns(limit = 10) {
  const api = useApi();
  return useQuery({
    queryKey: runsKey(limit),
    queryFn: ({ signal }) => api.json<{ items: NightlyRun[] }>(`/api/nightly/runs?limit=${limit}`, { signal }),
    retry: retryServerErrors,
  });
}

/** The browser's time zone, offered when the designer has not chosen one. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** Every IANA zone the browser knows (with `current` kept in when it does not know it). */
export function timeZones(current: string): string[] {
  let zones: string[] = [];
  try {
    zones = (Intl as unknown as { supportedValuesOf?(key: string): string[] }).supportedValuesOf?.("timeZone") ?? [];
  } catch {
    zones = [];
  }
  const all = new Set(zones);
  all.add("UTC");
  if (current) all.add(current);
  return [...all].sort((a, b) => a.localeCompare(b));
}
