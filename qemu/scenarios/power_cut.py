"""Scenario 8: power cut. QEMU is killed (SIGKILL, nothing flushed) at several instants
around wdboot's state write and during the kernel boot. The next boot must find a
consistent state (a valid copy, generation never going back) and the cut may have cost
primary at most one try."""
import time

from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "power_cut"
TIMEOUT = 600
SUMMARY = "power cuts around the state write and during boot: consistent state, <= 1 try spent"

# (label, serial line to wait for, delay after it in seconds)
INSTANTS = [
    ("at the decision line", r'^wdboot: booting "primary"', 0.0),
    ("after the images are loaded", r'^wdboot: initrd: ', 0.0),
    ("60 ms after the decision", r'^wdboot: booting "primary"', 0.06),
    ("at StartImage", r'^wdboot: starting "primary"', 0.0),
    ("during the kernel boot", r'^wdboot: starting "primary"', 1.5),
    ("in userspace before blessing", r'WDTEST: userspace reached slot=primary', 0.0),
]


def run(ctx):
    ctx.make_disk(config([Slot("primary", action="dump,bless,dump,poweroff"), Slot("fallback")]))
    last_generation = -1
    for n, (label, pattern, delay) in enumerate(INSTANTS):
        ctx.say(f"cut {n + 1}: {label}")
        with ctx.vm(90, label=f"cut{n + 1}") as v:
            v.wait_for(pattern, 80)
            if delay:
                time.sleep(delay)
            v.kill()
        with ctx.vm(90, label=f"after{n + 1}") as a:
            a.wait_for(r"WDTEST: powering off", 80)
            a.wait_exit(20)
        boots = ctx.boots(a)
        ctx.expect(len(boots) == 1, f"{label}: the boot after the cut reset {len(boots) - 1} times")
        b = boots[0]
        ctx.expect(b.userspace_slot == "primary", f"{label}: primary did not boot after the cut", b)
        copies = b.copies()[:2]
        valid = [c for c in copies if c.get("decode") == "ok"]
        ctx.expect(valid, f"{label}: no valid state copy after the cut: {copies}", b)
        loaded = b.states()[0]
        ctx.expect(loaded["from_copy"] and not loaded["corrupt"],
                   f"{label}: state after the cut is not clean: {loaded}", b)
        st = loaded["state"]
        ctx.expect(st["generation"] > last_generation,
                   f"{label}: generation went back from {last_generation} to {st['generation']}", b)
        # Blessed to 3 before the cut; this boot's own attempt costs one try; the cut at
        # most one more, and only if wdboot says so.
        p = guest.slot(st, "primary")
        counted = any(d.startswith('slot "primary" failed (reset without blessing') for d in b.decisions)
        want = 1 if counted else 2
        ctx.expect(p["tries_left"] == want,
                   f"{label}: primary has {p['tries_left']} tries, expected {want} "
                   f"(cut counted: {counted}); wdboot said {b.decisions}", b)
        ctx.expect(b.tool_status("BLESS") == "ok", f"{label}: blessing after the cut failed", b)
        after = b.last_state()
        last_generation = after["generation"]
        ctx.say(f"  cut {'counted' if counted else 'not counted'}; tries after the next boot: {p['tries_left']}")
