// Unit tests run in jsdom with the same build-time constants a default build bakes in.
import { defineConfig } from "vitest/config";

export default defineConfig({
  define: {
    __SCRAPEFLOW_WEB_URL__: JSON.stringify("http://localhost:3000"),
    __EXTENSION_VERSION__: JSON.stringify("0.0.0-test"),
  },
  test: {
    environment: "jsdom",
    // The page the bridge tests run on is the configured web app.
    environmentOptions: { jsdom: { url: "http://localhost:3000/editor/new" } },
    include: ["src/**/*.test.ts"],
  },
});
