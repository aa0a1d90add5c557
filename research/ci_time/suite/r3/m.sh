#!/bin/bash
# usage: m.sh before|after TEST...   one pytest run per argument (nice 15, one process, no xdist) in
# its own cgroup (../../cg.sh); before: the branch point d05c9f13 in a detached worktree $BASE
# (default /tmp/citime-base), after: this worktree. Lines go to cpu.txt, outputs to out/.
here=$(cd "$(dirname "$0")" && pwd)
wt=$(cd "$here/../../../.." && pwd)
tag=$1; shift
if [ $tag = before ]; then dir=${BASE:-/tmp/citime-base}; else dir=$wt; fi
export PYTHONPATH=$dir/src:$dir
unset PYTHONDONTWRITEBYTECODE  # as .ci/run does
mkdir -p $here/out
cd $dir
for f in "$@"; do
  b=$(echo "$f" | sed 's#.*/##; s#[^A-Za-z0-9_.-]#_#g' | cut -c1-90)
  TAG=$tag $here/../../cg.sh $here/cpu.txt nice -n 15 $wt/.venv/bin/python -m pytest -q -p no:cacheprovider --durations=10 $ARGS "$f" > $here/out/$tag-$b.out 2>&1
done
