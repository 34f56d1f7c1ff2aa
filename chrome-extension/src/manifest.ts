// Builds manifest.json from the configured web app URL: the bridge runs on that origin only, nothing wider.

export interface ManifestOptions {
  version: string;
  /** The ScrapeFlow web app, e.g. "https://app.scrapeflow.example" (path and query are ignored). */
  webUrl: string;
  /** Extra host permissions granted at install (for automated tests that cannot click a permission prompt). */
  extraHostPermissions?: string[];
}

export interface Manifest {
  manifest_version: 3;
  name: string;
  short_name: string;
  description: string;
  version: string;
  minimum_chrome_version: string;
  permissions: string[];
  host_permissions: string[];
  optional_host_permissions: string[];
  background: { service_worker: string };
  action: { default_title: string; default_popup: string; default_icon: Record<string, string> };
  icons: Record<string, string>;
  content_scripts: { matches: string[]; js: string[]; run_at: string; all_frames: boolean }[];
  content_security_policy: { extension_pages: string };
}

export const ICON_SIZES = [16, 32, 48, 128] as const;

/** The web app's origin, refusing anything but a plain http(s) origin so a typo cannot widen the match. */
export function webOriginOf(webUrl: string): URL {
  let url: URL;
  try {
    url = new URL(webUrl);
  } catch {
    throw new Error(`SCRAPEFLOW_WEB_URL is not a URL: ${JSON.stringify(webUrl)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`SCRAPEFLOW_WEB_URL must be http or https, not ${url.protocol}`);
  }
  if (url.username || url.password) throw new Error("SCRAPEFLOW_WEB_URL must not carry credentials");
  if (url.hostname.includes("*")) throw new Error("SCRAPEFLOW_WEB_URL must name one host, not a wildcard");
  return new URL(url.origin);
}

/** The match pattern for exactly one origin (scheme, host and port when it has one). */
export function originPattern(origin: URL): string {
  return `${origin.protocol}//${origin.host}/*`;
}

function isMatchPattern(pattern: string): boolean {
  return /^(https?|\*):\/\/(\*|\*\.[^/*]+|[^/*]+)\/.*$/.test(pattern);
}

export function buildManifest(options: ManifestOptions): Manifest {
  if (!/^\d+(\.\d+){0,3}$/.test(options.version)) throw new Error(`bad extension version ${options.version}`);
  const web = originPattern(webOriginOf(options.webUrl));
  const extra = options.extraHostPermissions ?? [];
  for (const pattern of extra) {
    if (!isMatchPattern(pattern)) throw new Error(`not a match pattern: ${pattern}`);
  }
  const icons = Object.fromEntries(ICON_SIZES.map((size) => [String(size), `icons/icon-${size}.png`]));
  return {
    manifest_version: 3,
    name: "ScrapeFlow — element picker",
    short_name: "ScrapeFlow",
    description: "Point at the data you want on any page and send the selectors to your ScrapeFlow bots.",
    version: options.version,
    minimum_chrome_version: "116",
    // activeTab + scripting: the picker runs only in a tab the person chose; storage: picked fields and sessions.
    permissions: ["activeTab", "scripting", "storage"],
    // The web app's own origin, so the popup can read the signed-in state with the web app's cookie.
    host_permissions: [web, ...extra.filter((pattern) => pattern !== web)],
    // Other sites are asked for one origin at a time, when the person starts picking there.
    optional_host_permissions: ["http://*/*", "https://*/*"],
    background: { service_worker: "background.js" },
    action: { default_title: "ScrapeFlow", default_popup: "popup.html", default_icon: icons },
    icons,
    content_scripts: [{ matches: [web], js: ["bridge.js"], run_at: "document_start", all_frames: false }],
    content_security_policy: { extension_pages: "script-src 'self'; object-src 'none'" },
  };
}
