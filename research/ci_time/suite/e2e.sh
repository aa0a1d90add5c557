#!/bin/bash
# usage: e2e.sh before|after PYTEST-ARGS...   one pytest run (nice 15, no xdist) in a cgroup v1
# cpuacct group of its own (../cg.sh's accounting: the pytest process and all it starts, sandboxed
# or not); "before": the branch point 478e11d3 in a detached worktree ($BASE, default
# /tmp/cie2e-base), "after": this worktree; both with this worktree's virtualenv.
# Appends "TAG ARGS :: cpu S wall S rc N" to e2e_review.txt; pytest output in e2e_out/.
here=$(cd "$(dirname "$0")" && pwd)
wt=$(cd "$here/../../.." && pwd)
tag=$1; shift
if [ $tag = before ]; then dir=${BASE:-/tmp/cie2e-base}; else dir=$wt; fi
export PYTHONPATH=$dir/src:$dir
unset PYTHONDONTWRITEBYTECODE  # as .ci/run: the suite writes bytecode (both trees compiled first)
cd $dir
$wt/.venv/bin/python -m compileall -q src tests >/dev/null 2>&1
name=$(echo "$*" | tr -c 'A-Za-z0-9_.\n' '-' | cut -c1-80)
G=/sys/fs/cgroup/cpuacct/cie2e-$$; mkdir -p $G
echo 0 > $G/cpuacct.usage
echo $BASHPID > $G/cgroup.procs
s=$(date +%s.%N)
nice -n 15 $wt/.venv/bin/python -m pytest -q -p no:cacheprovider --durations=0 "$@" > $here/e2e_out/$tag-$name.out 2>&1
rc=$?
e=$(date +%s.%N)
echo "$tag $* :: cpu $(awk '{printf "%.1f", $1/1e9}' $G/cpuacct.usage) s wall $(echo "$e - $s" | bc) s rc $rc" >> $here/e2e_review.txt
echo $$ > /sys/fs/cgroup/cpuacct/cgroup.procs
rmdir $G
