import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The container image builds with NEXT_OUTPUT=standalone: `.next/standalone/server.js` is `next start` without
  // node_modules. Elsewhere the usual build, for `next start` (which warns about a standalone build).
  output: process.env.NEXT_OUTPUT === "standalone" ? "standalone" : undefined,
  experimental: {
    // How long a proxied API request may stay silent (Next's default is 30 s): a test run answers only after
    // up to TEST_RUN_TIMEOUT_SECONDS (30 s by default). Event streams send a keep-alive every 15 s.
    proxyTimeout: 120_000,
  },
  turbopack: {
    rules: {
      "*.css": { loaders: ["@tailwindcss/turbopack"], as: "*.css" },
    },
  },
};

export default nextConfig;
