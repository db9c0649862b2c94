#!/usr/bin/env bash
# Mutation testing of the modules that carry the rules (not part of CI: it takes hours).
#
#   bash scripts/mutants.sh [--shard K/N] [--module NAME]... [-- EXTRA cargo-mutants ARGS]
#
# Modules (default: all): secrets, names (cable.yml / URL / name rules: src/chatwoot.rs and
# src/chatwoot/*.rs), dotenv (the .env reader), envmerge (src/envfile.rs), sizing, planner
# (src/plan.rs), write (atomic write: src/write.rs).
#
# Resumable: each module and shard has its own output directory,
# mutants.out/<module>/shard-K-of-N/, and a rerun passes --iterate, so mutants already caught
# are skipped and only missed, timed-out and untested ones run again. Delete the directory to
# start a module over.
# Sharded: --shard K/N runs the K-th of N slices (0-based, cargo-mutants' convention), so a
# campaign can be split over evenings or machines; with 2 cores keep one job (-j 1, the default
# here) and let the test binary use the other core.
# The figures: mutants.out/<module>/shard-*/mutants.out/outcomes.json and the caught.txt,
# missed.txt, timeout.txt, unviable.txt lists beside it; a summary is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

shard="0/1"
modules=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shard) shard="$2"; shift 2 ;;
    --shard=*) shard="${1#--shard=}"; shift ;;
    --module) modules+=("$2"); shift 2 ;;
    --module=*) modules+=("${1#--module=}"); shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "mutants.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$shard" =~ ^[0-9]+/[1-9][0-9]*$ ]] || [ "${shard%/*}" -ge "${shard#*/}" ]; then
  echo "mutants.sh: --shard is K/N with 0 <= K < N, e.g. --shard 0/4; got $shard" >&2
  exit 2
fi
[ ${#modules[@]} -gt 0 ] || modules=(secrets names dotenv envmerge sizing planner write)

files_of() {
  case "$1" in
    secrets) echo "src/secrets.rs" ;;
    names) echo "src/chatwoot.rs src/chatwoot/*.rs" ;;
    dotenv) echo "src/dotenv.rs" ;;
    envmerge) echo "src/envfile.rs" ;;
    sizing) echo "src/sizing.rs" ;;
    planner) echo "src/plan.rs" ;;
    write) echo "src/write.rs" ;;
    *) return 1 ;;
  esac
}

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "cargo-mutants is missing: installing it (cargo install cargo-mutants --locked)" >&2
  cargo install cargo-mutants --locked
fi

k="${shard%/*}"
n="${shard#*/}"
for m in "${modules[@]}"; do
  files=$(files_of "$m") || { echo "mutants.sh: unknown module $m" >&2; exit 2; }
  out="mutants.out/$m/shard-$k-of-$n"
  mkdir -p "$out"
  args=(--no-shuffle -j 1 --shard "$shard" --output "$out" --timeout-multiplier 3)
  for f in $files; do args+=(--file "$f"); done
  # Resume: only what was not caught last time.
  if [ -f "$out/mutants.out/outcomes.json" ]; then args+=(--iterate); fi
  echo "== $m ($files), shard $shard -> $out" >&2
  # cargo-mutants exits 2 when mutants were missed, 3 on timeouts: figures, not failures here.
  cargo mutants "${args[@]}" "${extra[@]}" || [ $? -le 3 ]
done

echo
printf '%-10s %-8s %7s %7s %7s %8s %9s\n' module shard caught missed timeout unviable caught%
for m in "${modules[@]}"; do
  d="mutants.out/$m/shard-$k-of-$n/mutants.out"
  [ -d "$d" ] || continue
  c=$(wc -l <"$d/caught.txt" 2>/dev/null || echo 0)
  mi=$(wc -l <"$d/missed.txt" 2>/dev/null || echo 0)
  t=$(wc -l <"$d/timeout.txt" 2>/dev/null || echo 0)
  u=$(wc -l <"$d/unviable.txt" 2>/dev/null || echo 0)
  viable=$((c + mi + t))
  pct="-"
  [ "$viable" -gt 0 ] && pct=$(( (100 * (c + t)) / viable ))
  printf '%-10s %-8s %7s %7s %7s %8s %8s%%\n' "$m" "$shard" "$c" "$mi" "$t" "$u" "$pct"
  if [ "$mi" -gt 0 ]; then sed 's/^/    missed: /' "$d/missed.txt"; fi
done
