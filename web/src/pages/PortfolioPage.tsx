import { useId, useMemo, useRef, useState, type DragEvent } from "react";
import { Link } from "react-router";
import {
  ACCEPTED_TYPES,
  describeUploadError,
  fileProgress,
  problemsOf,
  pretty,
  uploadRefusal,
  useAnalysisJob,
  usePortfolio,
  useRemoveFromPortfolio,
  useStyleProfile,
  useUploadPortfolio,
  type AnalysisStatus,
  type FileProblem,
  type PortfolioAnalysis,
  type PortfolioItem,
  type UploadOut,
  type UploadProgress,
} from "../api/portfolio";
import { ErrorNotice, GridSkeletons, LoadFailed, LoadMore } from "../components/states";
import { Thumb } from "../components/Thumb";
import { useConfirm } from "../components/useConfirm";
import { useDocumentTitle } from "../components/useDocumentTitle";
import "./collections.css";
import "./portfolio.css";

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export function PortfolioPage() {
  useDocumentTitle("Portfolio · Designer BFF");
  const portfolio = usePortfolio();
  const items = useMemo(() => portfolio.data?.pages.flatMap((p) => p.items) ?? [], [portfolio.data]);
  const total = portfolio.data?.pages[0]?.total ?? 0;
  const [uploaded, setUploaded] = useState(false);
  // Where the focus goes when the image that had it is removed.
  const gridHeading = useRef<HTMLHeadingElement>(null);
  const empty = portfolio.isSuccess && total === 0 && items.length === 0;

  return (
    <section className="portfolio" aria-labelledby="portfolio-title">
      <header className="section-head">
        <div>
          <h1 id="portfolio-title">Portfolio</h1>
          <p className="muted">
            Your past work. Each image is analysed, and together they make your{" "}
            <Link to="/style-profile">style profile</Link>.
          </p>
        </div>
      </header>
      {empty && !uploaded && (
        <div className="pf-onboarding">
          <h2>Start with the work you have already made</h2>
          <p>
            Upload photos or flats of your past designs. The studio analyses each one (garment, silhouette, colours,
            patterns, fabrics) and builds your style profile from them, so that new designs lean towards what you make.
          </p>
          <p className="muted small">JPEG, PNG, WebP, AVIF or HEIC images, or zips of them: up to 500 images and 500 MB at a time.</p>
        </div>
      )}
      <Uploader items={items} onUpload={() => setUploaded(true)} />
      {portfolio.isPending && <GridSkeletons className="pf-grid" label="Loading your portfolio" />}
      {portfolio.isError && (
        <LoadFailed lead="Your portfolio could not be loaded: " error={portfolio.error} onRetry={() => void portfolio.refetch()} />
      )}
      {portfolio.data && items.length > 0 && (
        <section aria-labelledby="pf-grid-title" className="pf-images">
          <div className="pf-grid-head">
            <h2 id="pf-grid-title" ref={gridHeading} tabIndex={-1}>
              Your images
            </h2>
            <p className="muted small">{plural(total, "image")}</p>
          </div>
          <PortfolioAnalysed total={total} />
          <ul className="pf-grid">
            {items.map((item) => (
              <PortfolioCard key={item.id} item={item} onRemoved={() => gridHeading.current?.focus()} />
            ))}
          </ul>
          <LoadMore list={portfolio} label="Load more" />
        </section>
      )}
    </section>
  );
}

/** Across the whole portfolio, while some images are still being analysed (the profile
 *  counts them). */
function PortfolioAnalysed({ total }: { total: number }) {
  const profile = useStyleProfile();
  const pending = profile.data?.pending ?? 0;
  if (pending <= 0 || total <= 0) return null;
  return (
    <p className="small pf-analysed" role="status">
      Analysed {Math.max(0, total - pending).toLocaleString()} of {total.toLocaleString()}
    </p>
  );
}

// -- uploading ------------------------------------------------------------------------------------

type Sending = { files: File[]; progress: UploadProgress | null; controller: AbortController };

