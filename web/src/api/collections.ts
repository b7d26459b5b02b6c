// Collections: the designer's named, ordered sets of designs, and the public page of a
// shared one. Every query key starts with "collections", so the command bar (and the
// gallery's "Add to collection") refresh all of them with one invalidation.

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { QueryClient, QueryKey } from "@tanstack/react-query";
import { ApiError, retryServerErrors } from "./client";
import { mapItems, withCursor, type Pages } from "./pages";
import type { Collection, GalleryItem, Page, Picture } from "./types";
import { useApi } from "../auth/AuthContext";

export type { Collection, CollectionCover } from "./types";

// -- shapes (src/designer_bff/collections/schemas.py) -----------------------------------

export type ShareOut = { url: string; token: string; shared_at: string };

export type OrderOut = { image_ids: string[] };

/** Its `urls` are the thumb and preview only, public (the share token is in the path). */
export type SharedItem = Picture & {
  id: string;
  title: string | null;
  ratio: number | null;
  garment_type: string | null;
};

export type SharedCollection = {
  name: string;
  description: string | null;
  image_count: number;
  items: SharedItem[];
  next_cursor: string | null;
};

export type CollectionChanges = {
  name?: string;
  description?: string | null;
  cover_image_id?: string | null;
};

// -- keys --------------------------------------------------------------------------------

export const collectionsKey = ["collections"] as const;
export const collectionListKey = ["collections", "list"] as const;
export const collectionKey = (id: string) => ["collections", "detail", id] as const;
export const collectionImagesKey = (id: string) => ["collections", "detail", id, "images"] as const;
export const sharedKey = (token: string) => ["shared", token] as const;

const LIST_PAGE = 48;
const IMAGES_PAGE = 100;
const SHARED_PAGE = 60;
/** The most designs PUT …/images/order takes at once (ImageIdsIn). */
export const MAX_ORDER_IDS = 500;

// -- sharing links -------------------------------------------------------------------------

/** The token of a share, from the API's `share_url` (`…/api/shared/{token}`). */
export function shareToken(shareUrl: string | null | undefined): string | null {
  if (!shareUrl) return null;
  const match = /\/shared\/([^/?#]+)/.exec(shareUrl);
  return match ? decodeURIComponent(match[1]) : null;
}

/** The web page a designer hands out: this app's public /shared/{token} page. */
export function sharePageUrl(token: string): string {
  return `${window.location.origin}/shared/${encodeURIComponent(token)}`;
}

/** A collection or share link that is gone (deleted, revoked) or never existed: the API
 *  answers 404 (422 for a malformed id or token). */
export function isGone(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 422);
}

// -- ordering ------------------------------------------------------------------------------

/** `order` with `id` moved so that it lands before the design now at `before` (an index
 *  into `order`; `order.length` puts it last). */
export function moveBefore(order: string[], id: string, before: number): string[] {
  const from = order.indexOf(id);
  if (from < 0) return order;
  const to = before > from ? before - 1 : before;
  if (to === from) return order;
  const next = order.filter((x) => x !== id);
  next.splice(Math.max(0, Math.min(to, next.length)), 0, id);
  return next;
}

/** The body of PUT …/images/order: the designs given come first, the rest follow as they
 *  were, so the loaded order is enough (and only its changed prefix past 500 designs). */
export function orderBody(before: string[], after: string[]): string[] {
  if (after.length <= MAX_ORDER_IDS) return after;
  let last = after.length - 1;
  while (last > 0 && after[last] === before[last]) last--;
  return after.slice(0, last + 1);
}

function reorderPages(data: Pages<GalleryItem>, order: string[]): Pages<GalleryItem> {
  const byId = new Map(data.pages.flatMap((p) => p.items).map((i) => [i.id, i] as const));
  const sorted = order.map((id) => byId.get(id)).filter((i): i is GalleryItem => i !== undefined);
  const rest = [...byId.values()].filter((i) => !order.includes(i.id));
  const all = [...sorted, ...rest];
  let start = 0;
  return {
    ...data,
    pages: data.pages.map((p) => {
      const items = all.slice(start, start + p.items.length);
      start += p.items.length;
      return { ...p, items };
    }),
  };
}


/** Every list of collections (this page's, the gallery's "Add to collection" choices)
 *  fetched again, but not the open collections themselves. */
function refreshLists(queryClient: QueryClient) {
  void queryClient.invalidateQueries({ queryKey: collectionsKey, predicate: (q) => q.queryKey[1] !== "detail" });
}

function patchInList(queryClient: QueryClient, collection: Collection) {
  queryClient.setQueryData<Pages<Collection>>(collectionListKey, (data) =>
    data ? mapItems(data, (items) => items.map((c) => (c.id === collection.id ? collection : c))) : data,
  );
}

// -- queries -------------------------------------------------------------------------------

/** A list sent a page at a time. `giveUpOn4xx`: a refusal (gone, or never there) is not
 *  asked again; `anonymous`: sent without the designer's token (the public side of a share). */
function usePagedList<P extends { next_cursor: string | null }>(
  queryKey: QueryKey,
  path: string,
  limit: number,
  { anonymous = false, giveUpOn4xx = false } = {},
) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) => api.json<P>(withCursor(path, limit, pageParam), { signal, anonymous }),
    getNextPageParam: (last) => last.next_cursor,
    ...(giveUpOn4xx ? { retry: retryServerErrors } : {}),
  });
}

