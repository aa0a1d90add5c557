#!/bin/bash
# usage: review_self.sh TAG REPO [BASE HEAD]   one `cicd_agent review --provider none` of BASE..HEAD (default HEAD~1..HEAD)
# in a cgroup v1 cpuacct group of its own, with this worktree's code; appends user/system CPU
# (cpuacct.stat ticks, 1/100 s) and wall to e2e_review.txt.
here=$(cd "$(dirname "$0")" && pwd)
wt=$(cd "$here/../../.." && pwd)
tag=$1; repo=$2; base=${3:-HEAD~1}; head=${4:-HEAD}
G=/sys/fs/cgroup/cpuacct/cie2e-self-$$; mkdir -p $G
echo 0 > $G/cpuacct.usage
echo $BASHPID > $G/cgroup.procs
read -r _ u0 < <(grep user $G/cpuacct.stat); read -r _ s0 < <(grep system $G/cpuacct.stat)
s=$(date +%s.%N)
PYTHONPATH=$wt/src nice -n 15 $wt/.venv/bin/python -m cicd_agent review --repo "$repo" --base $base --head $head --provider none --json > $here/e2e_out/$tag.json 2> $here/e2e_out/$tag.err
rc=$?
e=$(date +%s.%N)
read -r _ u1 < <(grep user $G/cpuacct.stat); read -r _ s1 < <(grep system $G/cpuacct.stat)
echo "$tag review --repo $repo --base $base --head $head --provider none --json :: cpu $(awk '{printf "%.1f", $1/1e9}' $G/cpuacct.usage) s (user $(( (u1-u0) ))/100 s, system $(( (s1-s0) ))/100 s) wall $(echo "$e - $s" | bc) s rc $rc" >> $here/e2e_review.txt
echo $$ > /sys/fs/cgroup/cpuacct/cgroup.procs
rmdir $G
