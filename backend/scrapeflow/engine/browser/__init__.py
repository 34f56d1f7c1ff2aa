"""The browser fetcher: Playwright driving the system Chromium, a pool of reusable contexts, every request
SSRF-guarded, and the page steps (click, fill, scroll, …) run on the live page.

Nothing is imported here, so that modules needing only the result types do not load Playwright:
`options` (settings and results), `pool` (BrowserPool), `session` (BrowserSession.render), `page_steps` and
`actions` (the steps on a live page), `routing` (route interception, per-page events), `proxy` (the guard
proxy), `failures` (errors in the engine's words).
"""
