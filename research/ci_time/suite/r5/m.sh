#!/bin/bash
# usage: m.sh before|after TEST...   ../r4/m.sh with this round's base and folder: "before" is the
# merge base's tree in $BASE (default /tmp/cicpu-base, `git worktree add --detach $BASE 6b186ea1`,
# its .harness linked to the main one). Lines go to cpu.txt, outputs to out/.
here=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-/tmp/cicpu-base} OUT=$here exec "$here/../r4/m.sh" "$@"
