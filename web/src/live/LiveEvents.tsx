import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { io, type Socket } from "socket.io-client";
import { useQueryClient, type InfiniteData } from "@tanstack/react-query";
import type { Api } from "../api/client";
import type { VoiceSocket } from "../api/voice";
import type { GalleryItem, ImageCreated, Page } from "../api/types";
import { galleryKey } from "../gallery/queries";
import { spendingChanged } from "../api/costs";
import { analyticsChanged } from "../api/analytics";
import { collectionsKey } from "../api/collections";
import { learningChanged } from "../api/learning";
import { nightlyChanged, type NightlyRun } from "../api/nightly";
import {
  analysisJobKey,
  patchAnalysisStatus,
  portfolioChanged,
  type AnalysisJobProgress,
  type AnalysisStatus,
} from "../api/portfolio";

/** `analysis.progress`: one image of the portfolio (or of a batch) analysed, or started. */
type AnalysisProgress = {
  analysis_id: string;
  image_id: string | null;
  job_id: string | null;
  status: AnalysisStatus;
  done: number | null;
  failed: number | null;
  total: number | null;
  error?: { code: string; message: string };
};

/** `analysis.completed`: every image of an analysis job has been analysed (or failed). */
type AnalysisCompleted = { job_id: string; done: number; failed: number; total: number; kind: string };

/** How long analyses' events are gathered before the portfolio and profile are asked again
 *  (a large upload sends one or two per image). */
const ANALYSIS_REFRESH_MS = 1500;

export type JobState = {
  id: string;
  label: string;
  done: number;
  total: number;
  status: "queued" | "running" | "completed" | "failed" | "cancelled";
};

export type Live = {
  connected: boolean;
  jobs: JobState[];
  track(job: { id: string; label: string; total: number }): void;
  dismiss(id: string): void;
  /** Stop the designs of a job not yet made (those made stay); rejects with the API's error. */
  cancel(id: string): Promise<void>;
  /** The connection, for streaming speech (partial transcripts); null before it is opened,
   *  absent where there is none. Its `connected` says whether it can be used now. */
  socket?: VoiceSocket | null;
};

export const LiveContext = createContext<Live | null>(null);

/** A design from its `image.created` event, as a gallery item. */
export function itemFromEvent(e: ImageCreated): GalleryItem {
  return {
    id: e.id,
    type: "generated",
    title: e.title ?? null,
    width: e.width,
    height: e.height,
    ratio: e.width && e.height ? e.width / e.height : null,
    thumbhash: e.thumbhash,
    dominant_color: e.dominant_color,
    urls: { ...e.urls, thumb: e.urls?.thumb ?? e.thumbnail_url },
    spec: e.spec ?? { garment_type: e.garment_type },
    provider: e.provider,
    is_outlier: false,
    job_id: e.job_id,
    created_at: e.created_at ?? new Date().toISOString(),
  };
}

