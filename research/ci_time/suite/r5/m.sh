#!/bin/bash
# usage: m.sh before|after TEST...   one pytest process per argument (nice 15, no xdist) in its own
# cgroup v1 cpuacct group (../../cg.sh); "before": the merge base's tree in $BASE (default
# /tmp/cicpu-base, `git worktree add --detach $BASE 6b186ea1`, its .harness linked to the main
# one), "after": this worktree; each with its own sources on PYTHONPATH and this worktree's
# virtualenv. Lines go to cpu.txt, outputs to out/.
here=$(cd "$(dirname "$0")" && pwd)
wt=$(cd "$here/../../../.." && pwd)
tag=$1; shift
if [ $tag = before ]; then dir=${BASE:-/tmp/cicpu-base}; else dir=$wt; fi
export PYTHONPATH=$dir/src:$dir CI=true
unset PYTHONDONTWRITEBYTECODE
cd $dir
for f in "$@"; do
  b=$(echo "$f" | sed 's|.*/||; s|[^A-Za-z0-9_.-]|_|g' | cut -c1-80)
  TAG=$tag $here/../../cg.sh $here/cpu.txt nice -n 15 $wt/.venv/bin/python -m pytest -q -p no:cacheprovider -p no:randomly --durations=15 $ARGS $f > $here/out/$tag-$b.out 2>&1
done
