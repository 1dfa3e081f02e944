/* accel: which accelerator QEMU uses. KVM only when a short probe boot
 * shows that it works here (on some hosts /dev/kvm exists but QEMU hangs
 * with it), the probe's result cached per QEMU binary and version. */
#ifndef MKDISTRO_ACCEL_H
#define MKDISTRO_ACCEL_H

#include "qemu.h"

/* How long the probe waits for the first console byte. */
#define ACCEL_PROBE_SECONDS 5.0

/* The accelerator to use: B->accel if set, else $MKDISTRO_ACCEL (kvm|tcg),
 * else "kvm" only if a short boot of B's kernel with KVM printed on the
 * console within ACCEL_PROBE_SECONDS, else "tcg". The probe's result is
 * cached under $XDG_CACHE_HOME/mkdistro (or ~/.cache/mkdistro), keyed by
 * the QEMU binary and its version. Returns a static string. */
const char *accel_choose(const struct boot *b);

#endif
