#!/bin/bash
# usage: m.sh before|after file...   (before: the branch point's code in /tmp/lean/base; after: this worktree)
tag=$1; shift
if [ $tag = before ]; then dir=/tmp/lean/base; export PYTHONPATH=/tmp/lean/base/src:/tmp/lean/base; else dir=/tmp/lean/after; export PYTHONPATH=/tmp/lean/after/src:/tmp/lean/after; fi
cd $dir
for f in "$@"; do
  b=$(basename $f .py)
  /tmp/lean/cg.sh /work/wt-lean/research/ci_time/cpu.txt nice -n 15 /work/wt-lean/.venv/bin/python -m pytest -q -p no:cacheprovider --durations=5 $f > /work/wt-lean/research/ci_time/$tag-$b.out 2>&1
  sed -i '$ s/^/'$tag' /' /work/wt-lean/research/ci_time/cpu.txt
done
