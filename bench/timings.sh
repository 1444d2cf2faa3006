#!/usr/bin/env bash
# Wall time of `npm run synth` (all default environments) and `npm test`, cold and warm.
# Cold: no cfn-guard verdict cache and no jest transform cache. Warm: the same command again.
# Prints a markdown table for docs/benchmarks.md. Numbers only mean something on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds() { local start end; start=$(date +%s.%N); "$@" > /dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc; }
clear_caches() { rm -rf node_modules/.cache/paved-road-cfn-guard cdk.out; npx jest --clearCache > /dev/null 2>&1; }

clear_caches
synth_cold=$(seconds npm run synth)
synth_warm=$(seconds npm run synth)
clear_caches
test_cold=$(seconds npm test)
test_warm=$(seconds npm test)

echo "| Command | Cold (s) | Warm (s) |"
echo "| --- | ---: | ---: |"
printf '| `npm run synth` (4 environments) | %.1f | %.1f |\n' "$synth_cold" "$synth_warm"
printf '| `npm test` | %.1f | %.1f |\n' "$test_cold" "$test_warm"
