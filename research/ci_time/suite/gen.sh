#!/bin/bash
# usage: gen.sh before|after FILE...   one pytest run per file (nice 15, one process, no xdist) in a
# cgroup (../cg.sh); before: the branch point's tree in $BASE (default /tmp/cigen-base, a detached
# worktree with .harness linked to the main one), after: this worktree. Lines go to gen_tests.txt,
# pytest output to out-gen/TAG-NAME.out.
here=$(cd "$(dirname "$0")" && pwd)
wt=$(cd "$here/../../.." && pwd)
tag=$1; shift
if [ $tag = before ]; then dir=${BASE:-/tmp/cigen-base}; else dir=$wt; fi
export PYTHONPATH=$dir/src:$dir
mkdir -p $here/out-gen
cd $dir
for f in "$@"; do
  b=$(basename "$f" .py)
  TAG=$tag $here/../cg.sh $here/gen_tests.txt nice -n 15 $wt/.venv/bin/python -m pytest -q -p no:cacheprovider --durations=30 $f > $here/out-gen/$tag-$b.out 2>&1
done
