#!/usr/bin/env bash
# tests/mpi_check.sh MPIEXEC TWOSTAGE: `run` on two MPI ranks must print exactly
# what one process prints with the same seed (sim/parallel.hpp).
set -euo pipefail
mpiexec=$1
twostage=$2
args=(run two-sided-linear --plays 300000 --seed 9 --json --threads 1 --seller report=tremble:0.1)
one=$("$twostage" "${args[@]}")
two=$("$mpiexec" --allow-run-as-root --oversubscribe -np 2 "$twostage" "${args[@]}")
if [ "$one" != "$two" ]; then
  echo "two ranks differ from one process" >&2
  diff <(echo "$one") <(echo "$two") >&2 || true
  exit 1
fi
# Every other command runs on rank 0 only and prints once.
count=$("$mpiexec" --allow-run-as-root --oversubscribe -np 2 "$twostage" describe lemons | grep -c '^Scenario lemons')
[ "$count" -eq 1 ] || { echo "describe printed $count times under mpirun" >&2; exit 1; }
echo "mpi: two ranks equal one process"
# A sweep split over two ranks writes the same files as one process.
dir=$(mktemp -d)
sweep=(sweep two-sided-linear --grid gamma1=0.2:0.8:2 --grid gamma2=0.3:0.7:2 --plays 0)
"$twostage" "${sweep[@]}" --out "$dir/one" > "$dir/one.out" 2>/dev/null
"$mpiexec" --allow-run-as-root --oversubscribe -np 2 "$twostage" "${sweep[@]}" --out "$dir/two" \
  > "$dir/two.out" 2>/dev/null
cmp "$dir/one/sweep.csv" "$dir/two/sweep.csv"
cmp "$dir/one/sweep.json" "$dir/two/sweep.json"
diff <(sed "s|$dir/one|DIR|" "$dir/one.out") <(sed "s|$dir/two|DIR|" "$dir/two.out")
rm -rf "$dir"
echo "mpi: sweep on two ranks equals one process"
