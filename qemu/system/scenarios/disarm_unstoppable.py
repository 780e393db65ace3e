"""QEMU tier, issue 7: a healthy boot whose watchdog the agent cannot stop. Both slots
boot the agent initramfs without i6300esb.ko, so `wdbootctl mark-good` finds the boot
healthy but its `modprobe i6300esb` fails: it exits 10, records `disarm-failed` and
leaves the attempt in progress. The watchdog reset that follows is counted against the
slot ("its watchdog could not be stopped"), the fallback goes the same way, and with
every slot exhausted wdboot forces a slot UNPROTECTED (the watchdog is not armed, since
it would only reset a working system): the agent has nothing to stop, blesses, and the
machine stays up instead of looping."""
from wdqemu import guest
from _agent import INITRD_NOMOD, agent_config, slot

NAME = "disarm_unstoppable"
LABEL = "qemu"
TIMEOUT = 300
SUMMARY = "the agent cannot stop the watchdog on any slot: fail over, then a forced unprotected boot stays up"
IMAGES = ("vmlinuz", "initrd-agent-nomod.img")

# Under TCG the guest reaches /init 11-15 s after wdboot's decision on a busy machine: a
# 15 s watchdog sometimes reset the fallback before its agent ran (then its failure is a
# plain watchdog reset, not an unstoppable watchdog). 20 s as in agent_bless_disarm.
WATCHDOG_S = 20
STAY_S = 2 * WATCHDOG_S + 5
UNSTOPPABLE = "watchdog could not be stopped"


def check_refused(ctx, b, name, boot_no):
    """mark-good in a boot whose watchdog cannot be stopped: exit 10, not blessed,
    disarm-failed journalled, the attempt still in progress, the i6300esb still running."""
    rc, mg = ctx.one_json(b, "mark-good")
    ctx.expect(rc == 10, f"boot {boot_no}: mark-good should exit 10 (watchdog not stopped), got {rc}: {mg}", b)
    wd = (mg or {}).get("watchdog") or {}
    ctx.expect(mg is not None and mg.get("blessed") is False and wd.get("ok") is False,
               f"boot {boot_no}: mark-good must not bless when it cannot stop the watchdog: {mg}", b)
    ctx.say(f"boot {boot_no}: mark-good rc {rc}: {wd.get('message')}")
    st = b.last_state()
    ctx.expect(st is not None, f"boot {boot_no}: no state dump after mark-good", b)
    s = guest.slot(st, name)
    ctx.expect(s["last_outcome"] == UNSTOPPABLE and not s["good"] and st["attempt_slot"] == s["index"],
               f"boot {boot_no}: after mark-good {name} should be in progress with outcome {UNSTOPPABLE!r}: "
               f"{s}, attempt_slot {st['attempt_slot']}", b)
    ev = guest.journal_events(st)
    ctx.expect(ev[0][:2] == ("disarm-failed", name), f"boot {boot_no}: newest journal entry is not "
                                                      f"disarm-failed of {name}: {ev}", b)
    hw = [m.group(1) for m in b.all(r"^WDTEST-WATCHDOG device=\S+ enabled=(\d)")]
    ctx.expect(hw and all(x == "1" for x in hw),
               f"boot {boot_no}: the i6300esb should be running before and after mark-good: {hw}", b)


