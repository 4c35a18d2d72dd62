#!/bin/bash
# Run by make before it builds: has a chapter changed since src-generated/
# was tangled? Then tangle again when noweb is installed, or warn that the
# build uses the old code when it is not. Prints only to standard error.
# The reference is build/tangle.stamp, which tangle.sh touches; before the
# first tangle in this tree it is the newest file of src-generated/, with a
# second's slack, since a checkout writes both at about the same time.
set -uo pipefail
cd "$(dirname "$0")/.."
stale=
if [ -f build/tangle.stamp ]; then
	for ch in chapters/*.nw; do
		[ "$ch" -nt build/tangle.stamp ] && stale="$stale $ch"
	done
else
	newest=$(find src-generated -type f -printf '%T@\n' | sort -n | tail -1)
	newest=${newest%.*}
	for ch in chapters/*.nw; do
		[ "$(stat -c %Y "$ch")" -gt "$((newest + 1))" ] && stale="$stale $ch"
	done
fi
[ -n "$stale" ] || exit 0
set -- $stale
what="$1"; [ $# -eq 1 ] || what="$1 and $(($# - 1)) more chapters"
if command -v notangle > /dev/null && command -v cpif > /dev/null; then
	echo "make: $what changed since the last tangle: running make tangle" >&2
	tangle/tangle.sh >&2 || echo "make: the tangle failed: building the old src-generated/" >&2
else
	echo "make: warning: $what changed since src-generated/ was tangled, and noweb is not installed: building the OLD code ('make deps' installs noweb)" >&2
fi
exit 0
