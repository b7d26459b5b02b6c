// Providers, estimates, costs and budgets: the calls of the command bar's confirmation,
// the costs pages and a design's Enhance action (src/designer_bff/billing/schemas.py,
// src/designer_bff/generation/schemas.py). Money is a string of dollars ("4.200000").

import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { retryServerErrors } from "./client";
import { useApi } from "../auth/AuthContext";

// -- shapes ---------------------------------------------------------------------------------

export type Operation = "generate" | "enhance";
export type Strategy = "cost" | "quality" | "speed" | "balanced";
export const STRATEGIES: { value: Strategy; label: string }[] = [
  { value: "balanced", label: "Balanced" },
  { value: "cost", label: "Lowest cost" },
  { value: "quality", label: "Best quality" },
  { value: "speed", label: "Fastest" },
];

export type Provider = {
  name: string;
  vendor: string;
  model: string;
  operation: Operation | string;
  prompt_family: string;
  /** The price of one design; null when it depends on the options. */
  unit_price_usd: string | null;
  /** The deployment's default (not the designer's). */
  is_default: boolean;
};

export type ProviderDefaults = { default_provider: string | null; provider_strategy: Strategy | null };

/** How a request picks its provider: one by name, or a strategy, or (neither) the
 *  designer's own defaults on the server. */
export type Routing = { provider?: string; strategy?: Strategy };

export type Estimate = {
  provider: string;
  model: string;
  chosen_by: string;
  fallback: string[];
  options: Record<string, string>;
  quantity: number;
  unit_price_usd: string;
  total_usd: string;
  remaining_usd: string | null;
  within_budget: boolean;
};

export type Budget = {
  monthly_budget_usd: string | null;
  cap_usd: string | null;
  effective_usd: string | null;
  spent_usd: string;
  remaining_usd: string | null;
};

export type Period = "day" | "week" | "month";
export const PERIODS: { value: Period; label: string; noun: string }[] = [
  { value: "day", label: "Today", noun: "today" },
  { value: "week", label: "This week", noun: "this week" },
  { value: "month", label: "This month", noun: "this month" },
];

export type ProviderCost = { provider: string; model: string | null; amount_usd: string; calls: number };
export type OperationCost = { operation: string; amount_usd: string; calls: number };
export type DayCost = { day: string; amount_usd: string; calls: number; by_provider: Record<string, string> };

type PeriodCosts = {
  period: Period;
  start: string;
  end: string;
  total_usd: string;
  calls: number;
  by_provider: ProviderCost[];
};

export type Costs = PeriodCosts & { by_operation: OperationCost[]; by_day: DayCost[]; budget: Budget };

export type UserCost = {
  user_id: string;
  email: string;
  name: string;
  amount_usd: string;
  calls: number;
  budget: Budget;
};

export type AdminCosts = PeriodCosts & { users: UserCost[] };

/** The answer of POST /api/images/{id}/enhance: the new design, pending. */
export type EnhanceOut = {
  id: string;
  job_id: string;
  status: string;
  type: string;
  source_image_id: string;
};

export type EnhanceIn = { scale: 2 | 4; face_fix: boolean; provider?: string };

// -- keys -----------------------------------------------------------------------------------

export const providersKey = ["providers"] as const;
export const defaultsKey = ["generation-defaults"] as const;
export const costsKey = ["costs"] as const;
export const estimateKey = ["estimate"] as const;
const adminCostsKey = ["admin-costs"] as const;

/** After anything that spends or changes a budget: every figure is asked again. */
export function spendingChanged(queryClient: QueryClient) {
  void queryClient.invalidateQueries({ queryKey: costsKey });
  void queryClient.invalidateQueries({ queryKey: estimateKey });
  void queryClient.invalidateQueries({ queryKey: adminCostsKey });
}

// -- providers and defaults -----------------------------------------------------------------