def run(ctx):
    ctx.make_agent_disk(agent_config([slot("primary", "bless", stay=STAY_S, tries=1, initrd=INITRD_NOMOD),
                                      slot("fallback", "bless", stay=STAY_S, tries=1, initrd=INITRD_NOMOD)],
                                     timeout=WATCHDOG_S, tries=1, on_exhausted="last-good"),
                        initrds=("initrd-agent-nomod.img",))
    with ctx.vm(TIMEOUT - 40) as v:
        v.wait_for(r"^WDSYS: powering off", TIMEOUT - 50)
        v.wait_exit(20)
    boots = ctx.boots(v)
    banners = ctx.banners(v)
    dogs = v.events_named("WATCHDOG")
    ctx.expect(len(boots) == 3 and len(banners) == 3 and len(dogs) == 2,
               f"expected primary, fallback, then a forced boot that stays up: {len(boots)} boots, "
               f"{len(banners)} wdboot banners, {len(dogs)} watchdog expiries", boots[-1])
    first, second, third = boots

    ctx.expect_decision(first, r'^booting "primary" \(tries 1/1\)', "boot 1")
    check_refused(ctx, first, "primary", 1)
    ctx.expect_decision(second, r'^slot "primary" failed \(its watchdog could not be stopped, attempt 1/1\) -> '
                                r'booting "fallback" \(tries 1/1\)', "boot 2")
    check_refused(ctx, second, "fallback", 2)
    for k, (b, name) in enumerate(((first, "primary"), (second, "fallback"))):
        t_armed, _ = b.first(rf'^wdboot: .*booting "{name}"')
        fired = dogs[k][0] - t_armed
        ctx.expect(WATCHDOG_S - 1 <= fired <= WATCHDOG_S + 10,
                   f"boot {k + 1}: the watchdog fired {fired:.1f} s after arming, expected about {WATCHDOG_S} s", b)

    ctx.expect_decision(third, r'^slot "fallback" failed \(its watchdog could not be stopped, attempt 1/1\) -> '
                               r'all slots exhausted, on-exhausted last-good: booting "primary" ignoring its '
                               r"counters, watchdog not armed: the agent could not stop it on this slot's last boot",
                        "boot 3")
    ctx.expect_decision(third, r"^WARNING: booting without the hardware watchdog \(its last boot was healthy but "
                               r"the watchdog could not be stopped\)", "boot 3")
    ctx.expect(not any("counters restored" in d for d in third.decisions),
               f"slots proven bad by an unstoppable watchdog got their tries back: {third.decisions}", third)
    hw = [m.group(1) for m in third.all(r"^WDTEST-WATCHDOG device=\S+ enabled=(\d)")]
    ctx.expect(hw[:1] == ["0"], f"boot 3: the i6300esb is running although wdboot said it is not armed: {hw}", third)
    rc, mg = ctx.one_json(third, "mark-good")
    ctx.expect(rc == 0 and mg["blessed"] and mg["slot"] == "primary",
               f"boot 3: mark-good should bless the unprotected boot (rc {rc}): {mg}", third)
    ctx.say(f"boot 3: mark-good rc {rc}, watchdog: {mg['watchdog'].get('message')}")

    t_armed, _ = third.first(r'^wdboot: .*booting "primary"')
    t_alive, _ = third.first(r"^WDSYS: still alive uptime=")
    ctx.expect(t_alive is not None and t_alive - t_armed >= 2 * WATCHDOG_S,
               f"boot 3 was not alive 2x the {WATCHDOG_S} s timeout after wdboot's decision", third)
    ctx.say(f"boot 3 alive {t_alive - t_armed:.1f} s after wdboot's decision, no reset")

    rc, st = ctx.one_json(third, "status")
    ctx.expect(rc == 0 and st["booted"]["slot"] == "primary" and st["booted"]["blessed"] is True
               and st["watchdog"]["armed"] is not True and st["attempt"] is None and st["last_good"] == "primary",
               f"final status: {st['booted']}, watchdog {st['watchdog']}, attempt {st['attempt']}, "
               f"last good {st['last_good']}", third)
    final = third.last_state()
    p = guest.slot(final, "primary")
    f = guest.slot(final, "fallback")
    ctx.expect(p["good"] and p["last_outcome"] == "blessed" and p["tries_left"] == 1,
               f"primary should be blessed with its try back: {p}", third)
    ctx.expect(f["last_outcome"] == UNSTOPPABLE and f["tries_left"] == 0 and not f["good"],
               f"fallback should stay exhausted by its unstoppable watchdog: {f}", third)
    ev = guest.journal_events(final)
    disarm = [e for e in ev if e[0] == "disarm-failed"]
    ctx.expect([e[1] for e in disarm] == ["fallback", "primary"],
               f"the journal should hold disarm-failed for fallback and primary: {ev}", third)
    for e in ("watchdog-reset", "all-exhausted", "blessed"):
        ctx.expect(any(x[0] == e for x in ev), f"no {e} in the journal: {ev}", third)
    ctx.expect(ev[0][:2] == ("blessed", "primary"), f"the newest journal entry is not primary's blessing: {ev}", third)
