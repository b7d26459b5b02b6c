// Shapes of the API's answers (see /openapi.json).

export type User = {
  id: string;
  email: string;
  name: string;
  role: string;
  timezone: string;
  created_at: string;
};

export type AuthOut = {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user: User;
};

export type Exclusions = Record<string, string[]>;

export type GarmentSpec = {
  quantity: number | null;
  garment_type: string | null;
  silhouette: string | null;
  length: string | null;
  neckline: string | null;
  sleeve: string | null;
  styles: string[];
  colors: string[];
  palettes: string[];
  patterns: string[];
  fabrics: string[];
  occasions: string[];
  seasons: string[];
  details: string[];
  exclude: Exclusions;
};

export type CommandResult = {
  command_id: string | null;
  intent: string;
  confidence: number;
  spec: GarmentSpec;
  specs: GarmentSpec[];
  target: {
    collection_name?: string | null;
    filters?: Record<string, unknown>;
    [key: string]: unknown;
  };
  reply: string;
  job_id: string | null;
  error: { code: string; message: string } | null;
};

export type HistoryItem = {
  id: string;
  source: string;
  text: string;
  intent: string;
  reply: string | null;
  error_code: string | null;
  job_id: string | null;
  created_at: string;
};

export type Page<T> = { items: T[]; next_cursor: string | null };

export type Job = {
  id: string;
  status: string;
  quantity: number;
  progress: Record<string, number>;
  spec: Partial<GarmentSpec> | null;
  created_at: string;
};

/** What every answer that shows a design's picture sends: its size, the placeholder to
 *  show while a file loads, and the files (`thumb`, `preview`, `original`) by variant. */
export type Picture = {
  width: number | null;
  height: number | null;
  thumbhash: string | null;
  dominant_color: string | null;
  urls: Record<string, string>;
};

export type GalleryItem = Picture & {
  id: string;
  type: string;
  title: string | null;
  ratio: number | null;
  spec: Record<string, unknown>;
  provider: string | null;
  is_outlier: boolean;
  job_id: string | null;
  created_at: string;
};

/** The `image.created` event. */
export type ImageCreated = Picture & {
  id: string;
  job_id: string | null;
  thumbnail_url: string;
  garment_type: string | null;
  /** The gallery's spec summary and title (absent from servers before they were sent). */
  spec?: Record<string, unknown>;
  title?: string | null;
  provider: string | null;
  created_at: string | null;
};

export type JobProgress = { job_id: string; done: number; total: number };

// -- collections (src/designer_bff/collections/schemas.py) ------------------------------------

export type CollectionCover = Picture & { image_id: string };

export type Collection = {
  id: string;
  name: string;
  description: string | null;
  /** The cover the designer chose, if any. */
  cover_image_id: string | null;
  /** What the cover shows: the chosen design, else the first one. */
  cover: CollectionCover | null;
  image_count: number;
  shared: boolean;
  /** The API's public URL of the share (`…/api/shared/{token}`), not the web page. */
  share_url: string | null;
  created_at: string;
  updated_at: string;
};

/** The answer of POST /api/collections/{id}/images. */
export type AddImagesOut = { added: number; already_present: number; collection: Collection };