export function useProviders(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: providersKey,
    enabled,
    queryFn: ({ signal }) => api.json<Provider[]>("/api/generations/providers", { signal }),
    staleTime: 5 * 60_000,
    retry: retryServerErrors,
  });
}

export function useProviderDefaults(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: defaultsKey,
    enabled,
    queryFn: ({ signal }) => api.json<ProviderDefaults>("/api/generations/defaults", { signal }),
    staleTime: 60_000,
    retry: retryServerErrors,
  });
}

export function useSaveProviderDefaults() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ProviderDefaults) =>
      api.json<ProviderDefaults>("/api/generations/defaults", { method: "PUT", body }),
    onSuccess: (saved) => {
      queryClient.setQueryData(defaultsKey, saved);
      void queryClient.invalidateQueries({ queryKey: estimateKey });
    },
  });
}

/** A picker's choice ("" for Automatic) as the request says it. Automatic over a
 *  designer's default provider asks by strategy, so that the default does not win. */
export function routingFor(choice: string, defaults: ProviderDefaults | undefined): Routing {
  if (choice) return { provider: choice };
  if (defaults?.default_provider) return { strategy: defaults.provider_strategy ?? "balanced" };
  return {};
}

// -- estimate -------------------------------------------------------------------------------

/** The body of POST /api/generations, whose cost POST …/estimate tells. */
export type GenerationBody = { spec?: unknown; prompt?: string; command_id?: string; quantity: number } & Routing;

export function useEstimate(body: GenerationBody | null) {
  const api = useApi();
  return useQuery({
    queryKey: [...estimateKey, body],
    enabled: body !== null,
    queryFn: ({ signal }) => api.json<Estimate>("/api/generations/estimate", { body, signal }),
    placeholderData: keepPreviousData,
    staleTime: 15_000,
    retry: retryServerErrors,
  });
}

// -- costs and budget -----------------------------------------------------------------------

export function useCosts(period: Period) {
  const api = useApi();
  return useQuery({
    queryKey: [...costsKey, period],
    queryFn: ({ signal }) => api.json<Costs>(`/api/costs?period=${period}`, { signal }),
    placeholderData: keepPreviousData,
    retry: retryServerErrors,
  });
}

export function useSaveBudget() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (monthly: string | null) =>
      api.json<Budget>("/api/costs/budget", { method: "PUT", body: { monthly_budget_usd: monthly } }),
    onSuccess: (budget) => {
      queryClient.setQueriesData<Costs>({ queryKey: costsKey }, (data) => (data ? { ...data, budget } : data));
      spendingChanged(queryClient);
    },
  });
}

export function useAdminCosts(period: Period) {
  const api = useApi();
  return useQuery({
    queryKey: [...adminCostsKey, period],
    queryFn: ({ signal }) => api.json<AdminCosts>(`/api/admin/costs?period=${period}`, { signal }),
    placeholderData: keepPreviousData,
    retry: retryServerErrors,
  });
}

export function useSaveCap() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, cap }: { userId: string; cap: string | null }) =>
      api.json<Budget>(`/api/admin/users/${encodeURIComponent(userId)}/budget-cap`, {
        method: "PUT",
        body: { budget_cap_usd: cap },
      }),
    onSuccess: (budget, { userId }) => {
      queryClient.setQueriesData<AdminCosts>({ queryKey: adminCostsKey }, (data) =>
        data ? { ...data, users: data.users.map((u) => (u.user_id === userId ? { ...u, budget } : u)) } : data,
      );
      spendingChanged(queryClient);
    },
  });
}

// -- enhance --------------------------------------------------------------------------------

export function useEnhance(imageId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: EnhanceIn) =>
      api.json<EnhanceOut>(`/api/images/${encodeURIComponent(imageId)}/enhance`, { method: "POST", body }),
    onSuccess: () => spendingChanged(queryClient),
  });
}

/** The local upscaler: it cannot fix faces, so "Fix faces" is offered only when another
 *  enhance provider exists. */
export const LOCAL_UPSCALE = "local-upscale";
