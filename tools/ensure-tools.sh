#!/bin/sh
# Checks that each tool the build needs is there.  Arguments are
# "command-or-path:debian-package" pairs.  As root, installs the missing
# packages with apt-get (update first); otherwise prints the one apt-get
# line to run and fails.
#
# make runs in parallel, so several of these may start at once: they take
# turns (apt-get refuses to run while another holds its lock), and the
# ones after the first find the tools already there.
if [ -z "$ENSURE_TOOLS_LOCKED" ] && command -v flock >/dev/null 2>&1; then
    ENSURE_TOOLS_LOCKED=1 exec flock "${TMPDIR:-/tmp}/winmm-ensure-tools.lock" sh "$0" "$@"
fi
missing=""
for pair in "$@"; do
    tool=${pair%%:*}
    pkg=${pair#*:}
    case "$tool" in
        /*) [ -e "$tool" ] && continue ;;
        *) command -v "$tool" >/dev/null 2>&1 && continue ;;
    esac
    case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing missing packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 && exit 0
    echo "apt-get failed; install by hand:$missing" >&2
    exit 1
fi
echo "missing tools; run as root:" >&2
echo "  apt-get update && apt-get install -y$missing" >&2
echo "(never install gcc-multilib: it removes the i686 cross compiler)" >&2
exit 1
