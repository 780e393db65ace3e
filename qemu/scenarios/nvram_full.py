"""Issue 7: NVRAM full under OVMF. Guests fill the variable store through efivarfs
(dummy NV variables until even a 1-byte one gets ENOSPC). On the next boot wdboot cannot
record its attempt: it must say so, leave the hardware watchdog off (a reset it could not
count would loop on the same slot for ever) and boot anyway. The guest reaches userspace,
sees watchdog=none in WdbootCurrent and the i6300esb disabled, runs `wdbootctl
mark-good`, and the VM is still up after twice the watchdog timeout, with no reset.

Why three boots: EDK2 never reuses the space of deleted or replaced variables at runtime,
but reclaims all of it at boot time, before wdboot writes. And it rewrites an existing
variable in the space of its old copy, so once WdbootStateA and B both exist a full
store cannot make wdboot's write fail. The write that fails is therefore the first one
of WdbootStateB, and it fails only if the garbage reclaimed before it is smaller than
the record: OVMF's first boot leaves about 4.5 KiB of garbage (console and boot option
updates), so
  boot 1  fills NVRAM and deletes WdbootStateA (its space comes back at the next boot);
  boot 2  after the reclaim wdboot creates WdbootStateA again, the guest fills the store
          once more, now with almost no garbage left behind (checked from vars.fd);
  boot 3  wdboot's first write of WdbootStateB does not fit."""
import os
import shutil

from wdqemu import guest, varstore
from wdqemu.scenario import Slot, config

NAME = "nvram_full"
TIMEOUT = 600
NEEDS_AGENT = True
SUMMARY = "NVRAM full: wdboot cannot record the attempt, boots without the watchdog, no reset"

WATCHDOG_S = 10
# The filling boots run under wdboot's watchdog too: give them room.
FILL_WATCHDOG_S = 60
# With less than a maximal variable (33 KiB) free, OVMF reclaims the whole store at
# every ReadyToBoot, and also when a boot-time write does not fit: under TCG each reclaim
# (about 0.5 MiB of pflash programming through the fault-tolerant write) takes ~40 s.
FIRMWARE_S = 150
STAY_S = 2 * WATCHDOG_S + 5
# Linux refuses NV writes that leave less than 5 KiB free unless told not to; the
# firmware itself has to run out of space.
PARANOIA_OFF = "efi_no_storage_paranoia"
WARNING = ("WARNING: the attempt is not on record, so a watchdog reset could not be counted: "
           "booting without the hardware watchdog")
# Fill 1 only has to leave less than a maximal variable free, so that boot 2 reclaims
# (its 32000-byte variables do, leaving room for OVMF's boot-time update of its MTC
# variable, which saves boot 2 a second reclaim). Fill 2 must leave less than the
# record needs: it fills to the last byte. (Leaving ~280 bytes instead made OVMF spend
# over 190 s before BDS in boot 3, against ~90 s for a store without a byte left.)
FILL1_SMALLEST = 32000
FILL2_SMALLEST = 1
# What the first write of WdbootStateB needs: a 60-byte header, the UCS-2 name, the
# 548-byte record, aligned to 4.
RECORD_NEED = (varstore.HEADER.size + 2 * len("WdbootStateB\0") + 548 + 3) & ~3


def fill_boot(ctx, label, actions, smallest):
    ctx.set_config(config([Slot("primary", action=actions, extra=PARANOIA_OFF), Slot("fallback")],
                          timeout=FILL_WATCHDOG_S))
    with ctx.vm(FIRMWARE_S + FILL_WATCHDOG_S + 40, label=label) as v:
        v.wait_for(r"WDTEST: powering off", FIRMWARE_S + FILL_WATCHDOG_S + 30)
        v.wait_exit(20)
    boots = ctx.boots(v)
    ctx.expect(len(boots) == 1, f"{label}: the filling boot was reset", boots[-1])
    (b,) = boots
    done = b.all(r"^WDTEST-FILL done variables=(\d+) data_bytes=(\d+)")
    ctx.expect(done, f"{label}: the guest did not fill NVRAM", b)
    refused = [m.group(1) for m in b.all(rf"^WDTEST-FILL size={smallest} refused: (.*)$")]
    ctx.expect(refused and "No space left on device" in refused[0],
               f"{label}: the last {smallest}-byte variable was not refused with ENOSPC: {refused}", b)
    store = varstore.read(ctx.vars_path)
    shutil.copyfile(ctx.vars_path, os.path.join(ctx.dir, f"vars-after-{label}.fd"))
    ctx.say(f"{label}: firmware took {firmware_s(ctx, b):.0f} s; {done[0].group(1)} variables "
            f"({done[0].group(2)} data bytes) written; {store.summary()}")
    return b, store


def firmware_s(ctx, b):
    """Seconds from the boot's start to wdboot's banner (OVMF's reclaims are in there)."""
    t, _ = b.first(guest.VERSION)
    ctx.expect(t is not None, "wdboot did not start", b)
    return t - b.start