export function useCollections() {
  return usePagedList<Page<Collection>>(collectionListKey, "/api/collections", LIST_PAGE);
}

export function useCollection(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useQuery<Collection>({
    queryKey: collectionKey(id),
    queryFn: ({ signal }) => api.json<Collection>(`/api/collections/${id}`, { signal }),
    // Straight from the list while the collection itself loads.
    placeholderData: () =>
      queryClient
        .getQueryData<Pages<Collection>>(collectionListKey)
        ?.pages.flatMap((p) => p.items)
        .find((c) => c.id === id),
    retry: retryServerErrors,
  });
}

export function useCollectionImages(id: string) {
  return usePagedList<Page<GalleryItem>>(collectionImagesKey(id), `/api/collections/${id}/images`, IMAGES_PAGE, {
    giveUpOn4xx: true,
  });
}

/** The public side of a share link: no login, no token sent. */
export function useSharedCollection(token: string) {
  return usePagedList<SharedCollection>(sharedKey(token), `/api/shared/${encodeURIComponent(token)}`, SHARED_PAGE, {
    anonymous: true,
    giveUpOn4xx: true,
  });
}

// -- changes -------------------------------------------------------------------------------

export function useCreateCollection() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; description?: string }) =>
      api.json<Collection>("/api/collections", { method: "POST", body }),
    onSuccess: (created) => {
      queryClient.setQueryData(collectionKey(created.id), created);
      // Newest first: it leads the list at once.
      queryClient.setQueryData<Pages<Collection>>(collectionListKey, (data) =>
        data && data.pages.length
          ? {
              ...data,
              pages: data.pages.map((p, i) =>
                i === 0 ? { ...p, items: [created, ...p.items.filter((c) => c.id !== created.id)] } : p,
              ),
            }
          : data,
      );
      refreshLists(queryClient);
    },
  });
}

/** Rename, describe, or choose the cover (null: back to the first design). */
export function useUpdateCollection(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: CollectionChanges) =>
      api.json<Collection>(`/api/collections/${id}`, { method: "PATCH", body: changes }),
    onMutate: async (changes) => {
      await queryClient.cancelQueries({ queryKey: collectionKey(id), exact: true });
      const before = queryClient.getQueryData<Collection>(collectionKey(id));
      if (before) queryClient.setQueryData<Collection>(collectionKey(id), { ...before, ...changes });
      return { before };
    },
    onError: (_error, _changes, context) => {
      if (context?.before) queryClient.setQueryData(collectionKey(id), context.before);
    },
    onSuccess: (collection) => {
      queryClient.setQueryData(collectionKey(id), collection);
      patchInList(queryClient, collection);
    },
    onSettled: () => refreshLists(queryClient),
  });
}

