# Sourced by the service scripts (postgres.sh, slurm.sh).

# A daemon started here outlives the script: it must not keep the caller's descriptors open. A
# caller that learns of the script's end from a descriptor closing (Foundation's Process on
# Linux) would otherwise wait until the daemon stops.
close_inherited() {
  local fd
  for fd in $(ls /proc/$$/fd); do
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}
