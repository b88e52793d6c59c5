#!/usr/bin/env bash
# The whole story on local data and two local emulated clusters (run by `make demo`):
# a generated COCO dataset → cluster-a (detection→segmentation, "dog" / "dog shape")
# → a .scz archive (inspect, verify) → cluster-b → `scmigrate check` says identical;
# then the chain project migrated to an emulated Geti 3.x (one project per task, plan first), and
# through an emulated SC 1.x cluster (login, no tokens) back to Geti 2.x, checked.
set -euo pipefail

out=${DEMO_DIR:-demo-out}
rm -rf "$out"
mkdir -p "$out"
# Keep the demo's named clusters and journals out of the user's own config.
export SCMIGRATE_CONFIG="$out/config.json" XDG_STATE_HOME="$out/state"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

step "Generate a small COCO dataset (Pillow-drawn images with known shapes)"
python -m scmigrate.testing.coco "$out/coco" --images 60 --seed 7

step "Start two local SC-compatible clusters (HTTPS, self-signed certificates)"
for c in a b; do
  sc-emulator serve --data-dir "$out/cluster-$c" --port 0 --tls --url-file "$out/cluster-$c.url" \
    >"$out/cluster-$c.log" 2>&1 &
  pids+=($!)
done
for c in a b; do
  for _ in $(seq 100); do [ -s "$out/cluster-$c.url" ] && break; sleep 0.1; done
  [ -s "$out/cluster-$c.url" ] || { cat "$out/cluster-$c.log"; exit 1; }
  # The token goes in on standard input: never on a command line.
  scmigrate clusters add "cluster-$c" --url "$(cat "$out/cluster-$c.url")" \
    --ca-bundle "$out/cluster-$c/ca.pem" --token-stdin <"$out/cluster-$c/token.txt"
done
scmigrate clusters list
scmigrate clusters test cluster-a

step "COCO → cluster-a: a detection→segmentation project of the images with dogs (plan first)"
coco=(--from "coco:$out/coco/annotations/instances_default.json" --images "$out/coco/images")
scmigrate run "${coco[@]}" --to cluster-a --project "Dogs" \
  --project-type detection_to_segmentation --labels dog --dry-run
scmigrate run "${coco[@]}" --to cluster-a --project "Dogs" \
  --project-type detection_to_segmentation --labels dog --report "$out/seed-report.json"
scmigrate projects cluster-a

step "Back up cluster-a's project to an archive, then inspect and verify it"
scmigrate run --from cluster-a --project "Dogs" --to "$out/dogs.scz"
scmigrate inspect "$out/dogs.scz"
scmigrate verify "$out/dogs.scz"
tar --zstd -tf "$out/dogs.scz" | sed -n "1,5p"   # standard tools read it

step "Restore the archive on cluster-b"
scmigrate run --from "$out/dogs.scz" --to cluster-b --report "$out/restore-report.json"

step "Compare: cluster-a's project against cluster-b's, and against the archive"
scmigrate check --from cluster-a --project "Dogs" --to cluster-b
scmigrate check --from cluster-a --project "Dogs" --to "$out/dogs.scz"

step "Migrate the chain project to Geti 3.x (one task per project): the plan first, every loss listed"
sc-emulator serve --dialect geti3 --data-dir "$out/geti3" --port 0 --url-file "$out/geti3.url" \
  >"$out/geti3.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$out/geti3.url" ] && break; sleep 0.1; done
[ -s "$out/geti3.url" ] || { cat "$out/geti3.log"; exit 1; }
scmigrate clusters add geti3 --url "$(cat "$out/geti3.url")" --ca-bundle "$out/geti3/ca.pem"   # no token
scmigrate clusters test geti3
scmigrate run --from cluster-a --project "Dogs" --to geti3 --dry-run
scmigrate run --from cluster-a --project "Dogs" --to geti3 --report "$out/geti3-report.json"
scmigrate projects geti3

step "An old SC 1.x cluster (login, no tokens): the project down to it, then up to Geti 2.x, checked"
sc-emulator serve --dialect sc1 --data-dir "$out/old-sc" --port 0 --tls --url-file "$out/old-sc.url" \
  >"$out/old-sc.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$out/old-sc.url" ] && break; sleep 0.1; done
[ -s "$out/old-sc.url" ] || { cat "$out/old-sc.log"; exit 1; }
# the password goes in on standard input, as a token would
scmigrate clusters add old-sc --url "$(cat "$out/old-sc.url")" --ca-bundle "$out/old-sc/ca.pem" \
  --username admin --password-stdin <"$out/old-sc/password.txt"
scmigrate clusters test old-sc
scmigrate run --from cluster-a --project "Dogs" --to old-sc --dry-run
scmigrate run --from cluster-a --project "Dogs" --to old-sc
scmigrate run --from old-sc --project "Dogs" --to cluster-b --to-project "Dogs from SC 1.x"
scmigrate check --from old-sc --project "Dogs" --to cluster-b --to-project "Dogs from SC 1.x"

step "Done: everything is under $out/"
