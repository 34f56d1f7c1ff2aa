// Bundles the in-app picker's frame script (src/lib/picker/frame.ts) into public/picker-frame.js, which the
// editor loads into the sandboxed frame that shows a page to pick from. Runs before `build` and `dev`.
import { build } from "esbuild";

await build({
  entryPoints: ["src/lib/picker/frame.ts"],
  outfile: "public/picker-frame.js",
  bundle: true,
  format: "iife",
  target: "es2020",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
