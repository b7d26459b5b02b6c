import { afterEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import axe from "axe-core";
import { useLocation } from "react-router";
import { StyleProfilePage } from "./StyleProfilePage";
import type { ProfileEdit, ProfilePatch, StyleProfile } from "../api/portfolio";
import { renderWithApp, type Handlers } from "../test/render";

afterEach(cleanup);

function Where() {
  const location = useLocation();
  return <span data-testid="where">{location.pathname}</span>;
}

const value = (v: string, weight: number, more: Partial<StyleProfile["attributes"][string][number]> = {}) => ({
  value: v,
  weight,
  pinned: false,
  boost: null,
  banned: false,
  ...more,
});

const GENERATED = "Mostly navy midi dresses in silk, often floral.";

function profile(overrides: Partial<StyleProfile> = {}): StyleProfile {
  return {
    version: 4,
    updated_at: "2026-12-04T09:00:00Z",
    pending: 3,
    image_count: 12,
    summary: GENERATED,
    generated_summary: GENERATED,
    summary_edited: false,
    attributes: {
      garment_type: [value("dress", 0.75), value("skirt", 0.25)],
      colors: [value("navy", 0.4), value("off_white", 0.35), value("red", 0.25)],
      patterns: [value("floral", 0.45), value("solid", 0.55)],
    },
    palette: [
      { value: "navy", hex: "#1f2a44", weight: 0.4 },
      { value: "off_white", hex: "#f4efe6", weight: 0.35 },
    ],
    top: [{ attribute: "garment_type", value: "dress", weight: 0.75 }],
    edits: { pinned: {}, boosted: {}, banned: {}, summary: null },
    ...overrides,
  };
}

const HISTORY = {
  items: [
    { version: 4, created_at: "2026-12-04T09:00:00Z", reason: "analysed 3 images", summary: GENERATED, image_count: 12, top: [] },
    { version: 3, created_at: "2026-12-01T15:30:00Z", reason: "removed old-look.jpg", summary: "Mostly navy dresses.", image_count: 9, top: [] },
  ],
};

const VOCABULARY = {
  attributes: [
    { field: "garment_type", multi: false, values: ["dress", "skirt", "jumpsuit"] },
    { field: "colors", multi: true, values: ["navy", "off_white", "red", "mustard"] },
    { field: "patterns", multi: true, values: ["floral", "solid", "paisley", "animal_print"] },
  ],
};

/** The API's edits, as the server applies them to the fake profile (in order). */
function applyEdit(p: StyleProfile, edit: ProfileEdit): StyleProfile {
  const list = (p.attributes[edit.attribute] ?? []).map((v) => {
    if (v.value !== edit.value) return v;
    switch (edit.op) {
      case "pin":
        return { ...v, pinned: true, banned: false };
      case "unpin":
        return { ...v, pinned: false };
      case "boost":
        return { ...v, boost: edit.factor ?? 2 };
      case "unboost":
        return { ...v, boost: null };
      case "ban":
        return { ...v, banned: true, pinned: false };
      case "unban":
        return { ...v, banned: false };
    }
  });
  const named = (group: Record<string, string[]>, on: boolean) => {
    const values = (group[edit.attribute] ?? []).filter((v) => v !== edit.value);
    return { ...group, [edit.attribute]: on ? [...values, edit.value] : values };
  };
  const edits = { ...p.edits };
  if (edit.op === "ban" || edit.op === "unban") edits.banned = named(edits.banned, edit.op === "ban");
  if (edit.op === "pin" || edit.op === "unpin") edits.pinned = named(edits.pinned, edit.op === "pin");
  return { ...p, attributes: { ...p.attributes, [edit.attribute]: list }, edits, version: p.version + 1 };
}

/** A profile that PATCH changes, refusing values the taxonomy does not have. */
function server(start: StyleProfile = profile(), overrides: Handlers = {}): Handlers {
  let current = start;
  return {
    "GET /api/style-profile": () => ({ body: current }),
    "GET /api/style-profile/history": () => ({ body: HISTORY }),
    "GET /api/voice/vocabulary": () => ({ body: VOCABULARY }),
    "PATCH /api/style-profile": (call) => {
      const body = call.body as ProfilePatch;
      for (const edit of body.edits) {
        const known = VOCABULARY.attributes.find((a) => a.field === edit.attribute)?.values ?? [];
        if (!known.includes(edit.value)) {
          return { status: 422, body: { error: { code: "unknown_value", message: `Unknown value '${edit.value}'.` } } };
        }
        current = applyEdit(current, edit);
      }
      if ("summary" in body) {
        current = {
          ...current,
          summary: body.summary ?? current.generated_summary,
          summary_edited: body.summary !== null && body.summary !== undefined,
          edits: { ...current.edits, summary: body.summary ?? null },
        };
      }
      return { body: current };
    },
    ...overrides,
  };
}

function setup(handlers: Handlers = server()) {
  return renderWithApp(
    <>
      <StyleProfilePage />
      <Where />
    </>,
    handlers,
    { path: "/style-profile" },
  );
}

const patches = (calls: { method: string; url: string; body: unknown }[]) =>
  calls.filter((c) => c.method === "PATCH" && c.url === "/api/style-profile").map((c) => c.body);

async function expectNoSeriousViolations() {
  const results = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(", ")}`);
  expect(serious).toEqual([]);
}

const texts = (list: HTMLElement) => within(list).getAllByRole("listitem").map((li) => li.textContent);

describe("StyleProfilePage", () => {
  it("shows the summary, the palette, the bars per attribute and what is still pending", async () => {
    setup();
    expect(screen.getByRole("heading", { level: 1, name: "Style profile" })).toBeTruthy();
    const summary = await screen.findByRole("region", { name: "Summary" });
    expect(within(summary).getByText(GENERATED)).toBeTruthy();
    expect(within(summary).queryByRole("button", { name: "Use generated summary" })).toBeNull();
    expect(screen.getByText("3 images still being analysed. The profile changes as each one is done.")).toBeTruthy();

    const palette = screen.getByRole("list", { name: "Palette" });
    expect(texts(palette)).toEqual(["navy40% · #1f2a44", "off white35% · #f4efe6"]);
    const swatch = palette.querySelector(".sp-swatch") as HTMLElement;
    expect(swatch.style.backgroundColor).toBe("rgb(31, 42, 68)");
    expect(swatch.getAttribute("aria-hidden")).toBe("true");

    const colours = screen.getByRole("list", { name: "Colours" });
    expect(texts(colours)).toEqual(["navy40%PinBoostBan", "off white35%PinBoostBan", "red25%PinBoostBan"]);
    const bar = within(colours).getAllByRole("listitem")[0].querySelector(".sp-bar > span") as HTMLElement;
    expect(bar.style.width).toBe("40%");
    expect(texts(screen.getByRole("list", { name: "Garment types" }))[0]).toBe("dress75%PinBoostBan");
    // Attributes with nothing analysed are left out.
    expect(screen.queryByRole("list", { name: "Fabrics" })).toBeNull();
    await expectNoSeriousViolations();
  });

  it("bans a value with its toggle, sending the edit, and shows the new state", async () => {
    const { calls, user } = setup();
    const patterns = await screen.findByRole("list", { name: "Patterns" });
    const floral = within(patterns).getAllByRole("listitem")[0];
    const ban = within(floral).getByRole("button", { name: "Ban floral" });
    expect(ban.getAttribute("aria-pressed")).toBe("false");

    await user.click(ban);
    await waitFor(() => expect(ban.getAttribute("aria-pressed")).toBe("true"));
    expect(patches(calls)).toEqual([{ edits: [{ op: "ban", attribute: "patterns", value: "floral" }] }]);
    expect(floral.textContent).toContain("(banned)");
    expect(screen.getByText("Floral banned: new designs leave it out.")).toBeTruthy();
    const edits = screen.getByRole("region", { name: "Your edits" });
    expect(within(edits).getByText("Banned pattern: floral")).toBeTruthy();

    // Pressed again: unbanned.
    await user.click(ban);
    await waitFor(() => expect(ban.getAttribute("aria-pressed")).toBe("false"));
    expect(patches(calls)[1]).toEqual({ edits: [{ op: "unban", attribute: "patterns", value: "floral" }] });
    expect(within(edits).getByText("Nothing pinned, boosted or banned.")).toBeTruthy();

    // Boost asks for twice as often.
    await user.click(within(floral).getByRole("button", { name: "Boost floral" }));
    await waitFor(() => expect(within(floral).getByRole("button", { name: "Boost floral" }).getAttribute("aria-pressed")).toBe("true"));
    expect(patches(calls)[2]).toEqual({ edits: [{ op: "boost", attribute: "patterns", value: "floral", factor: 2 }] });
  });

  it("pins or bans any taxonomy value, and says when the API refuses", async () => {
    const { calls, user } = setup(
      server(profile(), {
        "GET /api/voice/vocabulary": () => ({
          body: { attributes: [...VOCABULARY.attributes.slice(0, 2), { field: "patterns", multi: true, values: ["floral", "paisley", "tartan"] }] },
        }),
      }),
    );
    const edits = await screen.findByRole("region", { name: "Your edits" });
    const form = within(edits).getByRole("form", { name: "Pin or ban any value" });
    const banButton = within(form).getByRole("button", { name: "Ban value" }) as HTMLButtonElement;
    expect(banButton.disabled).toBe(true);
    await user.selectOptions(within(form).getByRole("combobox", { name: "Attribute" }), "patterns");
    const values = within(form).getByRole("combobox", { name: "Value" });
    await waitFor(() => expect(within(values).getAllByRole("option").map((o) => o.textContent)).toEqual(["Choose a value", "floral", "paisley", "tartan"]));

    await user.selectOptions(values, "paisley");
    await user.click(banButton);
    expect(await within(edits).findByText("Banned pattern: paisley")).toBeTruthy();
    expect(patches(calls)).toEqual([{ edits: [{ op: "ban", attribute: "patterns", value: "paisley" }] }]);

    // "tartan" is not in the server's taxonomy: its refusal is shown.
    await user.selectOptions(values, "tartan");
    await user.click(within(form).getByRole("button", { name: "Pin value" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Not changed: Unknown value 'tartan'.");

    // And the edit comes off again from the list.
    await user.click(within(edits).getByRole("button", { name: "Unban paisley" }));
    await waitFor(() => expect(within(edits).queryByText("Banned pattern: paisley")).toBeNull());
    expect(patches(calls)[2]).toEqual({ edits: [{ op: "unban", attribute: "patterns", value: "paisley" }] });
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("edits the summary, and goes back to the generated one", async () => {
    const { calls, user } = setup();
    const summary = await screen.findByRole("region", { name: "Summary" });
    await user.click(within(summary).getByRole("button", { name: "Edit summary" }));
    const box = within(summary).getByRole("textbox", { name: "Your summary" }) as HTMLTextAreaElement;
    expect(box.value).toBe(GENERATED);
    await user.clear(box);
    await user.type(box, "Quiet tailoring in deep blues.");
    await expectNoSeriousViolations();
    await user.click(within(summary).getByRole("button", { name: "Save summary" }));

    expect(await within(summary).findByText("Quiet tailoring in deep blues.")).toBeTruthy();
    expect(within(summary).queryByRole("textbox")).toBeNull();
    expect(within(summary).getByText("In your own words.")).toBeTruthy();
    expect(screen.getByText("Summary saved.")).toBeTruthy();

    await user.click(within(summary).getByRole("button", { name: "Use generated summary" }));
    expect(await within(summary).findByText(GENERATED)).toBeTruthy();
    expect(within(summary).queryByText("In your own words.")).toBeNull();
    expect(within(summary).queryByRole("button", { name: "Use generated summary" })).toBeNull();
    expect(patches(calls)).toEqual([
      { edits: [], summary: "Quiet tailoring in deep blues." },
      { edits: [], summary: null },
    ]);
  });

  it("lists the versions of the profile", async () => {
    setup();
    const history = await screen.findByRole("region", { name: "History" });
    const list = await within(history).findByRole("list", { name: "History" });
    const rows = within(list).getAllByRole("listitem");
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toMatch(/^Version 4 · .+Analysed 3 images.*Mostly navy midi dresses in silk, often floral\.From 12 images$/);
    expect(rows[1].textContent).toMatch(/^Version 3 · .+Removed old-look\.jpgMostly navy dresses\.From 9 images$/);
    expect(rows[0].querySelector("time")?.getAttribute("dateTime")).toBe("2026-12-04T09:00:00Z");
  });

  it("sends a designer with an empty profile to the portfolio", async () => {
    const { user } = setup(
      server(
        profile({
          pending: 0,
          image_count: 0,
          summary: "",
          generated_summary: "",
          attributes: {},
          palette: [],
          top: [],
        }),
        { "GET /api/style-profile/history": () => ({ body: { items: [] } }) },
      ),
    );
    expect(await screen.findByRole("heading", { name: "Your style profile is empty" })).toBeTruthy();
    expect(screen.queryByRole("region", { name: "Summary" })).toBeNull();
    expect(screen.queryByText(/still being analysed/)).toBeNull();
    expect(await screen.findByText("No version yet.")).toBeTruthy();
    await expectNoSeriousViolations();
    await user.click(screen.getByRole("link", { name: "Upload a portfolio" }));
    expect(screen.getByTestId("where").textContent).toBe("/portfolio");
  });
});
