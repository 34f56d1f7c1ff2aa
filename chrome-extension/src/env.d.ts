// Constants the build bakes in (esbuild `define`; vitest.config.ts sets them for tests).

/** The ScrapeFlow web app this build talks to, e.g. "https://app.scrapeflow.example". */
declare const __SCRAPEFLOW_WEB_URL__: string;
/** The extension's version, as in the manifest. */
declare const __EXTENSION_VERSION__: string;
