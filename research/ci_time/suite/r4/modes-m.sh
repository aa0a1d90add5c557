#!/bin/bash
# usage: modes-m.sh TAG TEST...   one pytest run per argument (nice 15, one process, no xdist) in a
# cgroup v1 cpuacct group of its own (../../cg.sh: the pytest process and everything it starts,
# sandboxed runs included), in this worktree. "before" runs are taken before the file is edited.
# Lines go to modes-cpu.txt, pytest outputs to out-modes/.
here=$(cd "$(dirname "$0")" && pwd)
wt=$(cd "$here/../../../.." && pwd)
tag=$1; shift
export PYTHONPATH=$wt/src:$wt
unset PYTHONDONTWRITEBYTECODE  # as .ci/run does
mkdir -p $here/out-modes
cd $wt
for f in "$@"; do
  b=$(echo "$f" | sed 's#.*/##; s#[^A-Za-z0-9_.-]#_#g' | cut -c1-90)
  TAG=$tag $here/../../cg.sh $here/modes-cpu.txt nice -n 15 $wt/.venv/bin/python -m pytest -q -n 0 -p no:cacheprovider --durations=10 $ARGS "$f" > $here/out-modes/$tag-$b.out 2>&1
done
