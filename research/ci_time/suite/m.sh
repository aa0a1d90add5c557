#!/bin/bash
# usage: m.sh before|after FILE...   one pytest run per file (nice 15, one process, no xdist) in a cgroup;
# before: the branch point's tree in $BASE (default /tmp/suite-base, made with
# `git worktree add --detach $BASE a412d91b` and its .harness linked to the main one), after: this worktree.
# OUT names the file the lines go to (default cpu.txt), OUTDIR the folder of the outputs (default
# this one); extra pytest arguments in ARGS.
here=$(cd "$(dirname "$0")" && pwd)
wt=$(cd "$here/../../.." && pwd)
tag=$1; shift
if [ $tag = before ]; then dir=${BASE:-/tmp/suite-base}; else dir=$wt; fi
export PYTHONPATH=$dir/src:$dir
cd $dir
for f in "$@"; do
  b=$(basename $f .py)
  TAG=$tag $here/../cg.sh $here/${OUT:-cpu.txt} nice -n 15 $wt/.venv/bin/python -m pytest -q -p no:cacheprovider --durations=10 $ARGS $f > $here/${OUTDIR:-.}/$tag-$b.out 2>&1
done
