import { useState } from "react";
import { describeError } from "../api/client";
import { useLive } from "../live/LiveEvents";

const STATUS: Record<string, string> = {
  queued: "Queued",
  running: "Designing",
  completed: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** Generations in flight, with their progress. */
export function JobsTray() {
  const { jobs, dismiss, cancel } = useLive();
  const [stopping, setStopping] = useState<ReadonlySet<string>>(() => new Set());
  const [problem, setProblem] = useState<string | null>(null);
  if (jobs.length === 0) return null;

  const stop = async (id: string, label: string) => {
    setProblem(null);
    setStopping((s) => new Set(s).add(id));
    try {
      await cancel(id);
    } catch (err) {
      setProblem(`${label} could not be cancelled: ${describeError(err)}`);
    } finally {
      setStopping((s) => {
        const next = new Set(s);
        next.delete(id);
        return next;
      });
    }
  };
  return (
    <>
    <ul className="jobs" aria-label="Generations">
      {jobs.slice(0, 4).map((job) => {
        const finished = ["completed", "failed", "cancelled"].includes(job.status);
        return (
          <li key={job.id} className={`job ${job.status}`}>
            <div className="job-text">
              <strong>{job.label}</strong>
              <span className="muted">
                {STATUS[job.status]} · {job.done} of {job.total}
              </span>
            </div>
            <progress max={Math.max(job.total, 1)} value={job.done} aria-label={`${job.label} progress`} />
            {finished ? (
              <button
                type="button"
                className="link-button"
                aria-label={`Dismiss ${job.label}`}
                onClick={() => dismiss(job.id)}
              >
                Dismiss
              </button>
            ) : (
              <button
                type="button"
                className="link-button"
                disabled={stopping.has(job.id)}
                aria-label={`${stopping.has(job.id) ? "Cancelling" : "Cancel"} ${job.label}`}
                onClick={() => void stop(job.id, job.label)}
              >
                {stopping.has(job.id) ? "Cancelling…" : "Cancel"}
              </button>
            )}
          </li>
        );
      })}
    </ul>
    {problem && (
      <p className="notice error" role="alert">
        {problem}
      </p>
    )}
    </>
  );
}
