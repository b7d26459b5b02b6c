// One design (GET /api/images/{id}), feedback on it, its collections, "more like this",
// and the review queue: the calls and cache rules of the design and review pages.

import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { retryServerErrors, type Api } from "./client";
import { isPages, mapItems } from "./pages";
import type { AddImagesOut, Collection, GalleryItem, GarmentSpec, Job, Page, Picture } from "./types";
import { useApi } from "../auth/AuthContext";
import { fetchCollectionChoices } from "../gallery/queries";

// -- shapes -------------------------------------------------------------------------------

export type FeedbackType = "outlier" | "favorite" | "like" | "dislike";
export type Reaction = "like" | "dislike";

/** My feedback on a design (absent until I give some). */
export type MyFeedback = {
  is_outlier: boolean;
  is_favorite: boolean;
  reaction: Reaction | null;
  rating: number | null;
  comment: string | null;
  tags: string[];
  updated_at: string | null;
};

/** The answer of POST / DELETE /api/images/{id}/feedback. */
export type FeedbackOut = MyFeedback & { image_id: string; outlier_marked_at: string | null };

/** POST /api/images/{id}/feedback: a verdict and/or a rating (null clears it) or comment. */
export type FeedbackIn = {
  type?: FeedbackType;
  rating?: number | null;
  comment?: string;
  tags?: string[];
};

export type CollectionRef = { id: string; name: string };

export type DesignDetail = Picture & {
  id: string;
  type: string;
  status: string;
  title: string | null;
  source_filename: string | null;
  prompt: string | null;
  negative_prompt: string | null;
  /** The spec asked for, with what was really drawn under `resolved`. */
  spec: Record<string, unknown> | null;
  garment_type: string | null;
  provider: string | null;
  model: string | null;
  seed: number | null;
  bytes: number | null;
  format: string | null;
  cost_usd: string;
  /** What this design cost, and its whole job (absent from servers before issue 11). */
  costs?: { image_usd?: string | null; job_usd?: string | null } | null;
  /** For an enhanced design ("enhanced"), the design it was made from. */
  source_image_id?: string | null;
  job: { id: string; status: string; source: string; quantity: number; seq: number | null } | null;
  collections: CollectionRef[];
  is_outlier: boolean;
  outlier_marked_at: string | null;
  my_feedback: MyFeedback | null;
  created_at: string;
  completed_at: string | null;
};

/** A gallery item as GET /api/images sends it (with my feedback). */
export type ReviewItem = GalleryItem & { my_feedback: MyFeedback | null };

export type DeletedOut = { id: string; deleted_at: string; purge_after: string; restore_url: string };

// -- feedback state -------------------------------------------------------------------------

export const NO_FEEDBACK: MyFeedback = {
  is_outlier: false,
  is_favorite: false,
  reaction: null,
  rating: null,
  comment: null,
  tags: [],
  updated_at: null,
};

/** A change of feedback, as the API takes it: set (POST) or clear one verdict (DELETE). */
export type FeedbackChange =
  | { kind: "set"; body: FeedbackIn }
  | { kind: "clear"; type: FeedbackType };

/** The state after a change, as the API computes it (shown before the answer comes). */
export function applyChange(before: MyFeedback, change: FeedbackChange): MyFeedback {
  const after: MyFeedback = { ...before, tags: [...before.tags] };
  if (change.kind === "clear") {
    if (change.type === "outlier") after.is_outlier = false;
    else if (change.type === "favorite") after.is_favorite = false;
    else if (after.reaction === change.type) after.reaction = null;
    return after;
  }
  const { type, rating, comment } = change.body;
  if (type === "outlier") after.is_outlier = true;
  else if (type === "favorite") after.is_favorite = true;
  else if (type === "like" || type === "dislike") after.reaction = type;
  if (rating !== undefined) after.rating = rating;
  if (comment !== undefined) after.comment = comment.trim() || null;
  return after;
}

export function sendFeedback(api: Api, id: string, change: FeedbackChange): Promise<FeedbackOut> {
  const path = `/api/images/${encodeURIComponent(id)}/feedback`;
  return change.kind === "set"
    ? api.json<FeedbackOut>(path, { method: "POST", body: change.body })
    : api.json<FeedbackOut>(`${path}?type=${change.type}`, { method: "DELETE" });
}

function stateOf(out: FeedbackOut): MyFeedback {
  const { is_outlier, is_favorite, reaction, rating, comment, tags, updated_at } = out;
  return { is_outlier, is_favorite, reaction, rating, comment, tags, updated_at };
}

// -- cache rules ------------------------------------------------------------------------------

