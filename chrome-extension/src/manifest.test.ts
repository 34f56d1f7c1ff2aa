import { describe, expect, it } from "vitest";
import { buildManifest, originPattern, webOriginOf } from "./manifest";

describe("manifest", () => {
  it("runs the bridge on the configured web app's origin only", () => {
    const manifest = buildManifest({ version: "1.0.0", webUrl: "https://app.scrapeflow.example/editor?x=1" });
    expect(manifest.content_scripts).toEqual([
      {
        matches: ["https://app.scrapeflow.example/*"],
        js: ["bridge.js"],
        run_at: "document_start",
        all_frames: false,
      },
    ]);
    expect(manifest.host_permissions).toEqual(["https://app.scrapeflow.example/*"]);
  });

  it("keeps the port of a local web app", () => {
    const manifest = buildManifest({ version: "1.0.0", webUrl: "http://localhost:3000" });
    expect(manifest.content_scripts[0].matches).toEqual(["http://localhost:3000/*"]);
  });

  it("asks for the smallest permissions and other sites only at use", () => {
    const manifest = buildManifest({ version: "1.0.0", webUrl: "http://localhost:3000" });
    expect(manifest.manifest_version).toBe(3);
    expect(manifest.permissions.sort()).toEqual(["activeTab", "scripting", "storage"]);
    expect(manifest.optional_host_permissions).toEqual(["http://*/*", "https://*/*"]);
    expect(JSON.stringify(manifest)).not.toContain("<all_urls>");
  });

  it("adds the test hosts only when asked", () => {
    const manifest = buildManifest({
      version: "1.0.0",
      webUrl: "http://127.0.0.1:5123",
      extraHostPermissions: ["http://127.0.0.1/*"],
    });
    expect(manifest.host_permissions).toEqual(["http://127.0.0.1:5123/*", "http://127.0.0.1/*"]);
    expect(manifest.content_scripts[0].matches).toEqual(["http://127.0.0.1:5123/*"]);
  });

  it.each([
    ["not a url", "SCRAPEFLOW_WEB_URL is not a URL"],
    ["file:///etc/passwd", "must be http or https"],
    ["https://user:pw@app.example", "credentials"],
    ["https://*.example.com", "wildcard"],
  ])("refuses the web app URL %s", (webUrl, message) => {
    expect(() => buildManifest({ version: "1.0.0", webUrl })).toThrow(message);
  });

  it("refuses a bad version or host pattern", () => {
    expect(() => buildManifest({ version: "v1", webUrl: "http://localhost:3000" })).toThrow("version");
    expect(() =>
      buildManifest({ version: "1.0.0", webUrl: "http://localhost:3000", extraHostPermissions: ["*"] }),
    ).toThrow("match pattern");
  });

  it("builds one-origin patterns", () => {
    expect(originPattern(webOriginOf("https://shop.example:8443/a/b"))).toBe("https://shop.example:8443/*");
  });
});
