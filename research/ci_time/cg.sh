#!/bin/bash
# usage: cg.sh OUTFILE command...   runs command in its own cgroup v1 cpuacct group, appends "cpu_seconds ... wall" to OUTFILE
G=/sys/fs/cgroup/cpuacct/suite-$$   # a group per run: runs side by side are counted apart
mkdir -p $G
out=$1; shift
echo 0 > $G/cpuacct.usage
echo $BASHPID > $G/cgroup.procs
s=$(date +%s.%N)
"$@"
rc=$?
e=$(date +%s.%N)
echo "${TAG:+$TAG }$* :: cpu $(awk '{printf "%.1f", $1/1e9}' $G/cpuacct.usage) s wall $(echo "$e - $s" | bc) s rc $rc" >> $out
echo $$ > /sys/fs/cgroup/cpuacct/cgroup.procs
rmdir $G
