#!/usr/bin/env bash
# Mutation testing of the modules that carry the rules (not part of CI: it takes hours).
#
#   bash scripts/mutants.sh [--shard K/N] [--module NAME]... [--stage 1|2|both] [--out DIR]
#                           [-- EXTRA ARGS]
#
# Modules (default: all): secrets, names (cable.yml / URL / name rules: src/chatwoot.rs,
# src/chatwoot/*.rs and src/chatwoot/psych/*.rs), dotenv (the .env reader), envmerge
# (src/envfile.rs), sizing, planner (src/plan.rs), write (atomic write: src/write.rs).
# EXTRA ARGS go to cargo-mutants, e.g. `-- -F 'validate_username'` to run only the mutants
# whose name matches (stage 1; stage 2 takes stage 1's survivors by name and gets EXTRA ARGS
# without -F). --out DIR keeps the results under DIR instead of mutants.out (e.g. for such a
# filtered re-run).
#
# Two stages, so one mutant costs seconds, not the whole suite's minutes:
#   1. every mutant against the unit tests (`cargo test --lib`: one incremental rebuild of the
#      library's test binary, built without debug info to cut the link time; the .env merge's
#      slow linear-time test only for that module);
#   2. only stage 1's survivors again, against the integration tests that exercise the module
#      (a test-name filter per module, below; the real servers and readers run there).
# A mutant is caught when either stage catches it. Stage 2 needs stage 1's missed.txt.
#
# Sharded: --shard K/N runs the K-th of N round-robin slices (0-based, cargo-mutants'
# convention: mutant i goes to shard i % N), so --shard 0/5 is an even 20% sample of a module
# spread over the whole file, and the N shards together are every mutant.
# Resumable: each module, shard and stage has its own directory,
# mutants.out/<module>/shard-K-of-N/stage-S/; a stage that finished leaves a `done` file and is
# skipped on a rerun; an interrupted one is resumed with --iterate (mutants already caught are
# not run again). Delete the directory to start over. Keep one job (-j 1): the test binary uses
# the other core.
#
# Reading the figures (printed at the end, per module and shard):
#   tested    mutants generated in the shard (caught + missed + timeout + unviable)
#   caught    a test failed (stage 1 or 2)        missed   no test failed in either stage
#   timeout   the tests hung (counted as caught: a hang is noticed)
#   unviable  the mutant does not compile (not a test gap; left out of caught%)
#   caught%   (caught + timeout) / (tested - unviable)
# A shard other than 0/1 is a sample: say its size with the figure. The surviving mutants are
# listed under the table; mutants.out/<module>/shard-K-of-N/stage-S/mutants.out/ has the logs
# and diffs (cargo-mutants' own caught.txt, missed.txt, timeout.txt, unviable.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

shard="0/1"
out="mutants.out"
modules=()
stages="both"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shard) shard="$2"; shift 2 ;;
    --shard=*) shard="${1#--shard=}"; shift ;;
    --module) modules+=("$2"); shift 2 ;;
    --module=*) modules+=("${1#--module=}"); shift ;;
    --stage) stages="$2"; shift 2 ;;
    --stage=*) stages="${1#--stage=}"; shift ;;
    --out) out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/!p}' "$0"; exit 0 ;;
    *) echo "mutants.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$shard" =~ ^[0-9]+/[1-9][0-9]*$ ]] || [ "${shard%/*}" -ge "${shard#*/}" ]; then
  echo "mutants.sh: --shard is K/N with 0 <= K < N, e.g. --shard 0/4; got $shard" >&2
  exit 2
fi
case "$stages" in
  1|2|both) ;;
  *) echo "mutants.sh: --stage is 1, 2 or both; got $stages" >&2; exit 2 ;;
esac
[ ${#modules[@]} -gt 0 ] || modules=(secrets names dotenv envmerge sizing planner write)
# Stage 2 selects stage 1's survivors by name; a name filter among EXTRA ARGS (-F/--re) would
# be ORed with those and widen it again, so stage 2 gets EXTRA ARGS without them.
extra2=()
skip_next=false
for a in ${extra[@]+"${extra[@]}"}; do
  if $skip_next; then skip_next=false; continue; fi
  case "$a" in
    -F|--re) skip_next=true ;;
    -F?*|--re=*) ;;
    *) extra2+=("$a") ;;
  esac
done

files_of() {
  case "$1" in
    secrets) echo "src/secrets.rs" ;;
    names) echo "src/chatwoot.rs src/chatwoot/*.rs src/chatwoot/psych/*.rs" ;;
    dotenv) echo "src/dotenv.rs" ;;
    envmerge) echo "src/envfile.rs" ;;
    sizing) echo "src/sizing.rs" ;;
    planner) echo "src/plan.rs" ;;
    write) echo "src/write.rs" ;;
    *) return 1 ;;
  esac
}

