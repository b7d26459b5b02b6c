// The designer's portfolio (their past work, uploaded and analysed) and the style profile
// built from it (src/designer_bff/portfolio/routes.py). Every query key starts with
// "portfolio" or "style-profile": the live events refresh them all with one invalidation.

import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
} from "@tanstack/react-query";
import { ApiError, describeError, retryServerErrors, SESSION_EXPIRED, type Api } from "./client";
import { withCursor } from "./pages";
import type { GarmentSpec, Picture } from "./types";
import { useApi } from "../auth/AuthContext";

// -- shapes ---------------------------------------------------------------------------------

export type AnalysisStatus = "pending" | "running" | "done" | "failed";

export type PortfolioAnalysis = {
  status: AnalysisStatus;
  provider: string | null;
  model: string | null;
  /** Only once done. */
  spec: Partial<GarmentSpec> | null;
  confidence: Record<string, number> | null;
  /** Only when it failed. */
  error: { code: string; message: string } | null;
};

export type PortfolioItem = Picture & {
  id: string;
  filename: string | null;
  created_at: string;
  analysis: PortfolioAnalysis;
};

export type PortfolioPage = { items: PortfolioItem[]; next_cursor: string | null; total: number };
export type PortfolioPages = InfiniteData<PortfolioPage, string | null>;

/** A file of an upload (or of a zip in it) that was not added, and why. */
export type FileProblem = { filename: string; code: string; message: string };
/** A file already in the portfolio: `id` is the image it duplicates. */
export type Duplicate = { filename: string; id: string };

/** The 202 answer of POST /api/portfolio. */
export type UploadOut = {
  accepted: PortfolioItem[];
  duplicates: Duplicate[];
  errors: FileProblem[];
  /** The analysis job of the accepted images; null when none was accepted. */
  analysis: { job_id: string; total: number } | null;
};

/** The garment spec attributes a style profile weighs, in the order a description reads them. */
export const PROFILE_ATTRIBUTES = [
  { field: "garment_type", label: "Garment types", one: "garment type" },
  { field: "silhouette", label: "Silhouettes", one: "silhouette" },
  { field: "length", label: "Lengths", one: "length" },
  { field: "neckline", label: "Necklines", one: "neckline" },
  { field: "sleeve", label: "Sleeves", one: "sleeve" },
  { field: "styles", label: "Styles", one: "style" },
  { field: "colors", label: "Colours", one: "colour" },
  { field: "patterns", label: "Patterns", one: "pattern" },
  { field: "fabrics", label: "Fabrics", one: "fabric" },
] as const;

export type ProfileAttribute = (typeof PROFILE_ATTRIBUTES)[number]["field"];

export type ProfileValue = {
  value: string;
  /** Its share (0..1) of the attribute. */
  weight: number;
  pinned: boolean;
  /** How much more often it is used, when boosted. */
  boost: number | null;
  banned: boolean;
};

export type PaletteColour = { value: string; hex: string; weight: number };
export type TopValue = { attribute: string; value: string; weight: number };

export type ProfileEdits = {
  pinned: Record<string, string[]>;
  boosted: Record<string, Record<string, number>>;
  banned: Record<string, string[]>;
  summary: string | null;
};

export type StyleProfile = {
  version: number;
  updated_at: string | null;
  /** Images still being analysed. */
  pending: number;
  image_count: number;
  /** What the profile says: the designer's own words when `summary_edited`. */
  summary: string;
  generated_summary: string;
  summary_edited: boolean;
  attributes: Record<string, ProfileValue[]>;
  palette: PaletteColour[];
  top: TopValue[];
  edits: ProfileEdits;
};

export type EditOp = "pin" | "unpin" | "boost" | "unboost" | "ban" | "unban";
export type ProfileEdit = { op: EditOp; attribute: string; value: string; factor?: number };
/** The body of PATCH /api/style-profile: `summary` null goes back to the generated one. */
export type ProfilePatch = { edits: ProfileEdit[]; summary?: string | null };

export type ProfileVersion = {
  version: number;
  created_at: string;
  reason: string | null;
  summary: string | null;
  image_count: number;
  top: TopValue[];
};

/** Live progress of an analysis job (the `analysis.progress` events). */
export type AnalysisJobProgress = { done: number; failed: number; total: number; finished: boolean };

// -- keys -----------------------------------------------------------------------------------

export const portfolioKey = ["portfolio"] as const;
export const styleProfileKey = ["style-profile"] as const;
export const styleHistoryKey = ["style-profile", "history"] as const;
/** Filled by the live events only (LiveEvents.tsx), never fetched. */
export const analysisJobKey = (jobId: string) => ["analysis-job", jobId] as const;

/** After the portfolio or its analyses changed: the list and the profile are asked again. */
export function portfolioChanged(queryClient: QueryClient) {
  void queryClient.invalidateQueries({ queryKey: portfolioKey });
  void queryClient.invalidateQueries({ queryKey: styleProfileKey });
}

