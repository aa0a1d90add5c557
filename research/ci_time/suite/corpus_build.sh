#!/bin/bash
# usage: corpus_build.sh before|after   one full build of the failed-run corpus (tests/corpus/build.py --force)
# into a scratch folder (removed, unless KEEP is set), in a cgroup (../cg.sh, nice 15); before: the tree
# in $BASE, after: this worktree.
here=$(cd "$(dirname "$0")" && pwd)
wt=$(cd "$here/../../.." && pwd)
tag=$1
if [ $tag = before ]; then dir=${BASE:-/tmp/suite-base}; else dir=$wt; fi
export PYTHONPATH=$dir/src:$dir
cd $dir
out=$(mktemp -d /tmp/corpus-$tag.XXXXXX)
TAG="$tag corpus-build" $here/../cg.sh $here/${OUT:-cpu.txt} nice -n 15 $wt/.venv/bin/python -m tests.corpus.build --out $out/corpus --force > $here/${OUTDIR:-.}/$tag-corpus-build.out 2>&1
[ -n "$KEEP" ] && echo "kept in $out" >> $here/${OUTDIR:-.}/$tag-corpus-build.out || rm -rf $out