function Uploader({ items, onUpload }: { items: PortfolioItem[]; onUpload(): void }) {
  const upload = useUploadPortfolio();
  const inputId = useId();
  const hintId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [sending, setSending] = useState<Sending | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);

  const send = (chosen: File[]) => {
    if (!chosen.length || sending) return;
    upload.reset();
    const refused = uploadRefusal(chosen);
    setRefusal(refused);
    if (refused) return;
    onUpload();
    const controller = new AbortController();
    const state: Sending = { files: chosen, progress: null, controller };
    setSending(state);
    upload.mutate(
      {
        files: chosen,
        signal: controller.signal,
        onProgress: (progress) => setSending((s) => (s && s.controller === controller ? { ...s, progress } : s)),
      },
      { onSettled: () => setSending((s) => (s?.controller === controller ? null : s)) },
    );
  };

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    send(Array.from(event.dataTransfer?.files ?? []));
  };

  return (
    <>
      <div
        className={`pf-drop${over ? " over" : ""}${sending ? " busy" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = sending ? "none" : "copy";
          setOver(true);
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
        }}
        onDrop={drop}
      >
        <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" className="pf-drop-icon">
          <path d="M12 16V5m0 0L7.5 9.5M12 5l4.5 4.5M5 19.5h14" />
        </svg>
        <label htmlFor={inputId} className="pf-drop-label">
          Upload images or a zip
        </label>
        <input
          ref={input}
          id={inputId}
          type="file"
          multiple
          accept={ACCEPTED_TYPES}
          className="pf-file-input"
          aria-describedby={hintId}
          disabled={sending !== null}
          onChange={(e) => {
            const chosen = Array.from(e.target.files ?? []);
            e.target.value = ""; // the same files can be chosen again
            send(chosen);
          }}
        />
        <p id={hintId} className="hint">
          Drop files here or choose them. JPEG, PNG, WebP, AVIF or HEIC, or zips of them: up to 500 images and 500 MB at a time.
        </p>
      </div>
      {refusal && (
        <p className="notice error" role="alert">
          {refusal}
        </p>
      )}
      {sending && <SendingList sending={sending} />}
      {upload.isError && <UploadFailed error={upload.error} />}
      {upload.data && <UploadResults out={upload.data} items={items} />}
    </>
  );
}

function SendingList({ sending }: { sending: Sending }) {
  const shares = fileProgress(
    sending.files.map((f) => f.size),
    sending.progress,
  );
  const headingId = useId();
  return (
    <section className="pf-panel" aria-labelledby={headingId} aria-busy="true">
      <div className="pf-panel-head">
        <h2 id={headingId}>Uploading {plural(sending.files.length, "file")}</h2>
        <button type="button" className="button secondary pf-small" onClick={() => sending.controller.abort()}>
          Cancel upload
        </button>
      </div>
      <ul className="pf-files">
        {sending.files.map((file, i) => {
          const share = Math.round(shares[i] * 100);
          return (
            <li key={`${file.name}-${i}`} className="pf-file">
              <span className="pf-file-name">{file.name}</span>
              <progress max={100} value={share} aria-label={`Uploading ${file.name}`} />
              <span className="pf-file-status small">{share >= 100 ? "Sent" : `${share}%`}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function ProblemList({ problems }: { problems: FileProblem[] }) {
  if (!problems.length) return null;
  return (
    <ul className="pf-files">
      {problems.map((p, i) => (
        <li key={`${p.filename}-${i}`} className="pf-file error">
          <span className="pf-file-name">{p.filename}</span>
          <span className="pf-file-status small">Not added: {p.message}</span>
        </li>
      ))}
    </ul>
  );
}

function UploadFailed({ error }: { error: unknown }) {
  return (
    <div className="notice error pf-failed" role="alert">
      <p>Nothing was uploaded. {describeUploadError(error)}</p>
      <ProblemList problems={problemsOf(error)} />
    </div>
  );
}

const STATUS_TEXT: Record<AnalysisStatus, string> = {
  pending: "Waiting to be analysed",
  running: "Analysing…",
  done: "Analysed",
  failed: "Analysis failed",
};

function analysisText(analysis: PortfolioAnalysis): string {
  const text = STATUS_TEXT[analysis.status] ?? analysis.status;
  return analysis.status === "failed" && analysis.error?.message ? `${text}: ${analysis.error.message}` : text;
}

function UploadResults({ out, items }: { out: UploadOut; items: PortfolioItem[] }) {
  const headingId = useId();
  const job = useAnalysisJob(out.analysis?.job_id ?? null);
  // Each accepted image as the portfolio now has it (its analysis refreshed by the live
  // events), else as the upload answered.
  const known = useMemo(() => new Map(items.map((i) => [i.id, i])), [items]);
  const accepted = out.accepted.map((a) => known.get(a.id) ?? a);
  const finished = accepted.filter((a) => a.analysis.status === "done" || a.analysis.status === "failed").length;
  const total = out.analysis?.total ?? accepted.length;
  const analysed = Math.min(total, Math.max(finished, job ? job.done + job.failed : 0));
  const failed = Math.max(job?.failed ?? 0, accepted.filter((a) => a.analysis.status === "failed").length);

  const parts = [
    out.accepted.length ? `${plural(out.accepted.length, "image")} added` : null,
    out.duplicates.length ? `${out.duplicates.length.toLocaleString()} already in your portfolio` : null,
    out.errors.length ? `${plural(out.errors.length, "file")} not added` : null,
  ].filter(Boolean);

  return (
    <section className="pf-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>This upload</h2>
      <p role="status" className="pf-upload-summary">
        {parts.length ? `${parts.join(", ")}.` : "Nothing was added."}
      </p>
      {out.analysis && (
        <div className="pf-analysis-line">
          <progress max={total} value={analysed} aria-label="Analysis of this upload" />
          <p className="small">
            Analysed {analysed.toLocaleString()} of {total.toLocaleString()}
            {failed > 0 && ` (${failed.toLocaleString()} failed)`}
          </p>
        </div>
      )}
      <ul className="pf-files" aria-label="Files of this upload">
        {accepted.map((item) => (
          <li key={item.id} className={`pf-file${item.analysis.status === "failed" ? " error" : ""}`}>
            <span className="pf-file-name">{item.filename ?? "Image"}</span>
            <span className="pf-file-status small">Added · {analysisText(item.analysis)}</span>
          </li>
        ))}
        {out.duplicates.map((d, i) => (
          <li key={`dup-${d.id}-${i}`} className="pf-file">
            <span className="pf-file-name">{d.filename}</span>
            <span className="pf-file-status small">Already in your portfolio</span>
          </li>
        ))}
        {out.errors.map((e, i) => (
          <li key={`err-${e.filename}-${i}`} className="pf-file error">
            <span className="pf-file-name">{e.filename}</span>
            <span className="pf-file-status small">Not added: {e.message}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

// -- the grid ------------------------------------------------------------------------------------

function PortfolioCard({ item, onRemoved }: { item: PortfolioItem; onRemoved(): void }) {
  const remove = useRemoveFromPortfolio();
  const confirm = useConfirm();
  const titleId = useId();
  const textId = useId();
  const name = item.filename ?? "this image";
  const { analysis } = item;
  const chips = [
    ...(analysis.spec?.colors ?? []).map((value) => ({ kind: "colour", value })),
    ...(analysis.spec?.patterns ?? []).map((value) => ({ kind: "pattern", value })),
  ];

  const close = () => {
    remove.reset();
    confirm.close();
  };

  return (
    <li className="pf-card" aria-label={item.filename ?? "Image"}>
      <Thumb picture={item} alt={item.filename ?? "Portfolio image"} shape="3 / 4" sizes="(max-width: 600px) 50vw, 240px" />
      <div className="pf-card-body">
        <p className="pf-card-name" title={item.filename ?? undefined}>
          {item.filename ?? "Image"}
        </p>
        {analysis.status === "failed" ? (
          <p className="pf-card-failed small">
            Analysis failed{analysis.error?.message ? `: ${analysis.error.message}` : "."}
          </p>
        ) : analysis.status !== "done" ? (
          <p className="pf-card-status small muted">{STATUS_TEXT[analysis.status] ?? analysis.status}</p>
        ) : chips.length ? (
          <ul className="chips pf-chips" aria-label="Colours and patterns">
            {chips.map((c) => (
              <li key={`${c.kind}:${c.value}`} className={`pf-chip ${c.kind}`}>
                <span className="visually-hidden">{c.kind}: </span>
                {pretty(c.value)}
              </li>
            ))}
          </ul>
        ) : (
          <p className="pf-card-status small muted">Analysed</p>
        )}
        <button
          type="button"
          className="button pf-remove pf-small"
          aria-label={`Remove ${name}`}
          {...confirm.openerProps}
          onClick={() => confirm.setOpen(true)}
        >
          Remove
        </button>
      </div>
      {confirm.open && (
        <div
          className="pf-confirm"
          role="alertdialog"
          aria-labelledby={titleId}
          aria-describedby={textId}
          onKeyDown={(e) => {
            if (e.key === "Escape") close();
          }}
        >
          <h3 id={titleId}>Remove {name}?</h3>
          <p id={textId} className="small">
            It leaves your portfolio, and what its analysis added leaves your style profile.
          </p>
          {remove.isError && <ErrorNotice error={remove.error} />}
          <div className="pf-confirm-actions">
            <button
              type="button"
              className="button danger pf-small"
              disabled={remove.isPending}
              onClick={() => remove.mutate(item.id, { onSuccess: onRemoved })}
            >
              {remove.isPending ? "Removing…" : "Remove image"}
            </button>
            <button ref={confirm.cancel} type="button" className="button secondary pf-small" onClick={close}>
              Keep it
            </button>
          </div>
        </div>
      )}
    </li>
  );
}
