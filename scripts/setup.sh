#!/usr/bin/env bash
# Installs what flitter-webrtc needs: Deno (pinned, from the npm registry, into
# node_modules) and the Debian packages for GL (headless and in windows),
# video files and the tests. Idempotent, and quick when everything is present.
#   scripts/setup.sh          runtime packages (GL, GLFW windows, ffmpeg, a font)
#   scripts/setup.sh --test   also the test tools (Python aiortc peer, chromium,
#                             coturn, simple-whip-client with GStreamer, cc for
#                             its test's stub, Janus with simple-whip-server, an
#                             X server with screenshots and input injection, a
#                             Wayland compositor)
# On a Wayland desktop without XWayland, install libglfw3-wayland instead of
# libglfw3 (the two conflict; the script accepts either).
set -euo pipefail
cd "$(dirname "$0")/.."

# fonts-dejavu-core: a font family for !canvas text (Skia finds installed fonts).
runtime_packages=(libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri libglfw3 ffmpeg iproute2 openssl fonts-dejavu-core)
test_packages=(python3 python3-aiortc python3-cryptography python3-websockets chromium util-linux
  coturn simple-whip-client janus gstreamer1.0-tools gcc libc6-dev
  xvfb x11-apps xdotool python3-xlib weston)

want=("${runtime_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${test_packages[@]}"); fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing=()
for package in "${want[@]}"; do
  if [[ "$package" == libglfw3 ]] && installed libglfw3-wayland; then continue; fi
  if ! installed "$package"; then missing+=("$package"); fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages; run as root:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# GLFW's Wayland build for the Wayland window test: as a package it conflicts
# with libglfw3, so it is unpacked into .cache/ (ignored by git) instead.
if [[ "${1:-}" == "--test" ]] && [[ ! -e .cache/glfw-wayland/libglfw.so.3 ]]; then
  unpacked=$(mktemp -d)
  if (cd "$unpacked" && apt-get download -q libglfw3-wayland >/dev/null 2>&1 &&
    dpkg-deb -x libglfw3-wayland_*.deb root); then
    mkdir -p .cache/glfw-wayland
    cp -L "$unpacked"/root/usr/lib/*/libglfw.so.3 .cache/glfw-wayland/
  else
    echo "setup: could not fetch libglfw3-wayland; the Wayland window test will fail" >&2
  fi
  rm -rf "$unpacked"
fi

# Meetecho's simple-whip-server (WHIP in front of Janus) for the fan-out test
# and benchmark: its Debian package depends on Debian's nodejs, which
# conflicts with the Node this project runs with, so its program is unpacked
# into .cache/ and its npm dependencies (the versions Debian 12 ships) are
# installed next to it; it runs with this machine's Node.
sws=.cache/simple-whip-server
if [[ "${1:-}" == "--test" ]] && { [[ ! -e $sws/src/server.js ]] || [[ ! -e $sws/node_modules/express/package.json ]]; }; then
  unpacked=$(mktemp -d)
  fetch_sws() { (cd "$unpacked" && apt-get download -q simple-whip-server >/dev/null 2>&1); }
  if fetch_sws || { [[ $(id -u) -eq 0 ]] && apt-get update -q >/dev/null && fetch_sws; }; then
    dpkg-deb -x "$unpacked"/simple-whip-server_*.deb "$unpacked/root"
    rm -rf "$sws" && mkdir -p "$sws"
    cp -r "$unpacked/root/usr/share/simple-whip-server/src" "$sws/"
    rm -f "$sws/src/config.js"
    cp "$unpacked/root/etc/simple-whip-server/config.js" "$sws/src/config.js"
    echo '{"name":"simple-whip-server-dependencies","private":true}' >"$sws/package.json"
    (cd "$sws" && npm install --no-audit --no-fund --no-package-lock --loglevel=error \
      async@3.2.6 colors@1.4.0 cors@2.8.5 debug@4.3.4 express@4.18.2 websocket@1.0.34)
  else
    echo "setup: could not fetch simple-whip-server; the Janus fan-out test will fail" >&2
  fi
  rm -rf "$unpacked"
fi

pinned=$(node -p 'require("./package.json").optionalDependencies.deno')
if [[ ! -x node_modules/.bin/deno ]] || [[ "$(node_modules/.bin/deno --version | head -1)" != "deno $pinned "* ]]; then
  echo "setup: installing Deno $pinned from the npm registry"
  npm install --include=optional --no-audit --no-fund --loglevel=error
fi
# Fetch the npm packages the sources import (as npm:NAME@VERSION) into
# node_modules once, so that tests in a network namespace find them.
if [[ ! -d node_modules/.deno ]] || [[ deno.json -nt node_modules/.deno ]] || [[ deno.lock -nt node_modules/.deno ]]; then
  mapfile -t sources < <(find . -name '*.ts' -not -path './node_modules/*' -not -path './.cache/*' -not -path './out/*' -not -path './dist/*' | sort)
  node_modules/.bin/deno install --quiet --entrypoint "${sources[@]}"
  touch node_modules/.deno
fi
# tests/library/url_import_test.ts imports mod.ts by URL with no config, as a
# user does, which takes the npm packages from Deno's global cache (and runs
# where no registry is reachable): resolve them there the same way.
if [[ "${1:-}" == "--test" ]]; then
  node_modules/.bin/deno cache --quiet --no-config mod.ts
fi
# node_modules/.bin/deno can be a Node wrapper (npm's link to bin.cjs, where
# the package's postinstall did not replace it, or one an older Deno set-up
# made) that runs Deno as a child and does not pass signals on: SIGTERM would orphan the engine and leave
# recordings unfinished. Point it at the native binary, last, after anything
# that could link it again. (package.json lists deno under
# optionalDependencies, which Deno does not read, so that Deno neither links
# it back nor runs `deno` inside `deno task` through that wrapper.)
native=$(ls node_modules/@deno/*/deno 2>/dev/null | head -1 || true)
if [[ -n "$native" ]] && [[ "$(readlink node_modules/.bin/deno)" != "../../$native" ]]; then
  ln -sf "../../$native" node_modules/.bin/deno
fi
if [[ "$(head -c 2 node_modules/.bin/deno)" == "#!" ]]; then
  echo "setup: node_modules/.bin/deno is not the native Deno binary; signals would not reach it" >&2
  exit 1
fi