def run(ctx):
    ctx.make_disk(config([Slot("primary"), Slot("fallback")]))
    b1, _ = fill_boot(ctx, "fill1", f"dump,corrupt:A:delete,fillnvram:{FILL1_SMALLEST},poweroff",
                      FILL1_SMALLEST)
    ctx.expect_decision(b1, r'^booting "primary" \(tries 3/3\)$', "fill1")
    ctx.expect(b1.tool_status("CORRUPT") == "ok", f"fill1: deleting WdbootStateA failed: "
                                                  f"{b1.tool_status('CORRUPT')}", b1)

    b2, store = fill_boot(ctx, "fill2", f"fillnvram:{FILL2_SMALLEST},dump,poweroff", FILL2_SMALLEST)
    ctx.expect_decision(b2, r'^booting "primary" \(tries 3/3\)$', "fill2")
    ctx.expect(not any(WARNING in d for d in b2.decisions), f"fill2: wdboot could not record: {b2.decisions}", b2)
    filled = b2.last_state()
    ctx.expect(filled is not None and filled["attempt_slot"] == guest.slot(filled, "primary")["index"],
               f"fill2: the attempt is not on record: {filled}", b2)
    ctx.expect(store.find("WdbootStateA") and not store.find("WdbootStateB"),
               f"expected only WdbootStateA in NVRAM: "
               f"{[v.name for v in store.live if v.name.startswith('Wdboot')]}")
    ctx.expect(store.free_bytes + store.garbage_bytes < RECORD_NEED,
               f"{store.free_bytes} bytes free and {store.garbage_bytes} bytes of garbage: room for the "
               f"first write of WdbootStateB ({RECORD_NEED} bytes) after a reclaim")

    # The next boot: its attempt (the first write of WdbootStateB) cannot be recorded.
    ctx.set_config(config([Slot("primary", action=f"dump,watchdog,current,agent:--json:mark-good,watchdog,"
                                                   f"sleep:{STAY_S},alive,agent:--json:status,dump,poweroff"),
                           Slot("fallback")], timeout=WATCHDOG_S))
    with ctx.vm(FIRMWARE_S + STAY_S + 80, label="full") as v2:
        v2.wait_for(r"WDTEST: powering off", FIRMWARE_S + STAY_S + 70)
        v2.wait_exit(20)
    boots = ctx.boots(v2)
    banners = [t for t in v2.text() if guest.VERSION.match(t)]
    ctx.expect(len(boots) == 1 and len(banners) == 1 and not v2.events_named("WATCHDOG"),
               f"the machine was reset or looped: {len(boots)} boots, {len(banners)} wdboot banners, "
               f"{len(v2.events_named('WATCHDOG'))} watchdog expiries", boots[-1])
    (n,) = boots
    ctx.expect_decision(n, r'^slot "primary" failed \(reset without blessing, attempt 1/3\) -> '
                           r'booting "primary" \(tries 2/3\)$', "boot on full NVRAM")
    ctx.expect(any(WARNING in d for d in n.decisions),
               f"wdboot did not say that the attempt is not on record: {n.decisions}", n)
    ctx.expect(n.userspace_slot == "primary", "primary did not reach userspace", n)
    cur = n.all(r"^WDTEST-CURRENT (.*)$")
    ctx.expect(cur and "watchdog=none" in cur[0].group(1).split(),
               f"WdbootCurrent should say watchdog=none: {[m.group(1) for m in cur]}", n)
    hw = [m.group(1) for m in n.all(r"^WDTEST-WATCHDOG device=\S+ enabled=(\d)")]
    ctx.expect(hw and all(x == "0" for x in hw), f"the i6300esb is enabled although nothing was recorded: {hw}", n)

    st = n.first_state()
    ctx.expect(st == filled, f"the record changed although the write failed: {st} (was {filled})", n)
    rc, mg, err = n.agent_json("--json mark-good")
    ctx.expect(rc is not None, "the agent did not run", n)
    ctx.say(f"mark-good on full NVRAM: rc {rc}, {mg}, stderr {err}")
    src, sdoc, serr = n.agent_json("--json status")
    ctx.expect(src is not None, "status did not run", n)
    ctx.say(f"status: rc {src}, watchdog {sdoc and sdoc.get('watchdog')}, booted {sdoc and sdoc.get('booted')}")

    ctx.say(f"full: firmware took {firmware_s(ctx, n):.0f} s")
    t_dec, _ = n.first(r'^wdboot: .*booting "primary"')
    t_alive, _ = n.first(r"^WDTEST-ALIVE uptime=")
    ctx.expect(t_alive is not None and t_alive - t_dec >= 2 * WATCHDOG_S,
               f"not alive 2x the {WATCHDOG_S} s timeout after wdboot's decision", n)
    ctx.say(f"alive {t_alive - t_dec:.1f} s after wdboot's decision ({WATCHDOG_S} s timeout), no reset")
    after = varstore.read(ctx.vars_path)
    ctx.expect(not after.find("WdbootStateB"), "WdbootStateB appeared although NVRAM was full")
