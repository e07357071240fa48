#!/usr/bin/env bash
# A 3-node olmo4j cluster on this machine: three JVMs on 127.0.0.1 (ports P, P+1, P+2), one worker
# each, training configs/olmo-tiny.yaml. Every node runs the same `bin/olmo4j launch`; the one
# whose --port is the first seed's starts the cluster, the others join it. Waits for the run to
# end and exits with the first non-zero exit code of the three (0 when all succeed).
#   scripts/local-3-nodes.sh                      # 20 steps
#   scripts/local-3-nodes.sh --max_duration=10    # any OLMo-style override
# Environment: OLMO4J_BASE_PORT (default 25531), OLMO4J_THREADS (default 1 per node),
# OLMO4J_JAVA_OPTS (default -Xmx2g), LOG_DIR (default runs/local-3-nodes/logs).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
port="${OLMO4J_BASE_PORT:-25531}"
export OLMO4J_THREADS="${OLMO4J_THREADS:-1}"
export OLMO4J_JAVA_OPTS="${OLMO4J_JAVA_OPTS:--Xmx2g}"
save_folder="runs/local-3-nodes"
log_dir="${LOG_DIR:-$save_folder/logs}"
mkdir -p "$log_dir"

# 3 workers: the global batch must divide by 3. The user's overrides come last and win.
overrides=(--max_duration=20 --global_train_batch_size=24 --device_train_microbatch_size=8
  --save_folder="$save_folder" --cluster.workers_per_node=1 --cluster.min_workers=3 "$@")
seeds="127.0.0.1:$port"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'cleanup; exit 130' INT TERM

for i in 0 1 2; do
  bin/olmo4j launch configs/olmo-tiny.yaml --seed-nodes="$seeds" --host=127.0.0.1 \
    --port=$((port + i)) "${overrides[@]}" >"$log_dir/node$i.log" 2>&1 &
  pids+=($!)
  echo "node $i: pid ${pids[$i]}, 127.0.0.1:$((port + i)), log $log_dir/node$i.log"
  # The first start may build the project: let node 0 do it alone.
  [ "$i" = 0 ] && sleep 2
done

status=0
for i in 0 1 2; do
  wait "${pids[$i]}"
  code=$?
  echo "node $i exited with $code"
  if [ "$status" = 0 ] && [ "$code" != 0 ]; then status=$code; fi
done
echo "metrics: $save_folder/metrics.jsonl (bin/olmo4j plot $save_folder/metrics.jsonl plot.png)"
exit "$status"
