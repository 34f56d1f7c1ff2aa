// Builds the unpacked extension into dist/ and the Web Store zip, for the web app named by SCRAPEFLOW_WEB_URL.
//
// SCRAPEFLOW_WEB_URL                   the ScrapeFlow web app (default http://localhost:3000)
// SCRAPEFLOW_EXTENSION_HOST_PERMISSIONS comma-separated match patterns granted at install; only for automated
//                                      tests, which cannot click a permission prompt (e.g. http://127.0.0.1/*)
// SCRAPEFLOW_EXTENSION_OUT             output folder (default dist/); the zip is written beside it

import { mkdir, readFile, rm, writeFile, readdir, copyFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { zipSync } from "fflate";
import { iconPng } from "./icons.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
const webUrl = (process.env.SCRAPEFLOW_WEB_URL || "http://localhost:3000").trim();
const extraHosts = (process.env.SCRAPEFLOW_EXTENSION_HOST_PERMISSIONS || "")
  .split(",")
  .map((pattern) => pattern.trim())
  .filter(Boolean);
const out = resolve(root, process.env.SCRAPEFLOW_EXTENSION_OUT || "dist");
const zipPath = join(dirname(out), "scrapeflow-extension.zip");

// The manifest comes from the same TypeScript the unit tests check.
const scratch = join(root, ".build");
await build({
  entryPoints: [join(root, "src/manifest.ts")],
  outfile: join(scratch, "manifest.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  logLevel: "warning",
});
const { buildManifest, webOriginOf } = await import(pathToFileURL(join(scratch, "manifest.mjs")).href);
const manifest = buildManifest({ version: pkg.version, webUrl, extraHostPermissions: extraHosts });
const webOrigin = webOriginOf(webUrl).origin;

await rm(out, { recursive: true, force: true });
await mkdir(join(out, "icons"), { recursive: true });
await build({
  entryPoints: {
    background: join(root, "src/background/index.ts"),
    bridge: join(root, "src/bridge/index.ts"),
    picker: join(root, "src/picker/index.ts"),
    popup: join(root, "src/popup/popup.ts"),
    grant: join(root, "src/grant/grant.ts"),
  },
  outdir: out,
  bundle: true,
  format: "iife",
  target: "chrome116",
  legalComments: "none",
  define: {
    __SCRAPEFLOW_WEB_URL__: JSON.stringify(webOrigin),
    __EXTENSION_VERSION__: JSON.stringify(pkg.version),
  },
  logLevel: "warning",
});
await writeFile(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
await copyFile(join(root, "src/popup/popup.html"), join(out, "popup.html"));
await copyFile(join(root, "src/popup/popup.css"), join(out, "popup.css"));
await copyFile(join(root, "src/grant/grant.html"), join(out, "grant.html"));
for (const size of [16, 32, 48, 128]) await writeFile(join(out, `icons/icon-${size}.png`), iconPng(size));

async function files(folder) {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) =>
      entry.isDirectory() ? files(join(folder, entry.name)) : [join(folder, entry.name)],
    ),
  );
  return nested.flat().sort();
}

// manifest.json sits at the zip's root, as the Web Store expects; a fixed date keeps the zip reproducible.
const entries = {};
for (const file of await files(out)) {
  entries[relative(out, file).split("\\").join("/")] = [
    await readFile(file),
    { mtime: new Date(2020, 0, 1) },
  ];
}
await writeFile(zipPath, zipSync(entries, { level: 9 }));
await rm(scratch, { recursive: true, force: true });
console.log(
  `Built ${relative(process.cwd(), out) || "."} and ${relative(process.cwd(), zipPath)} for ${webOrigin}`,
);
