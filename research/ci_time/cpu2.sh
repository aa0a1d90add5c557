#!/bin/bash
# usage: cpu2.sh before|after TEST-FILE...   each file's pytest run (nice 15) in cgroup cpuacct/citwo;
# "before": the branch point's code (a detached worktree at /tmp/citwo-base), "after": this worktree.
# Appends "TAG FILE :: cpu S wall S rc N" to research/ci_time/cpu2.txt; pytest output in out/TAG-NAME.out
here=$(cd "$(dirname "$0")/../.." && pwd)
G=/sys/fs/cgroup/cpuacct/citwo-$1-$$; mkdir -p $G   # a group of its own: runs started side by side never share one
tag=$1; shift
if [ $tag = before ]; then dir=/tmp/citwo-base; else dir=$here; fi
export PYTHONPATH=$dir/src:$dir
mkdir -p $here/research/ci_time/out
cd $dir
for f in "$@"; do
  b=$(basename $f .py)
  echo 0 > $G/cpuacct.usage
  echo $BASHPID > $G/cgroup.procs
  s=$(date +%s.%N)
  nice -n 15 $here/.venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 $f > $here/research/ci_time/out/$tag-$b.out 2>&1
  rc=$?
  e=$(date +%s.%N)
  echo "$tag $f :: cpu $(awk '{printf "%.1f", $1/1e9}' $G/cpuacct.usage) s wall $(echo "$e - $s" | bc) s rc $rc" >> $here/research/ci_time/cpu2.txt
done