/** One image's analysis status changed (an `analysis.progress` event): shown at once. */
export function patchAnalysisStatus(
  queryClient: QueryClient,
  imageId: string,
  status: AnalysisStatus,
  error?: { code: string; message: string } | null,
) {
  queryClient.setQueriesData<PortfolioPages>({ queryKey: portfolioKey }, (data) =>
    data?.pages?.some((p) => p.items.some((i) => i.id === imageId))
      ? {
          ...data,
          pages: data.pages.map((p) => ({
            ...p,
            items: p.items.map((i) =>
              i.id === imageId
                ? { ...i, analysis: { ...i.analysis, status, error: status === "failed" ? (error ?? i.analysis.error) : null } }
                : i,
            ),
          })),
        }
      : data,
  );
}

// -- the portfolio --------------------------------------------------------------------------

export const PORTFOLIO_PATH = "/api/portfolio";
const PORTFOLIO_PAGE = 60;
/** What the API takes in one upload (POST /api/portfolio). */
export const MAX_UPLOAD_BYTES = 500 * 1024 * 1024;
export const MAX_UPLOAD_IMAGES = 500;
export const ACCEPTED_TYPES =
  "image/jpeg,image/png,image/webp,image/avif,image/heic,image/heif,.jpg,.jpeg,.png,.webp,.avif,.heic,.heif,.zip,application/zip";

export function usePortfolio() {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: portfolioKey,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      api.json<PortfolioPage>(withCursor(PORTFOLIO_PATH, PORTFOLIO_PAGE, pageParam), { signal }),
    getNextPageParam: (last) => last.next_cursor,
    retry: retryServerErrors,
  });
}