export const designKey = (id: string) => ["design", id] as const;
const collectionsKey = ["collections", "picker"] as const;
export const reviewKey = ["review", "queue"] as const;

/** Every gallery view (a list of designs under "images") changed at once. */
function changeGalleries(queryClient: QueryClient, change: (items: GalleryItem[]) => GalleryItem[]) {
  queryClient.setQueriesData<unknown>({ queryKey: ["images"] }, (data: unknown) =>
    isPages<GalleryItem>(data) ? mapItems(data, change) : data,
  );
}

/** After feedback: the design page shows the answer, the gallery views fetch again. */
export function feedbackSaved(queryClient: QueryClient, out: FeedbackOut) {
  const id = out.image_id;
  queryClient.setQueryData<DesignDetail>(designKey(id), (d) =>
    d ? { ...d, is_outlier: out.is_outlier, outlier_marked_at: out.outlier_marked_at, my_feedback: stateOf(out) } : d,
  );
  // Every gallery view shows this design's outlier flag at once.
  changeGalleries(queryClient, (items) => items.map((i) => (i.id === id ? { ...i, is_outlier: out.is_outlier } : i)));
  void queryClient.invalidateQueries({ queryKey: ["images"] });
}

// -- one design -------------------------------------------------------------------------------

export function useDesign(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: designKey(id),
    queryFn: ({ signal }) => api.json<DesignDetail>(`/api/images/${encodeURIComponent(id)}`, { signal }),
    // A missing design stays missing: say so at once instead of asking three times.
    retry: retryServerErrors,
  });
}

/** Set or clear feedback on the design page: shown at once, put right if refused. */
export function useDesignFeedback(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: FeedbackChange) => sendFeedback(api, id, change),
    onMutate: async (change) => {
      await queryClient.cancelQueries({ queryKey: designKey(id) });
      const before = queryClient.getQueryData<DesignDetail>(designKey(id));
      if (before) {
        const after = applyChange(before.my_feedback ?? NO_FEEDBACK, change);
        queryClient.setQueryData<DesignDetail>(designKey(id), {
          ...before,
          is_outlier: after.is_outlier,
          my_feedback: after,
        });
      }
      return { before };
    },
    onSuccess: (out) => feedbackSaved(queryClient, out),
    onError: (_error, _change, context) => {
      if (context?.before) queryClient.setQueryData(designKey(id), context.before);
      void queryClient.invalidateQueries({ queryKey: designKey(id) });
    },
  });
}

