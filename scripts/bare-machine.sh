#!/usr/bin/env bash
# Runs a command (e.g. `npm test`, or node --test FILES) as on a machine without a system Chromium, its libraries or fonts:
# a private mount namespace (unshare -m) where overlays delete /usr/bin/chromium (also /bin/chromium:
# /bin is a link to /usr/bin), the NSS/NSPR libraries Debian's Chromium pulled in, and where empty
# folders cover /usr/lib/chromium, /etc/fonts and /usr/share/fonts. Nothing changes outside.
set -euo pipefail
# Needs root (unshare, mount). Usage: sudo scripts/bare-machine.sh npm test
W=$(mktemp -d /tmp/tailor-bare-XXXXXX)
mkdir -p $W/empty $W/bin/u $W/bin/w $W/lib/u $W/lib/w
exec unshare -m bash -euo pipefail -c '
W='"$W"'
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=/usr/bin,upperdir=$W/bin/u,workdir=$W/bin/w /usr/bin
mount -t overlay overlay -o lowerdir=/usr/lib/x86_64-linux-gnu,upperdir=$W/lib/u,workdir=$W/lib/w /usr/lib/x86_64-linux-gnu
rm -f /usr/bin/chromium
cd /usr/lib/x86_64-linux-gnu && rm -f libnss3.so libnssutil3.so libsmime3.so libnspr4.so libplc4.so libplds4.so libsoftokn3.so libfreebl3.so libfreeblpriv3.so
for d in /usr/lib/chromium /etc/fonts /usr/share/fonts; do if [ -d $d ]; then mount --bind $W/empty $d; fi; done
echo "--- inside: what a bare machine has"
ls -la /usr/bin/chromium /usr/lib/chromium /etc/fonts /usr/share/fonts 2>&1 || true
command -v chromium chromium-browser || echo "no chromium on PATH"
ls /usr/lib/x86_64-linux-gnu/libnss3.so 2>&1 || true
cd "$0"
env -u CHROMIUM_PATH "$@"
' "$PWD" "$@"
