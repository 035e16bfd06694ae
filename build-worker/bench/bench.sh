#!/usr/bin/env bash
# Benchmark of the shipped command line (bin/build-worker) against GNU tar + pigz, as whole processes, alternating,
# median of N runs (default 5), results in docs/benchmarks/build-worker.md (by hand). A program, not a test.
#
#   build-worker/bench/bench.sh [work-dir] [runs]
#   BENCH_ONLY="customize unpack-repack" build-worker/bench/bench.sh …   (a subset, still alternating)
#
# Needs: the packaged jar (./mvnw -q -pl build-worker -am package -DskipTests), GNU tar, pigz, /usr/bin/time.
# The work dir (default /tmp/bw-bench, never inside the repository) gets a root of about 1.1 GiB made once from this
# machine's /usr/share (many small text files), /usr/bin (binaries), one 64 MiB file of random bytes and one of
# compressible text, on a NixOS-WSL skeleton (demo-root).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cli="$here/../bin/build-worker"
work=${1:-/tmp/bw-bench}
runs=${2:-5}
mkdir -p "$work"
cd "$work"

if [ ! -f root.done ]; then
  rm -rf root
  "$cli" demo-root root --host bench --nixos-version 25.05.20250601.abcdef0 >/dev/null
  mkdir -p root/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-share root/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-bin
  cp -a /usr/share/. root/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-share/
  cp -a /usr/bin/. root/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-bin/
  # no special files, as in a store path
  find root -type p -delete -o -type s -delete -o -type b -delete -o -type c -delete
  mkdir -p root/nix/store/cccccccccccccccccccccccccccccccc-data
  head -c 64M /dev/urandom > root/nix/store/cccccccccccccccccccccccccccccccc-data/random.bin
  (for i in $(seq 1 400000); do echo "2026-12-01T00:00:$((i % 60)) host-$((i % 97)) unit-$((i % 13)).service: event $i state=$((i % 7)) ok"; done) \
    | head -c 64M > root/nix/store/cccccccccccccccccccccccccccccccc-data/journal.log
  touch root.done
fi
printf '{ ... }: { wsl.enable = true; networking.proxy.default = "http://proxy:3128"; }\n' > corp.nix

# "upstream": the root as NixOS-WSL's tarball builder packs it
tar -C root -c --sort=name --mtime=@1 --numeric-owner --hard-dereference . | pigz > upstream.wsl

only=${BENCH_ONLY:-pack tar-pigz customize unpack-repack inspect}
measure() { # name command... : appends "<name> <seconds> <maxrss KiB> <cpu seconds>" to times.txt
  local name=$1; shift
  case " $only " in *" $name "*) ;; *) return 0 ;; esac
  /usr/bin/time -f "%e %M %U %S" -o time.out "$@" >/dev/null 2>run.err || { echo "$name failed:"; cat run.err; exit 1; }
  echo "$name $(awk '{print $1, $2, $3 + $4}' time.out)" >> times.txt
}
baseline_customize() {
  rm -rf x && mkdir x && pigz -dc upstream.wsl | tar -C x -xf - \
    && cp corp.nix x/etc/nixos/configuration.nix \
    && sed -i 's/^defaultName = .*/defaultName = Corp/' x/etc/wsl-distribution.conf \
    && tar -C x -c --sort=name --mtime=@1 --numeric-owner --hard-dereference . | pigz -6 > repacked.wsl && rm -rf x
}
export -f baseline_customize

: > times.txt
for i in $(seq 1 "$runs"); do
  measure pack "$cli" pack root ours.wsl
  measure tar-pigz sh -c 'tar -C root -c --sort=name --mtime=@1 --numeric-owner --hard-dereference . | pigz -6 > tar-pigz.wsl'
  measure customize "$cli" customize upstream.wsl custom.wsl --default-name Corp --file /etc/nixos/configuration.nix=corp.nix
  measure unpack-repack bash -c baseline_customize
  measure inspect "$cli" inspect upstream.wsl
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for name in $only; do
  t=$(awk -v n=$name '$1 == n {print $2}' times.txt | median)
  cpu=$(awk -v n=$name '$1 == n {print $4}' times.txt | median)
  rss=$(awk -v n=$name '$1 == n {print $3}' times.txt | sort -n | tail -1)
  all=$(awk -v n=$name '$1 == n {printf "%s ", $2}' times.txt)
  echo "$name median ${t}s wall, ${cpu}s CPU (runs: ${all}) max RSS $((rss / 1024)) MB"
done
echo "root: $(du -sb root | cut -f1) bytes in $(find root | wc -l) entries"
size() { [ -f "$1" ] && stat -c %s "$1" || echo "-"; }
echo "sizes: ours $(size ours.wsl), tar|pigz -6 $(size tar-pigz.wsl), upstream $(size upstream.wsl), customised $(size custom.wsl), repacked $(size repacked.wsl)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
