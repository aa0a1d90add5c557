#!/bin/bash
# usage: area.sh TAG PATH...   one pytest process (-n 2, nice 10, --durations=60) over PATH... in
# its own cgroup v1 cpuacct group (../../cg.sh), in this worktree with its virtualenv, CI=true and
# PYTHONDONTWRITEBYTECODE unset as .ci/run has them. Lines go to cpu.txt, outputs to out/.
here=$(cd "$(dirname "$0")" && pwd)
wt=$(cd "$here/../../../.." && pwd)
tag=$1; shift
export CI=true
unset PYTHONDONTWRITEBYTECODE
cd $wt
b=$(echo "$tag-$*" | sed 's|tests/||g; s|[^A-Za-z0-9_.-]|_|g' | cut -c1-100)
TAG=$tag $here/../../cg.sh $here/cpu.txt nice -n 10 $wt/.venv/bin/python -m pytest -q -n ${WORKERS:-2} -p no:cacheprovider --durations=60 "$@" > $here/out/$b.out 2>&1
