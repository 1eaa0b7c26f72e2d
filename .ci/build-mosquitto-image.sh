#!/usr/bin/env bash
# Builds a minimal container image of the host's mosquitto, without a
# registry: the binary, the shared libraries `ldd` lists, the dynamic
# loader, a passwd/group pair and a config allowing anonymous clients on
# 0.0.0.0:1883, tarred and imported with `podman import` (or `docker
# import`). CI uses it because no image registry is reachable there; it
# works on any machine with mosquitto installed.
#
#   .ci/build-mosquitto-image.sh [IMAGE]     # default localhost/lastwill-mosquitto:VERSION
#
# Needs: mosquitto (`apt-get install mosquitto`), ldd, tar, and podman or
# docker (`CONTAINER_CLI=docker` to prefer docker). Prints the image name.
set -euo pipefail

mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$mosquitto" ] || { echo "mosquitto not found; apt-get install mosquitto" >&2; exit 2; }
version=$({ "$mosquitto" -h 2>/dev/null || true; } | sed -n 's/^mosquitto version \([0-9.]*\).*/\1/p' | head -1)
image=${1:-localhost/lastwill-mosquitto:${version:-latest}}
cli=${CONTAINER_CLI:-$(command -v podman >/dev/null 2>&1 && echo podman || echo docker)}

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/usr/sbin "$root"/etc "$root"/tmp "$root"/mosquitto/data
cp "$mosquitto" "$root"/usr/sbin/mosquitto
# Every library ldd resolves (`name => /path (addr)`), and the loader
# (`/lib64/ld-linux-x86-64.so.2 (addr)`), at the same paths inside.
ldd "$mosquitto" | awk '/=> \//{print $3} /^[ \t]*\/[^ ]+ \(/{print $1}' | sort -u |
  while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
cat >"$root"/etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/false
mosquitto:x:1883:1883:mosquitto:/mosquitto:/bin/false
EOF
cat >"$root"/etc/group <<'EOF'
root:x:0:
mosquitto:x:1883:
EOF
cat >"$root"/mosquitto.conf <<'EOF'
# lastwill's test image: anonymous clients on every interface, log to stderr.
listener 1883 0.0.0.0
allow_anonymous true
user root
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
EOF
chmod 1777 "$root"/tmp
tar -C "$root" -cf "$root.tar" .
trap 'rm -rf "$root" "$root.tar"' EXIT
"$cli" import \
  --change 'CMD ["/usr/sbin/mosquitto","-c","/mosquitto.conf"]' \
  --change 'EXPOSE 1883' \
  "$root.tar" "$image" >/dev/null
echo "$image"
