#!/usr/bin/env bash
# The system packages the full test suite uses, from Debian/Ubuntu's archive (as root):
#   munge slurmctld slurmd slurm-client   the throwaway SLURM cluster of tests/workflow/test_slurm.py
#   chromium                              the headless browser of tests/workflow/test_browser.py
#   rsync                                 how snakemake-storage-plugin-fs copies (tests/workflow/test_storage.py)
# .ci/run calls it on every fresh machine; on a workstation: sudo scripts/install_test_deps.sh
# Installs only what is missing; never starts a service.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install_test_deps.sh: needs root (apt-get)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "install_test_deps.sh: apt-get not found" >&2; exit 1; }
want=()
for pair in munge:/usr/sbin/munged slurmctld:/usr/sbin/slurmctld slurmd:/usr/sbin/slurmd \
    slurm-client:/usr/bin/sbatch chromium:/usr/bin/chromium rsync:/usr/bin/rsync; do
    [ -x "${pair#*:}" ] || want+=("${pair%%:*}")
done
if [ ${#want[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${want[@]}"
fi
