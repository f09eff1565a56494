#!/usr/bin/env bash
# Runs a command inside a fresh network namespace that holds only `lo`, so
# WebRTC (libwebrtc ignores loopback while other interfaces exist) uses
# 127.0.0.1 and no traffic can leave this machine. Needs root (or
# unprivileged user namespaces); otherwise runs the command as it is, with a
# warning.
set -euo pipefail
if [[ "${FLITTER_IN_NETNS:-}" == 1 ]]; then exec "$@"; fi
if [[ $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then
  exec unshare -n env FLITTER_IN_NETNS=1 bash -c 'ip link set lo up && exec "$@"' bash "$@"
fi
if unshare -rn true 2>/dev/null; then
  exec unshare -rn env FLITTER_IN_NETNS=1 bash -c 'ip link set lo up && exec "$@"' bash "$@"
fi
echo "warning: cannot create a network namespace; WebRTC tests may pick a non-loopback address" >&2
exec "$@"
