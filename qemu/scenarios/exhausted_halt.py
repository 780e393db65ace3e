"""Scenario 6b: every slot exhausted with on-exhausted halt: wdboot journals it and
powers the machine off (QEMU exits by itself); the journal is read on a later boot."""
from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "exhausted_halt"
TIMEOUT = 300
SUMMARY = "all slots exhausted: on-exhausted halt powers off, journalled"


def run(ctx):
    ctx.make_disk(config([Slot("primary", initrd="panic", tries=1), Slot("fallback", initrd="panic", tries=1)],
                         on_exhausted="halt"))
    with ctx.vm(150) as v:
        v.wait_for(r"all slots exhausted", 140)
        v.wait_exit(30)
    boots = ctx.boots(v)
    ctx.expect(len(boots) == 3, f"expected 3 boots, got {len(boots)}")
    last = boots[2]
    ctx.expect_decision(last, r'all slots exhausted, on-exhausted halt: powering off', "boot 3")
    ctx.expect(last.userspace_slot is None, "a kernel was started after the halt decision", last)
    ctx.expect(len(v.events_named("SHUTDOWN")) == 1, "QEMU did not see a power-off", last)

    # An operator adds a working slot; its first boot shows the journal of the halt.
    ctx.set_config(config([Slot("primary", initrd="panic", tries=1), Slot("fallback", initrd="panic", tries=1),
                           Slot("repair", action="dump,poweroff")], on_exhausted="halt"))
    with ctx.vm(60) as v2:
        v2.wait_for(r"WDTEST: powering off", 55)
        v2.wait_exit(20)
    (r,) = ctx.boots(v2)
    ctx.expect(r.userspace_slot == "repair", "the new slot did not boot", r)
    events = guest.journal_events(r.first_state())
    ctx.expect(any(e[0] == "all-exhausted" for e in events), f"the halt was not journalled: {events}", r)
