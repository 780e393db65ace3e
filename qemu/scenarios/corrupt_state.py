"""Scenario 7: damaged state in NVRAM (garbage, wrong size, bad CRC; one or both copies),
written from the guest through efivarfs after a blessed boot, then a reboot. wdboot must
report the damage, journal it, take a safe decision and boot on without hanging."""
from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "corrupt_state"
TIMEOUT = 420
SUMMARY = "corrupted state copies: safe decision, journalled, no hang"

# (label, damage actions run after blessing, copies wdboot must call damaged,
#  expected first decision, primary's tries in NVRAM during the next boot)
CASES = [
    # Both copies unusable: a fresh state, primary first with full tries.
    ("both copies", "corrupt:A:garbage,corrupt:B:crc", "AB", r'^booting "primary" \(tries 3/3\)', 2),
    # The newest copy (the blessing) has a bad CRC: the older copy wins, and it still
    # holds the attempt marker of the boot that was blessed, so that boot counts as failed.
    ("newest copy bad CRC", "corrupt:new:crc", None,
     r'^slot "primary" failed \(reset without blessing, attempt 1/3\) -> booting "primary" \(tries 2/3\)', 1),
    # The older copy has the wrong size: the blessed state wins untouched.
    ("older copy wrong size", "corrupt:old:short", None, r'^booting "primary" \(tries 3/3\)', 2),
    # The only copy left is garbage (the older one deleted first): fresh state.
    ("one copy garbage, other absent", "corrupt:old:delete,corrupt:new:garbage", None,
     r'^booting "primary" \(tries 3/3\)', 2),
]


def run(ctx):
    for label, damage, both, decision, tries in CASES:
        ctx.say(f"case: {label}")
        ctx.make_disk(config([Slot("primary", action=f"dump,bless,{damage},dump,reboot"), Slot("fallback")]))
        with ctx.vm(120, label=label.replace(" ", "_").replace(",", "")) as v:
            # First boot damages the state and reboots; the second boot is the one under test.
            i, _ = v.wait_for(r"WDTEST: rebooting", 60)
            j, _ = v.wait_for(r"^WDTEST-STATE", 60, start=i)
        boots = ctx.boots(v)
        ctx.expect(len(boots) >= 2, f"{label}: no boot after the damage")
        first, b = boots[0], boots[1]
        ctx.expect(first.tool_status("CORRUPT") == "ok", f"{label}: damaging failed", first)
        damaged = [d for d in b.decisions if d.startswith("state copy ")]
        ctx.expect(damaged, f"{label}: wdboot did not report the damaged copy: {b.decisions}", b)
        if both:
            for c in both:
                ctx.expect(any(d.startswith(f"state copy WdbootState{c} ") for d in damaged),
                           f"{label}: copy {c} not reported damaged: {damaged}", b)
        ctx.expect_decision(b, decision, label)
        ctx.expect(b.userspace_slot == "primary", f"{label}: primary did not boot", b)
        ctx.expect_tries(b, "primary", tries, label)
        st = b.first_state()
        events = guest.journal_events(st)
        ctx.expect(any(e[0] == "state-corrupt" for e in events), f"{label}: no state-corrupt event: {events}", b)
        # The state wdboot wrote is valid again.
        loaded = b.states()[0]
        ctx.expect(loaded["from_copy"], f"{label}: no valid copy after wdboot's write: {loaded}", b)