export function useDeleteCollection(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.json<void>(`/api/collections/${id}`, { method: "DELETE" }),
    onSuccess: () => {
      queryClient.setQueryData<Pages<Collection>>(collectionListKey, (data) =>
        data ? mapItems(data, (items) => items.filter((c) => c.id !== id)) : data,
      );
      queryClient.removeQueries({ queryKey: collectionKey(id) });
      refreshLists(queryClient);
    },
  });
}

/** Save a new order of the designs: shown at once, rolled back if the API refuses it.
 *  Moves are sent one after the other (scope), each with the whole order it produced. */
export function useReorder(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const mutationKey = ["collections", "order", id];
  return useMutation({
    mutationKey,
    scope: { id: `collections-order-${id}` },
    mutationFn: ({ before, after }: { before: string[]; after: string[] }) =>
      api.json<OrderOut>(`/api/collections/${id}/images/order`, {
        method: "PUT",
        body: { image_ids: orderBody(before, after) },
      }),
    onMutate: async ({ after }) => {
      await queryClient.cancelQueries({ queryKey: collectionImagesKey(id) });
      const previous = queryClient.getQueryData<Pages<GalleryItem>>(collectionImagesKey(id));
      if (previous) queryClient.setQueryData(collectionImagesKey(id), reorderPages(previous, after));
      return { previous };
    },
    onError: (_error, _vars, context) => {
      if (context?.previous) queryClient.setQueryData(collectionImagesKey(id), context.previous);
    },
    onSettled: () => {
      // Fetch again only once the last of a quick series of moves is saved, so an answer
      // in between never shows an older order.
      if (queryClient.isMutating({ mutationKey }) <= 1) {
        void queryClient.invalidateQueries({ queryKey: collectionKey(id) });
        refreshLists(queryClient); // the first design may be the cover
      }
    },
  });
}

export function useRemoveFromCollection(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (imageId: string) =>
      api.json<void>(`/api/collections/${id}/images/${imageId}`, { method: "DELETE" }),
    onMutate: async (imageId) => {
      await queryClient.cancelQueries({ queryKey: collectionKey(id) });
      const images = queryClient.getQueryData<Pages<GalleryItem>>(collectionImagesKey(id));
      const collection = queryClient.getQueryData<Collection>(collectionKey(id));
      const without = (items: GalleryItem[]) => items.filter((i) => i.id !== imageId);
      if (images) queryClient.setQueryData(collectionImagesKey(id), mapItems(images, without));
      if (collection) {
        queryClient.setQueryData<Collection>(collectionKey(id), {
          ...collection,
          image_count: Math.max(0, collection.image_count - 1),
          cover_image_id: collection.cover_image_id === imageId ? null : collection.cover_image_id,
        });
      }
      return { images, collection };
    },
    onError: (_error, _imageId, context) => {
      if (context?.images) queryClient.setQueryData(collectionImagesKey(id), context.images);
      if (context?.collection) queryClient.setQueryData(collectionKey(id), context.collection);
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: collectionKey(id) });
      refreshLists(queryClient);
    },
  });
}

/** Share the collection (a new link) or stop sharing it (the old link stops working). */
export function useSharing(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const path = `/api/collections/${id}/share`;
  const showShare = (shareUrl: string | null) => {
    queryClient.setQueryData<Collection>(collectionKey(id), (c) =>
      c ? { ...c, shared: shareUrl !== null, share_url: shareUrl } : c,
    );
    refreshLists(queryClient);
  };
  const share = useMutation({
    mutationFn: () => api.json<ShareOut>(path, { method: "POST" }),
    onSuccess: (out) => showShare(out.url),
  });
  const revoke = useMutation({
    mutationFn: () => api.json<void>(path, { method: "DELETE" }),
    onSuccess: () => showShare(null),
  });
  return { share, revoke };
}
