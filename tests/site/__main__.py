"""`python -m tests.site [--port 8900] [--size 2000]` serves the test site; `... export DIR` writes it as files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from tests.site.app import create_site
from tests.site.catalog import DEFAULT_SEED, DEFAULT_SIZE
from tests.site.server import nginx_config, write_static
from tests.site.themes import THEMES

URL_MAP = """\
  /                              home: categories, featured links (tracking params, fragments, relative, absolute)
  /products?page=N               list pages, 24 products each, <a rel="next" class="next">
  /categories/<slug>?page=N      the same, per category
  /products/<slug>.html          product pages: h1, price, rating, description, JSON-LD, microdata
  /table.html                    pricing table and top-rated table
  /robots.txt /sitemap.xml       robots (Disallow /private/) and a sitemap index of gzipped chunks
  /redirect/<n> /redirect-loop/a /redirect-to?url=   redirect chains, a loop, an open redirect
  /rate-limited?key=K /flaky?key=K&fail=2 /slow?ms=500 /huge /status/<code> /gone
  /malformed.html /latin1.html /latin1-nocharset.html /shift-jis.html /binary.bin /private/secret.html
  /headers /cookies/set?name=value   echo of request headers and cookies
  /js/products?page=N            the list rendered by JavaScript from /api/products?page=N (JSON)
  /js/infinite /js/load-more /js/tabs /js/delayed?ms=800   infinite scroll, a "load more" button, tabs, late content
  /js/never-loads /js/dialog /js/download /js/navigate-away   never loads, dialogs + pop-up, a download, leaves
  /login /members /members/<n>   a login form (member / "correct horse battery staple", CSRF token), members only
  /js/private?target=URL         a page loading an image, fetch, iframe and redirect from a (private) URL
  POST /_site/reset  GET /_site/stats   test controls"""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="number of products")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--theme", choices=sorted(THEMES), default="classic")


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.site", description="Serve the ScrapeFlow test site.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    _common(parser)
    args = parser.parse_args(argv)
    print(f"ScrapeFlow test site ({args.size} products) on http://{args.host}:{args.port}\n{URL_MAP}")
    app = create_site(size=args.size, seed=args.seed, theme=args.theme)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off")


def export(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.site export", description="Write the site as files.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--base-url", default="http://127.0.0.1:8080", help="where the files will be served")
    parser.add_argument("--nginx-conf", type=Path, help="also write an nginx.conf serving DIR at --base-url")
    _common(parser)
    args = parser.parse_args(argv)
    urls = write_static(args.directory, args.size, seed=args.seed, theme=args.theme, base_url=args.base_url)
    print(f"wrote {len(urls)} files to {args.directory}")
    if args.nginx_conf:
        prefix = args.nginx_conf.resolve().parent
        args.nginx_conf.write_text(nginx_config(args.directory, args.base_url, prefix))
        print(f"serve them with: nginx -p {prefix} -c {args.nginx_conf.resolve()}")


def main(argv: list[str]) -> None:
    if argv[:1] == ["export"]:
        export(argv[1:])
    else:
        serve(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