/** Socket.IO at /socket.io with the access token; designs and job progress as they happen. */
export function LiveProvider({ api, children }: { api: Api; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [connected, setConnected] = useState(false);
  const [jobs, setJobs] = useState<JobState[]>([]);
  const [voiceSocket, setVoiceSocket] = useState<VoiceSocket | null>(null);

  useEffect(() => {
    const socket: Socket = io({
      path: "/socket.io",
      // A function, so every reconnection sends the current (perhaps refreshed) token.
      auth: (cb) => cb({ token: api.accessToken }),
    });
    setVoiceSocket(socket);
    const patch = (id: string, change: Partial<JobState>) =>
      setJobs((all) => {
        const known = all.some((j) => j.id === id);
        const base: JobState = { id, label: "Designs", done: 0, total: 0, status: "queued" };
        return known ? all.map((j) => (j.id === id ? { ...j, ...change } : j)) : [{ ...base, ...change }, ...all];
      });

    socket.on("connect", () => setConnected(true));
    socket.on("disconnect", () => setConnected(false));
    socket.on("connect_error", async (err: Error & { data?: { code?: string } }) => {
      setConnected(false);
      const code = err.data?.code;
      if (code === "token_expired" || code === "invalid_token") {
        // Refused for an old token: refresh it (invisibly) and try again.
        if (await api.refresh().catch(() => null)) socket.connect();
      }
    });
    socket.on("job.queued", (e: { job_id: string; total: number }) =>
      patch(e.job_id, { total: e.total, status: "queued" }),
    );
    socket.on("job.progress", (e: { job_id: string; done: number; total: number }) =>
      patch(e.job_id, { done: e.done, total: e.total, status: "running" }),
    );
    // Designs are charged as they are made: every figure of spending is asked again then,
    // and when the job ends (a cost page opened mid-job would otherwise stay behind).
    // A finished job also changes the analytics (designs, cost) and what was learned
    // (designs shown count a little), which are asked again if their page is open.
    const jobEnded = () => {
      spendingChanged(queryClient);
      analyticsChanged(queryClient);
      learningChanged(queryClient);
    };
    socket.on("job.completed", (e: { job_id: string; done: number; total: number }) => {
      patch(e.job_id, { done: e.done, total: e.total, status: "completed" });
      jobEnded();
    });
    socket.on("job.failed", (e: { job_id: string }) => {
      patch(e.job_id, { status: "failed" });
      jobEnded();
    });
    socket.on("job.cancelled", (e: { job_id: string }) => {
      patch(e.job_id, { status: "cancelled" });
      jobEnded();
    });
    // A night's batch is done: its run, the next run, its collection and every figure it moved.
    socket.on("nightly.ready", (_run: NightlyRun) => {
      nightlyChanged(queryClient);
      void queryClient.invalidateQueries({ queryKey: collectionsKey });
      jobEnded();
    });
    socket.on("image.created", (e: ImageCreated) => {
      spendingChanged(queryClient);
      const item = itemFromEvent(e);
      // New designs are not outliers: they join the top of the "all designs" view.
      queryClient.setQueryData<InfiniteData<Page<GalleryItem>>>(galleryKey({ outliers: false }), (data) => {
        if (!data || data.pages.some((p) => p.items.some((i) => i.id === item.id))) return data;
        const [first, ...rest] = data.pages;
        return { ...data, pages: [{ ...first, items: [item, ...first.items] }, ...rest] };
      });
    });

    // The portfolio's analyses: each image's status is shown at once; the list (with the
    // analysed colours and patterns) and the style profile are asked again, at most every
    // ANALYSIS_REFRESH_MS while a job runs, and when it completes.
    let refreshTimer: ReturnType<typeof setTimeout> | null = null;
    const refreshNow = () => {
      if (refreshTimer !== null) clearTimeout(refreshTimer);
      refreshTimer = null;
      portfolioChanged(queryClient);
    };
    const refreshSoon = () => {
      refreshTimer ??= setTimeout(refreshNow, ANALYSIS_REFRESH_MS);
    };
    socket.on("analysis.progress", (e: AnalysisProgress) => {
      if (e.image_id) patchAnalysisStatus(queryClient, e.image_id, e.status, e.error);
      if (e.job_id && e.total !== null) {
        queryClient.setQueryData<AnalysisJobProgress>(analysisJobKey(e.job_id), (before) => ({
          done: Math.max(before?.done ?? 0, e.done ?? 0),
          failed: Math.max(before?.failed ?? 0, e.failed ?? 0),
          total: e.total ?? 0,
          finished: before?.finished ?? false,
        }));
      }
      refreshSoon();
    });
    socket.on("analysis.completed", (e: AnalysisCompleted) => {
      queryClient.setQueryData<AnalysisJobProgress>(analysisJobKey(e.job_id), {
        done: e.done,
        failed: e.failed,
        total: e.total,
        finished: true,
      });
      refreshNow();
    });
    socket.on("profile.updated", refreshSoon);
    return () => {
      if (refreshTimer !== null) clearTimeout(refreshTimer);
      socket.removeAllListeners();
      socket.disconnect();
      setVoiceSocket(null);
    };
  }, [api, queryClient]);

  const value = useMemo<Live>(
    () => ({
      connected,
      jobs,
      track: (job) =>
        setJobs((all) =>
          all.some((j) => j.id === job.id)
            ? all.map((j) => (j.id === job.id ? { ...j, label: job.label } : j))
            : [{ id: job.id, label: job.label, done: 0, total: job.total, status: "queued" }, ...all],
        ),
      dismiss: (id) => setJobs((all) => all.filter((j) => j.id !== id)),
      cancel: async (id) => {
        const job = await api.json<{ status: JobState["status"] }>(`/api/generations/${id}/cancel`, { method: "POST" });
        // The job.cancelled event says so too; the answer is enough when events lag.
        setJobs((all) => all.map((j) => (j.id === id ? { ...j, status: job.status } : j)));
      },
      socket: voiceSocket,
    }),
    [api, connected, jobs, voiceSocket],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLive(): Live {
  const value = useContext(LiveContext);
  if (!value) throw new Error("useLive outside LiveProvider");
  return value;
}
