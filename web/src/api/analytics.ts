// The analytics dashboard's figures (src/designer_bff/analytics): totals and weeks, how the
// designer's style moved, how each provider performs, and what happened lately. Every key
// starts with "analytics": new designs and nightly batches refresh them with one invalidation.

import { keepPreviousData, useQuery, type QueryClient } from "@tanstack/react-query";
import { retryServerErrors } from "./client";
import { useApi } from "../auth/AuthContext";

// -- shapes -------------------------------------------------------------------------------------

export type Totals = {
  designs: number;
  outliers: number;
  /** 0..1 */
  outlier_rate: number;
  favorites: number;
  cost_usd: string;
  cost_this_month_usd: string;
};

export type Week = { week_start: string; designs: number; outliers: number; outlier_rate: number; cost_usd: string };
export type FavouriteStyle = { value: string; designs: number; outliers: number };
export type TopAttribute = { attribute: string; value: string; designs: number; outliers: number; outlier_rate: number };

export type Dashboard = {
  totals: Totals;
  weekly: Week[];
  favourite_styles: FavouriteStyle[];
  top_attributes: TopAttribute[];
};

export type Share = { value: string; share: number };
export type OutlierShare = Share & { count: number };

export type EvolutionPeriod = {
  week_start: string;
  designs: number;
  outliers: number;
  outlier_attributes: Record<string, OutlierShare[]>;
  profile: Record<string, Share[]> | null;
};

export type StyleEvolution = { periods: EvolutionPeriod[] };

export type ProviderPerformance = {
  provider: string;
  model: string | null;
  designs: number;
  outliers: number;
  outlier_rate: number;
  cost_usd: string;
  cost_per_design: string;
  cost_per_outlier: string | null;
};

export type Activity = {
  type: "generation" | "feedback" | "collection" | "nightly" | "analysis" | string;
  at: string;
  text: string;
  /** What it is about: job_id, image_id (feedback), collection_id (collection, nightly). */
  ref: Record<string, string | null>;
};

// -- keys ---------------------------------------------------------------------------------------

export const analyticsKey = ["analytics"] as const;

/** New designs, feedback or a nightly batch: every figure asked again. */
export function analyticsChanged(queryClient: QueryClient) {
  void queryClient.invalidateQueries({ queryKey: analyticsKey });
}

export const WEEK_CHOICES = [4, 12, 26, 52] as const;

// -- queries ------------------------------------------------------------------------------------

function useAnalytics<T>(name: string, path: string) {
  const api = useApi();
  return useQuery({
    queryKey: [...analyticsKey, name, path],
    queryFn: ({ signal }) => api.json<T>(path, { signal }),
    placeholderData: keepPreviousData,
    retry: retryServerErrors,
  });
}

export const useDashboard = (weeks: number) =>
  useAnalytics<Dashboard>("dashboard", `/api/analytics/dashboard?weeks=${weeks}`);

export const useStyleEvolution = (weeks: number) =>
  useAnalytics<StyleEvolution>("style-evolution", `/api/analytics/style-evolution?weeks=${weeks}`);

export const useProviderPerformance = () =>
  useAnalytics<{ items: ProviderPerformance[] }>("provider-performance", "/api/analytics/provider-performance");

export const useRecentActivity = (limit = 20) =>
  useAnalytics<{ items: Activity[] }>("recent-activity", `/api/analytics/recent-activity?limit=${limit}`);
