#!/bin/bash
# usage: cg.sh OUTFILE command...   runs command in cgroup cpuacct/lean, appends "cpu_seconds user sys" to OUTFILE
G=/sys/fs/cgroup/cpuacct/lean
out=$1; shift
echo 0 > $G/cpuacct.usage
echo $BASHPID > $G/cgroup.procs
s=$(date +%s.%N)
"$@"
rc=$?
e=$(date +%s.%N)
echo "$* :: cpu $(awk '{printf "%.1f", $1/1e9}' $G/cpuacct.usage) s ($(tr '\n' ' ' < $G/cpuacct.stat) ticks) wall $(echo "$e - $s" | bc) s rc $rc" >> $out