export function useDeleteDesign(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.json<DeletedOut>(`/api/images/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => {
      // Gone from every gallery view at once; they fetch again when shown.
      changeGalleries(queryClient, (items) => items.filter((i) => i.id !== id));
      void queryClient.invalidateQueries({ queryKey: ["images"] });
      void queryClient.invalidateQueries({ queryKey: ["collections"] });
    },
  });
}

export function useRestoreDesign(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      api.json<{ id: string; restored: boolean }>(`/api/images/${encodeURIComponent(id)}/restore`, { method: "POST" }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["images"] });
      void queryClient.invalidateQueries({ queryKey: ["collections"] });
      void queryClient.invalidateQueries({ queryKey: designKey(id) });
    },
  });
}

// -- collections --------------------------------------------------------------------------------

/** All my collections (newest first), for the "Add to collection" picker. */
export function useCollections(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: collectionsKey,
    enabled,
    queryFn: ({ signal }) => fetchCollectionChoices(api, signal),
  });
}

function collectionsChanged(queryClient: QueryClient, imageId: string, collections: (d: CollectionRef[]) => CollectionRef[]) {
  queryClient.setQueryData<DesignDetail>(designKey(imageId), (d) =>
    d ? { ...d, collections: collections(d.collections) } : d,
  );
  void queryClient.invalidateQueries({ queryKey: ["collections"] });
  void queryClient.invalidateQueries({ queryKey: designKey(imageId) });
}

const byName = (a: CollectionRef, b: CollectionRef) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" });

/** Put a design in one of my collections, or in a new one (`name`). */
export function useAddToCollection(imageId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (target: { collectionId: string } | { name: string }): Promise<CollectionRef> => {
      if ("collectionId" in target) {
        const out = await api.json<AddImagesOut>(`/api/collections/${encodeURIComponent(target.collectionId)}/images`, {
          method: "POST",
          body: { image_ids: [imageId] },
        });
        return { id: out.collection.id, name: out.collection.name };
      }
      const made = await api.json<Collection>("/api/collections", {
        method: "POST",
        body: { name: target.name, image_ids: [imageId] },
      });
      return { id: made.id, name: made.name };
    },
    onSuccess: (ref) =>
      collectionsChanged(queryClient, imageId, (list) =>
        list.some((c) => c.id === ref.id) ? list : [...list, ref].sort(byName),
      ),
  });
}

export function useRemoveFromCollection(imageId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (collection: CollectionRef) =>
      api.json<void>(
        `/api/collections/${encodeURIComponent(collection.id)}/images/${encodeURIComponent(imageId)}`,
        { method: "DELETE" },
      ),
    onSuccess: (_out, collection) =>
      collectionsChanged(queryClient, imageId, (list) => list.filter((c) => c.id !== collection.id)),
  });
}

// -- the spec -------------------------------------------------------------------------------------

const SCALARS = ["garment_type", "silhouette", "length", "neckline", "sleeve"] as const;
const LISTS = ["styles", "colors", "palettes", "patterns", "fabrics", "occasions", "seasons", "details"] as const;
const EXCLUSION_KEYS = [
  "colors",
  "patterns",
  "fabrics",
  "styles",
  "garment_types",
  "silhouettes",
  "lengths",
  "necklines",
  "sleeves",
  "palettes",
  "occasions",
  "seasons",
  "details",
] as const;

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v.trim() !== "") : [];
const text = (value: unknown): string | null => (typeof value === "string" && value.trim() ? value : null);

/** A stored spec as a clean GarmentSpec (keys this app does not know are left out). */
export function toGarmentSpec(stored: Record<string, unknown> | null | undefined): GarmentSpec {
  const data = stored ?? {};
  const exclude: Record<string, string[]> = {};
  const rawExclude = (data.exclude ?? {}) as Record<string, unknown>;
  for (const key of EXCLUSION_KEYS) {
    const values = strings(rawExclude[key]);
    if (values.length) exclude[key] = values;
  }
  const spec = {
    quantity: null,
    exclude,
  } as unknown as GarmentSpec;
  for (const key of SCALARS) (spec as Record<string, unknown>)[key] = text(data[key]);
  for (const key of LISTS) (spec as Record<string, unknown>)[key] = strings(data[key]);
  return spec;
}

/** What the design really shows: the spec the provider drew (`resolved`), else the one asked for. */
export function drawnSpec(detail: Pick<DesignDetail, "spec" | "garment_type">): GarmentSpec {
  const stored = detail.spec ?? {};
  const resolved = stored.resolved;
  const spec = toGarmentSpec(
    typeof resolved === "object" && resolved !== null ? (resolved as Record<string, unknown>) : stored,
  );
  if (!spec.garment_type && detail.garment_type) spec.garment_type = detail.garment_type;
  return spec;
}

/** The attributes the designer named themselves (the rest the studio chose). */
export function askedFields(detail: Pick<DesignDetail, "spec">): Set<string> {
  const resolved = detail.spec?.resolved as { explicit?: unknown } | undefined;
  return new Set(strings(resolved?.explicit));
}

// -- more like this -----------------------------------------------------------------------------

/** Queue `quantity` new designs from this design's drawn spec. */
export function useMoreLikeThis() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ spec, quantity }: { spec: GarmentSpec; quantity: number }) =>
      api.json<Job>("/api/generations", { method: "POST", body: { spec: { ...spec, quantity }, quantity } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["history"] }),
  });
}

// -- the review queue -------------------------------------------------------------------------------

export const REVIEW_PAGE = 24;

/** My designs without a verdict yet, newest first, a page at a time. Kept as first loaded
 *  while the review page is open (a verdict must not pull a design out from under it). */
export function useReviewQueue() {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: reviewKey,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) => {
      const query = new URLSearchParams({ feedback: "unrated", sort: "newest", limit: String(REVIEW_PAGE) });
      if (pageParam) query.set("cursor", pageParam);
      return api.json<Page<ReviewItem>>(`/api/images?${query}`, { signal });
    },
    getNextPageParam: (last) => last.next_cursor,
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
}

// -- names ------------------------------------------------------------------------------------------

/** "Bohemian red silk dress": a design's name in words. */
export function designName(title: string | null, spec: Partial<GarmentSpec> | Record<string, unknown>): string {
  if (title) return title;
  const s = spec as Record<string, unknown>;
  // "solid" says nothing in a name: a plain fabric is the default.
  const words = ["styles", "colors", "fabrics", "patterns"].flatMap((k) =>
    strings(s[k])
      .filter((v) => v !== "solid")
      .slice(0, 1),
  );
  const garment = text(s.garment_type) ?? "design";
  const phrase = [...words, garment].join(" ").replace(/_/g, " ");
  return phrase.charAt(0).toUpperCase() + phrase.slice(1);
}
