#!/bin/sh
# Build a minimal busybox rootfs (same layout as dockerenv.busybox_rootfs).
#   make-busybox-rootfs.sh DEST_DIR
# Optional: import it into a docker engine:
#   tar -C DEST_DIR -c --numeric-owner --owner=0 --group=0 . | \
#     docker -H unix://... import --change 'CMD ["/bin/sh"]' - e2e-busybox:latest
# Needs Debian's busybox-static (statically linked /bin/busybox).
set -eu
dest=${1:?usage: $0 DEST_DIR}
bb=/bin/busybox
[ -x "$bb" ] || { echo "$bb missing: apt-get install busybox-static" >&2; exit 1; }
# Debian's dynamic "busybox" package also ships /bin/busybox; we need the static one
if command -v dpkg >/dev/null && ! dpkg -S "$bb" 2>/dev/null | grep -q '^busybox-static:'; then
  echo "$bb is not from busybox-static: apt-get install busybox-static" >&2; exit 1
fi
for d in bin sbin etc tmp proc sys dev root var run usr/bin; do mkdir -p "$dest/$d"; done
chmod 1777 "$dest/tmp"
cp "$bb" "$dest/bin/busybox"
chmod 755 "$dest/bin/busybox"
for a in $("$bb" --list); do
  [ "$a" = busybox ] && continue
  [ -e "$dest/bin/$a" ] || [ -L "$dest/bin/$a" ] || ln -s busybox "$dest/bin/$a"
done
for a in sh sleep cat ls echo kill setsid mkdir rm mv touch true false; do
  [ -L "$dest/bin/$a" ] || { echo "busybox lacks applet $a" >&2; exit 1; }
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dest/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dest/etc/group"
echo "$dest"
