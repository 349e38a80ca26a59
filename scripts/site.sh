#!/usr/bin/env bash
# Builds the whole static site that gets published into site/ (or $SITE_DIR):
#   index.html …   the app (a fresh `trunk build --release`, never trunk serve's live-reload build)
#   post/          the example post with its live figures (Jekyll where installed, else
#                  tests/lib/jekyll-lite.mjs), its opening pictures made by `interplay figure`
#   gallery/       small widgets of presets, each linking to the full app in that state
#   figs/          the post's SVG figures and the social-preview image (`interplay figure`)
#   404.html       a page for broken links
# Every URL inside is relative, so the site works under any sub-path (a project page lives under
# /REPO/); only 404.html, which a host serves at any depth, needs the site's path: SITE_BASE
# (default "/"; the Pages workflow passes /REPO/).
#
# INTERPLAY_BIN names an `interplay` binary to draw the figures with (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser

out=${SITE_DIR:-site}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { printf '\033[1m[site]\033[0m %s\n' "$*"; }

log "the app (trunk build --release)"
trunk build --release --dist "$work/app"

bin=${INTERPLAY_BIN:-}
if [ -z "$bin" ]; then
  log "the interplay command (cargo build --release)"
  cargo build --release --locked -p interplay-cli
  bin="${CARGO_TARGET_DIR:-target}/release/interplay"
fi

log "figures (interplay figure)"
mkdir -p "$work/figs"
# The post's opening pictures: its own figure caption says what they are.
"$bin" figure --times 0 --view eulerian --size 256 --caption "" --out "$work/figs/rho0.svg"
"$bin" figure --times 1 --view eulerian --size 256 --caption "" --out "$work/figs/rho1.svg"
"$bin" figure --view spacetime --line gmm --eps 0.5 --out "$work/figs/spacetime.svg"
# 5 panels of 232 px with 8 px gaps: 1208 × 480, about the 1.91:1 a link preview shows.
"$bin" figure --times 0,0.25,0.5,0.75,1 --size 232 --n 6000 --bare --out "$work/figs/social.png"

log "the post"
cat > "$work/site-config.yml" <<'EOF'
# The published site: widgets load the app's own files from the site's root, the opening
# pictures come from figs/, and the root is a placeholder made relative afterwards.
baseurl: "/__interplay_root__"
interplay_base: "/"
interplay_figs: "/figs/"
permalink: /post/:title/
EOF
if command -v jekyll >/dev/null 2>&1; then
  src="$work/jekyll-src"
  cp -r web/jekyll/. "$src/"
  jekyll build --quiet --disable-disk-cache --source "$src" --destination "$work/jekyll" \
    --config "$src/_config.yml,$work/site-config.yml"
  mkdir -p "$work/post"
  cp -r "$work/jekyll/post/." "$work/post/"
  cp "$work/jekyll/index.html" "$work/post/index.html"
else
  log "Jekyll is not installed: rendering the post with tests/lib/jekyll-lite.mjs"
  node tests/lib/jekyll-lite.mjs web/jekyll "$work/post" /__interplay_root__ \
    interplay_base=/ interplay_figs=/figs/
fi

log "assembling $out/"
rm -rf "$out"
mkdir -p "$out"
cp -r "$work/app/." "$out/"
cp -r "$work/figs" "$out/figs"
cp -r "$work/post" "$out/post"
node scripts/site.mjs "$out" "${SITE_BASE:-/}"
log "built $out/ ($(du -sh "$out" | cut -f1))"
