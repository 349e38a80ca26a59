#!/usr/bin/env bash
# Builds the example blog post of web/jekyll/ into blog-site/ with the widgets under
# /assets/interplay/, and serves it at http://127.0.0.1:${PORT:-4000}/ (pass --no-serve to only
# build). Uses Jekyll (Debian's, installed by `scripts/setup.sh --browser`); where it cannot be
# installed, renders the same post to plain HTML with tests/lib/jekyll-lite.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
[ -f dist/embed.js ] || trunk build --release
rm -rf blog-site
if command -v jekyll >/dev/null 2>&1; then
  src=$(mktemp -d)
  cp -r web/jekyll/. "$src/"
  mkdir -p "$src/assets/interplay"
  cp -r dist/. "$src/assets/interplay/"
  jekyll build --quiet --source "$src" --destination blog-site
  rm -rf "$src"
else
  echo "Jekyll is not installed: rendering the post with tests/lib/jekyll-lite.mjs"
  node tests/lib/jekyll-lite.mjs web/jekyll blog-site
  mkdir -p blog-site/assets/interplay
  cp -r dist/. blog-site/assets/interplay/
fi
echo "built blog-site/"
if [ "${1:-}" != "--no-serve" ]; then
  exec node -e '
    import("./tests/lib/server.mjs").then(async ({ serve }) => {
      const s = await serve({ "/": "blog-site" }, Number(process.env.PORT || 4000));
      console.log(`serving the example post at ${s.url("/")} (Ctrl-C to stop)`);
    });'
fi
