import { useState } from "react";
import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ApiError } from "../api/client";
import { LiveContext, type JobState, type Live } from "../live/LiveEvents";
import { JobsTray } from "./JobsTray";

/** A tray over jobs kept in state, with a cancel that answers as `answer` says. */
function Tray({ answer }: { answer: "cancelled" | "refused" }) {
  const [jobs, setJobs] = useState<JobState[]>([
    { id: "j1", label: "40 linen shirts", done: 12, total: 40, status: "running" },
  ]);
  const live: Live = {
    connected: true,
    jobs,
    track: () => undefined,
    dismiss: (id) => setJobs((all) => all.filter((j) => j.id !== id)),
    cancel: async (id) => {
      if (answer === "refused") throw new ApiError(409, "job_finished", "This generation has already finished.");
      setJobs((all) => all.map((j) => (j.id === id ? { ...j, status: "cancelled" } : j)));
    },
  };
  return (
    <LiveContext.Provider value={live}>
      <JobsTray />
    </LiveContext.Provider>
  );
}

describe("JobsTray", () => {
  it("cancels a running generation, then offers to dismiss it", async () => {
    render(<Tray answer="cancelled" />);
    const list = screen.getByRole("list", { name: "Generations" });
    expect(list.textContent).toContain("Designing · 12 of 40");
    await userEvent.click(screen.getByRole("button", { name: "Cancel 40 linen shirts" }));
    expect(list.textContent).toContain("Cancelled · 12 of 40");
    await userEvent.click(screen.getByRole("button", { name: "Dismiss 40 linen shirts" }));
    expect(screen.queryByRole("list", { name: "Generations" })).toBeNull();
  });

  it("says plainly why a cancel was refused, and keeps the job", async () => {
    render(<Tray answer="refused" />);
    await userEvent.click(screen.getByRole("button", { name: "Cancel 40 linen shirts" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "40 linen shirts could not be cancelled: This generation has already finished.",
    );
    expect(screen.getByRole("button", { name: "Cancel 40 linen shirts" })).not.toHaveProperty("disabled", true);
  });
});