# Stage 2: the integration test modules that reach each module's code (libtest filters: a
# test runs when its name contains one of them). A module whose files are reached by different
# tests names a filter per file (integration_of_file); its survivors then run file by file.
integration_of_file() {
  case "$1" in
    src/chatwoot/compose_env.rs) echo "readers::compose" ;;
    src/chatwoot/psych.rs | src/chatwoot/psych/*.rs) echo "readers::psych" ;;
    src/chatwoot/redis_url.rs) echo "readers::redis_url readers::the_suites" ;;
    src/chatwoot.rs) echo "rule_boundaries:: name_refusals:: acl_users:: kubernetes_name_limits:: password_refusals:: sentinel_client:: hostile:: properties:: readers:: consumers:: helm_chart::" ;;
    *) return 1 ;;
  esac
}
integration_of() {
  case "$1" in
    secrets) echo "consumers_every_source:: acl_users:: rule_boundaries:: properties:: committed_secrets:: hostile:: sentinel_client:: bounded_inputs:: secret_inputs:: heroku_endpoint:: fresh_clone_helm:: env_file_elsewhere:: password_refusals::" ;;
    names) echo "rule_boundaries:: properties:: hostile:: readers:: acl_users:: consumers:: helm_chart:: password_refusals:: kubernetes_name_limits:: sentinel_client::" ;;
    dotenv) echo "readers:: lifecycle:: consumers_every_source:: hostile::" ;;
    envmerge) echo "lifecycle:: readers:: consumers_every_source:: env_hand_edits:: env_readers:: env_file_elsewhere::" ;;
    sizing) echo "sizing:: plan::" ;;
    planner) echo "plan:: sizing:: cmd_cases:: env_file_elsewhere:: committed_secrets:: output_links:: env_hand_edits:: durability:: another_user:: fix_command:: lifecycle::" ;;
    write) echo "concurrency:: private_temps:: lifecycle:: output_links:: durability:: plan::" ;;
  esac
}

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "cargo-mutants is missing: installing it (cargo install cargo-mutants --locked)" >&2
  cargo install cargo-mutants --locked
fi

# One target directory for every scratch copy (dependencies are built once), without debug
# info (the link of the test binaries is most of a mutant's build time). Separate from target/
# so the normal builds keep their cache.
export CARGO_TARGET_DIR="${CHATWOOT_REDIS_MUTANTS_TARGET:-$PWD/target/mutants}"
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
# The property tests draw the same cases for every mutant (and as in CI: scripts/test.sh), so
# whether one catches a mutant does not depend on the run.
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261201}"
# cargo-mutants tests each mutant in a scratch copy under $TMPDIR; the integration tests read
# ../shared/reference/ beside the checkout, so the scratch copies get a `shared` beside them.
if [ -d ../shared ]; then
  scratch="${TMPDIR:-/tmp}/chatwoot-redis-mutants"
  mkdir -p "$scratch"
  ln -sfn "$(cd ../shared && pwd)" "$scratch/shared"
  export TMPDIR="$scratch"
fi

lines() { if [ -f "$1" ]; then grep -c . "$1" || true; else echo 0; fi; }

# cargo-mutants' -F takes a regex; a mutant's name from missed.txt, matched literally.
literal_re() { printf '^%s$' "$(printf '%s' "$1" | sed 's/[][\\.^$*+?(){}|/]/\\&/g')"; }

run_stage() { # module stage dir args...
  local m="$1" s="$2" dir="$3"
  shift 3
  if [ -f "$dir/done" ]; then
    echo "== $m stage $s: already done ($dir)" >&2
    return 0
  fi
  mkdir -p "$dir"
  local args=("$@")
  # Resume an interrupted stage: only what was not caught last time.
  if [ -f "$dir/mutants.out/outcomes.json" ]; then args+=(--iterate); fi
  # cargo-mutants exits 2 when mutants were missed, 3 on timeouts: figures, not failures here.
  local rc=0
  cargo mutants "${args[@]}" || rc=$?
  if [ "$rc" -gt 3 ]; then
    echo "mutants.sh: cargo-mutants failed ($rc) for $m stage $s; see $dir/mutants.out/debug.log" >&2
    exit 1
  fi
  touch "$dir/done"
}

# Code under #[cfg(not(unix))] is not compiled here: its mutants would all "survive" without
# being built. They are left out by line (the item after the attribute, to its closing brace
# in column 0), computed from the source on every run.
non_unix_excludes() { # files...
  local f
  for f in "$@"; do
    awk -v f="$f" '
      /^#\[cfg\(not\(unix\)\)\]/ { start = NR + 1; next }
      start && /^}/ { for (i = start; i <= NR; i++) printf "%s%s", (n++ ? "|" : ""), i; start = 0 }
      END { if (n) printf "\n" }
    ' "$f" | while IFS= read -r lines; do
      [ -n "$lines" ] && printf -- '-E\n^%s:(%s):\n' "$(printf '%s' "$f" | sed 's/[.]/\\./g')" "$lines"
    done
  done
}

k="${shard%/*}"
n="${shard#*/}"
for m in "${modules[@]}"; do
  files=$(files_of "$m") || { echo "mutants.sh: unknown module $m" >&2; exit 2; }
  base="$out/$m/shard-$k-of-$n"
  common=(--no-shuffle -j 1 --timeout-multiplier 3 --minimum-test-timeout 30)
  for f in $files; do common+=(--file "$f"); done
  # shellcheck disable=SC2086 # $files is a list of paths and globs, split on purpose
  while IFS= read -r arg; do common+=("$arg"); done < <(non_unix_excludes $files)
  if [ "$stages" != 2 ]; then
    echo "== $m ($files), shard $shard, stage 1: unit tests" >&2
    # The .env merge's linear-time test takes most of the unit tests' time in a debug build
    # and pins only src/envfile.rs: the other modules' mutants skip it.
    skip=()
    [ "$m" = envmerge ] || skip=(-- -- --skip envfile::tests::merge_is_linear_in_the_file_size)
    run_stage "$m" 1 "$base/stage-1" "${common[@]}" --shard "$shard" --sharding round-robin \
      --output "$base/stage-1" ${extra[@]+"${extra[@]}"} -C --lib ${skip[@]+"${skip[@]}"}
  fi
  if [ "$stages" != 1 ]; then
    missed1="$base/stage-1/mutants.out/missed.txt"
    if [ ! -f "$base/stage-1/done" ]; then
      echo "mutants.sh: stage 2 of $m needs stage 1 first (run with --stage 1 or both)" >&2
      exit 2
    fi
    if [ "$(lines "$missed1")" -eq 0 ]; then
      echo "== $m stage 2: no survivors of stage 1" >&2
      continue
    fi
    echo "== $m stage 2: $(lines "$missed1") survivors against the integration tests" >&2
    # No --shard here: the survivors are already the shard's (sharding them again drops some).
    # One run per source file where the files have their own tests (stage-2/<file>/), else one.
    # shellcheck disable=SC2086 # $files is a list of paths and globs, split on purpose
    for f in $(if integration_of_file "${files%% *}" >/dev/null; then echo $files; else echo all; fi); do
      filters=()
      while IFS= read -r name; do
        [ -n "$name" ] && filters+=(-F "$(literal_re "$name")")
      done < <(if [ "$f" = all ]; then cat "$missed1"; else awk -F: -v f="$f" '$1 == f' "$missed1"; fi)
      [ ${#filters[@]} -gt 0 ] || continue
      dir="$base/stage-2"
      tests="$(integration_of "$m")"
      if [ "$f" != all ]; then
        dir="$base/stage-2/$(basename "$f" .rs)"
        tests="$(integration_of_file "$f" || integration_of "$m")"
      fi
      # shellcheck disable=SC2046,SC2086 # the filters are words on purpose
      run_stage "$m" 2 "$dir" "${common[@]}" "${filters[@]}" --output "$dir" \
        ${extra2[@]+"${extra2[@]}"} -C --test -C integration -- -- $tests
    done
    touch "$base/stage-2/done"
  fi
done

echo
printf '%-9s %-6s %6s %6s %6s %7s %8s %7s\n' module shard tested caught missed timeout unviable caught%
for m in "${modules[@]}"; do
  d1="$out/$m/shard-$k-of-$n/stage-1/mutants.out"
  # Stage 2's outcomes: one per source file (stage-2/<file>/mutants.out) or a single run.
  d2s=("$out/$m/shard-$k-of-$n"/stage-2/*/mutants.out)
  [ -d "${d2s[0]}" ] || d2s=("$out/$m/shard-$k-of-$n/stage-2/mutants.out")
  [ -d "$d1" ] || continue
  c=$(( $(lines "$d1/caught.txt") + $(lines "$d1/previously_caught.txt") ))
  t=$(lines "$d1/timeout.txt")
  u=$(lines "$d1/unviable.txt")
  survivors="$d1/missed.txt"
  if [ -f "$out/$m/shard-$k-of-$n/stage-2/done" ]; then
    # Only stage 1's survivors count (cargo-mutants may add mutants a name filter cannot
    # select): those stage 2 caught or timed out move over, the rest stay missed.
    left="$out/$m/shard-$k-of-$n/stage-2/survivors.txt"
    for d2 in "${d2s[@]}"; do
      cat "$d2"/caught.txt "$d2"/previously_caught.txt "$d2"/timeout.txt 2>/dev/null || true
    done \
      | grep -Fxv -f - "$d1/missed.txt" >"$left" || true
    moved=$(( $(lines "$d1/missed.txt") - $(lines "$left") ))
    t2=0
    for d2 in "${d2s[@]}"; do
      if [ -s "$d2/timeout.txt" ]; then
        t2=$(( t2 + $(grep -Fx -f "$d2/timeout.txt" "$d1/missed.txt" | grep -c . || true) ))
      fi
    done
    c=$(( c + moved - t2 ))
    t=$(( t + t2 ))
    survivors="$left"
  fi
  mi=$(lines "$survivors")
  tested=$((c + mi + t + u))
  viable=$((c + mi + t))
  pct="-"
  [ "$viable" -gt 0 ] && pct="$(( (100 * (c + t)) / viable ))%"
  printf '%-9s %-6s %6s %6s %6s %7s %8s %7s\n' "$m" "$shard" "$tested" "$c" "$mi" "$t" "$u" "$pct"
  if [ "$mi" -gt 0 ]; then sed 's/^/    missed: /' "$survivors"; fi
done