export function useRemoveFromPortfolio() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.json<void>(`${PORTFOLIO_PATH}/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: (_, id) => {
      queryClient.setQueriesData<PortfolioPages>({ queryKey: portfolioKey }, (data) =>
        data?.pages
          ? {
              ...data,
              pages: data.pages.map((p) => ({
                ...p,
                items: p.items.filter((i) => i.id !== id),
                total: Math.max(0, p.total - 1),
              })),
            }
          : data,
      );
      portfolioChanged(queryClient);
    },
  });
}

export type UploadProgress = { loaded: number; total: number };

type Answer = { status: number; text: string };

/** One multipart POST by XMLHttpRequest, which (unlike fetch) reports the upload's progress. */
function post(form: FormData, token: string | null, onProgress: (p: UploadProgress) => void, signal?: AbortSignal) {
  return new Promise<Answer>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException("The upload was cancelled.", "AbortError"));
      return;
    }
    const xhr = new XMLHttpRequest();
    const abort = () => xhr.abort();
    const done = () => signal?.removeEventListener("abort", abort);
    xhr.open("POST", PORTFOLIO_PATH);
    xhr.setRequestHeader("Accept", "application/json");
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress({ loaded: e.loaded, total: e.total });
    };
    xhr.onload = () => {
      done();
      resolve({ status: xhr.status, text: xhr.responseText });
    };
    xhr.onerror = () => {
      done();
      reject(new TypeError("The upload could not reach the studio."));
    };
    xhr.onabort = () => {
      done();
      reject(new DOMException("The upload was cancelled.", "AbortError"));
    };
    signal?.addEventListener("abort", abort);
    xhr.send(form);
  });
}

function errorOf(answer: Answer): ApiError {
  try {
    const body = JSON.parse(answer.text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error) {
      return new ApiError(answer.status, body.error.code ?? "error", body.error.message ?? "", body.error.details);
    }
  } catch {
    // not JSON (a proxy's page): fall through
  }
  return new ApiError(answer.status, "http_error", `The server answered ${answer.status}.`);
}

const ENDED = "Your session has ended. Log in again to carry on.";

/** POST /api/portfolio (field `files`, repeated), with the token and refresh of every other
 *  call: when the access token has expired, it is refreshed once and the upload sent again. */
export async function uploadPortfolio(
  api: Api,
  files: File[],
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<UploadOut> {
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  let answer = await post(form, api.accessToken, onProgress, signal);
  if (answer.status === 401 && api.signedIn) {
    const fresh = await api.refresh();
    if (fresh === null) {
      // The client ends the session (back to the login page) when a call of its own is
      // refused for good: ask it for one.
      await api.json("/api/auth/me").catch(() => undefined);
      throw new ApiError(401, SESSION_EXPIRED, ENDED);
    }
    onProgress({ loaded: 0, total: 0 });
    answer = await post(form, fresh, onProgress, signal);
  }
  if (answer.status < 200 || answer.status >= 300) throw errorOf(answer);
  return JSON.parse(answer.text) as UploadOut;
}

export function useUploadPortfolio() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ files, onProgress, signal }: { files: File[]; onProgress(p: UploadProgress): void; signal?: AbortSignal }) =>
      uploadPortfolio(api, files, onProgress, signal),
    onSettled: () => portfolioChanged(queryClient),
  });
}

/** How much of each file (0..1) has been sent, from the request's progress: the files go
 *  in order, and the multipart framing around them is spread over them. */
export function fileProgress(sizes: number[], progress: UploadProgress | null): number[] {
  if (!progress || progress.total <= 0) return sizes.map(() => 0);
  const sum = sizes.reduce((a, b) => a + b, 0);
  const sent = (progress.loaded / progress.total) * sum;
  let before = 0;
  return sizes.map((size) => {
    const share = size > 0 ? (sent - before) / size : sent >= before ? 1 : 0;
    before += size;
    return Math.min(1, Math.max(0, share));
  });
}

export const isZip = (file: File) => /\.zip$/i.test(file.name) || file.type === "application/zip" || file.type === "application/x-zip-compressed";

/** Why files cannot be sent at all (the API's limits), before sending them; null if they can. */
export function uploadRefusal(files: File[]): string | null {
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  if (bytes > MAX_UPLOAD_BYTES) return "That is more than 500 MB in one upload. Send fewer files at a time.";
  if (files.filter((f) => !isZip(f)).length > MAX_UPLOAD_IMAGES) {
    return "That is more than 500 images in one upload. Send fewer files at a time.";
  }
  return null;
}

const UPLOAD_ERRORS: Record<string, string> = {
  upload_too_large: "That upload is over 500 MB. Send fewer or smaller files at a time.",
  too_many_files: "That upload holds more than 500 images. Send fewer at a time.",
  zip_bomb: "A zip would unpack to far more than it holds, so the upload was refused.",
  unsafe_zip: "A zip holds files outside its own folder, so the upload was refused.",
  malformed_upload: "The upload arrived damaged. Try again.",
  no_images: "None of the files is an image the studio can use (JPEG, PNG, WebP, AVIF or HEIC, or a zip of them).",
};

/** Why an upload failed, in plain words. */
export function describeUploadError(error: unknown): string {
  if (error instanceof DOMException && error.name === "AbortError") return "Upload cancelled.";
  if (error instanceof ApiError) {
    if (error.code === "file_too_large") return error.message || "A file is too large.";
    if (UPLOAD_ERRORS[error.code]) return UPLOAD_ERRORS[error.code];
    if (error.status === 413) return UPLOAD_ERRORS.upload_too_large;
  }
  return describeError(error);
}

/** The files a refused upload named (422 `no_images`: `details.errors`). */
export function problemsOf(error: unknown): FileProblem[] {
  if (!(error instanceof ApiError)) return [];
  const errors = (error.details as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) ? (errors as FileProblem[]) : [];
}

/** Live progress of an analysis job, as the `analysis.progress` events leave it in the cache
 *  (undefined until the first one). */
export function useAnalysisJob(jobId: string | null) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: analysisJobKey(jobId ?? ""),
    enabled: jobId !== null,
    queryFn: () => queryClient.getQueryData<AnalysisJobProgress>(analysisJobKey(jobId ?? "")) ?? null,
    staleTime: Infinity,
  }).data;
}

// -- the style profile ----------------------------------------------------------------------

export function useStyleProfile() {
  const api = useApi();
  return useQuery({
    queryKey: styleProfileKey,
    queryFn: ({ signal }) => api.json<StyleProfile>("/api/style-profile", { signal }),
    retry: retryServerErrors,
  });
}

export function useStyleHistory() {
  const api = useApi();
  return useQuery({
    queryKey: styleHistoryKey,
    queryFn: ({ signal }) => api.json<{ items: ProfileVersion[] }>("/api/style-profile/history", { signal }),
    retry: retryServerErrors,
  });
}

export function useEditStyleProfile() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ProfilePatch) => api.json<StyleProfile>("/api/style-profile", { method: "PATCH", body }),
    onSuccess: (profile) => {
      queryClient.setQueryData(styleProfileKey, profile);
      void queryClient.invalidateQueries({ queryKey: styleHistoryKey });
    },
  });
}

const EDIT_ERRORS: Record<string, string> = {
  unknown_attribute: "The studio does not know that attribute.",
  unknown_value: "The studio does not know that value.",
  bad_factor: "A boost must be more than 0 and at most 10 times.",
};

/** Why a profile edit was refused, in plain words (the API's own when it says more). */
export function describeEditError(error: unknown): string {
  if (error instanceof ApiError && EDIT_ERRORS[error.code] && !error.message) return EDIT_ERRORS[error.code];
  return describeError(error);
}

/** A taxonomy value as words ("a_line" → "a line"). */
export const pretty = (value: string) => value.replace(/_/g, " ");

/** A share (0..1) as a whole percentage, never "0%" for something there. */
export function percent(weight: number): string {
  const p = Math.round(weight * 100);
  return weight > 0 && p === 0 ? "<1%" : `${p}%`;
}
