#!/bin/bash
# usage: m.sh before|after TEST...   one pytest process per argument (nice 15, no xdist) in its own
# cgroup v1 cpuacct group (../../cg.sh); "before": the branch point's tree in $BASE (default
# /tmp/civerify-base, `git worktree add --detach $BASE 467911e4`, its .harness linked to the main one),
# "after": this worktree; both with this worktree's virtualenv. Lines go to cpu.txt, outputs to out/
# ($OUT's when set: another round's folder).
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here}
wt=$(cd "$here/../../../.." && pwd)
tag=$1; shift
if [ $tag = before ]; then dir=${BASE:-/tmp/civerify-base}; else dir=$wt; fi
export PYTHONPATH=$dir/src:$dir CI=true
unset PYTHONDONTWRITEBYTECODE
cd $dir
for f in "$@"; do
  b=$(echo "$f" | sed 's|.*/||; s|[^A-Za-z0-9_.-]|_|g' | cut -c1-80)
  TAG=$tag $here/../../cg.sh $out/cpu.txt nice -n 15 $wt/.venv/bin/python -m pytest -q -p no:cacheprovider -p no:randomly --durations=15 $ARGS $f > $out/out/$tag-$b.out 2>&1
done
