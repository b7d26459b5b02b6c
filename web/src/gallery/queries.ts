import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type Query,
} from "@tanstack/react-query";
import type { Api } from "../api/client";
import type { AddImagesOut, GalleryItem, Page } from "../api/types";
import { useApi } from "../auth/AuthContext";
import { apiQuery, type GalleryView } from "./filters";

export type { GalleryView } from "./filters";

/** One cache entry per view; the unfiltered one is `["images", { outliers: false }]`. */
export const galleryKey = (view: GalleryView) => ["images", view] as const;

/** Designs per request: a screenful or two of cards on a wide screen. */
export const PAGE = 60;

export function useGallery(view: GalleryView) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: galleryKey(view),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) => {
      const query = apiQuery(view);
      query.set("limit", String(PAGE));
      if (pageParam) query.set("cursor", pageParam);
      return api.json<Page<GalleryItem>>(`/api/images?${query}`, { signal });
    },
    getNextPageParam: (last) => last.next_cursor,
  });
}

type Pages = InfiniteData<Page<GalleryItem>>;

/** Mark or unmark a design as an outlier; every cached view shows it at once. */
export function useToggleOutlier() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, outlier }: { id: string; outlier: boolean }) =>
      outlier
        ? api.json(`/api/images/${id}/feedback`, { body: { type: "outlier" } })
        : api.json(`/api/images/${id}/feedback?type=outlier`, { method: "DELETE" }),
    onMutate: ({ id, outlier }) => {
      queryClient.setQueriesData<Pages>({ queryKey: ["images"] }, (data) =>
        data?.pages
          ? {
              ...data,
              pages: data.pages.map((p) =>
                p.items.some((i) => i.id === id)
                  ? { ...p, items: p.items.map((i) => (i.id === id ? { ...i, is_outlier: outlier } : i)) }
                  : p,
              ),
            }
          : data,
      );
    },
    onSettled: () => {
      // Every outliers view (whatever its other filters) gains or loses a design: fetch
      // them again when next shown.
      void queryClient.invalidateQueries({ queryKey: galleryKey({ outliers: true }) });
    },
    onError: () => void queryClient.invalidateQueries({ queryKey: ["images"] }),
  });
}

// -- collections, for the filter and "Add to collection" --------------------------------------

export type CollectionChoice = { id: string; name: string; image_count: number };

/** Under "collections", so any change to collections refreshes it; its own key, as the
 *  collection pages keep theirs under "collections" too. */
export const collectionChoicesKey = ["collections", "choices"] as const;

const MAX_COLLECTION_PAGES = 10;

/** My collections (newest first), up to 2,000 of them: GET /api/collections, page by page. */
export async function fetchCollectionChoices(api: Api, signal?: AbortSignal): Promise<CollectionChoice[]> {
  const all: CollectionChoice[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_COLLECTION_PAGES; i++) {
    const query = new URLSearchParams({ limit: "200" });
    if (cursor) query.set("cursor", cursor);
    const page: Page<CollectionChoice> = await api.json<Page<CollectionChoice>>(`/api/collections?${query}`, {
      signal,
    });
    all.push(...page.items.map(({ id, name, image_count }) => ({ id, name, image_count })));
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return all;
}

export function useCollectionChoices(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: collectionChoicesKey,
    enabled,
    staleTime: 30_000,
    queryFn: ({ signal }) => fetchCollectionChoices(api, signal),
  });
}

/** The most designs one request may name (ImageIdsIn). */
const MAX_IDS = 500;

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export type AddTarget = { collectionId: string } | { newName: string };
export type AddOutcome = { collection: { id: string; name: string }; added: number; alreadyPresent: number };

/** Put designs in a collection, an existing one (POST /api/collections/{id}/images) or a
 *  new one (POST /api/collections with the designs in it), 500 at a time. */
export function useAddToCollection() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ target, imageIds }: { target: AddTarget; imageIds: string[] }): Promise<AddOutcome> => {
      const batches = chunks(imageIds, MAX_IDS);
      let collection: { id: string; name: string };
      let added = 0;
      let alreadyPresent = 0;
      if ("newName" in target) {
        const first = batches.shift() ?? [];
        collection = await api.json<CollectionChoice>("/api/collections", {
          method: "POST",
          body: { name: target.newName.trim(), image_ids: first },
        });
        added += first.length;
      } else {
        collection = { id: target.collectionId, name: "" };
      }
      for (const batch of batches) {
        const out = await api.json<AddImagesOut>(`/api/collections/${collection.id}/images`, {
          method: "POST",
          body: { image_ids: batch },
        });
        added += out.added;
        alreadyPresent += out.already_present;
        collection = out.collection;
      }
      return { collection: { id: collection.id, name: collection.name }, added, alreadyPresent };
    },
    onSuccess: (outcome) => {
      void queryClient.invalidateQueries({ queryKey: ["collections"] });
      // Views filtered to that collection now hold more designs.
      void queryClient.invalidateQueries({
        queryKey: ["images"],
        predicate: (query: Query) => (query.queryKey[1] as GalleryView | undefined)?.collection === outcome.collection.id,
      });
    },
  });
}
