"""Boot Loader Interface, LoaderEntryOneShot (`systemctl reboot --boot-loader-entry=trial`,
`bootctl set-oneshot trial`): the guest writes the variable as systemd does; the next
boot is a one-shot trial of that slot with one try, the loader deleted the variable
before the kernel ran, and the boot after it returns to the default, which the one-shot
never changed. The first boot also checks what wdboot publishes for bootctl and logind:
LoaderFeatures (entry default | entry one-shot) and LoaderEntries (the slot names)."""
from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "loader_oneshot"
TIMEOUT = 600
SUMMARY = "LoaderEntryOneShot boots its slot once as a trial, then the default again"


# No boot here is meant to be reset by the watchdog, and the guest's own bless does not
# stop it: a generous timeout keeps a slow TCG boot on a busy host from being reset.
WATCHDOG_S = 120


def utf16_hex(*names):
    return "".join((n.encode("utf-16-le") + b"\0\0").hex() for n in names)


def loader_vars(boot):
    return {m.group(1): m.group(2) for m in boot.all(r"^WDTEST-LOADERVAR (\S+) (\S+)$")}


def run(ctx):
    trial = Slot("trial", action="loadervars,dump,bless,dump,reboot")
    ctx.make_disk(config([Slot("primary", action="dump,bless,loaderentry:LoaderEntryOneShot:trial,loadervars,poweroff"),
                          trial], timeout=WATCHDOG_S))
    with ctx.vm(170) as v:
        v.wait_for(r"WDTEST: powering off", 160)
        v.wait_exit(20)
    (b,) = ctx.boots(v)
    ctx.expect(b.first(r"^WDTEST-LOADERENTRY set LoaderEntryOneShot=trial$")[1] is not None,
               "the guest could not write LoaderEntryOneShot", b)
    lv = loader_vars(b)
    ctx.expect(lv.get("LoaderFeatures") == "0c00000000000000", f"LoaderFeatures: {lv}", b)
    ctx.expect(lv.get("LoaderEntries") == utf16_hex("primary", "trial"), f"LoaderEntries: {lv}", b)
    ctx.expect(lv.get("LoaderEntrySelected") == utf16_hex("primary"), f"LoaderEntrySelected: {lv}", b)
    ctx.expect(lv.get("LoaderEntryOneShot") == utf16_hex("trial"), f"LoaderEntryOneShot: {lv}", b)

    ctx.set_config(config([Slot("primary", action="loadervars,dump,poweroff"), trial], timeout=WATCHDOG_S))
    with ctx.vm(330) as v2:
        v2.wait_for(r"WDTEST: powering off", 320)
        v2.wait_exit(20)
    boots = ctx.boots(v2)
    ctx.expect(len(boots) == 2, f"expected the one-shot boot and one primary boot, got {len(boots)}")
    t, p = boots
    ctx.expect_decision(t, r'^LoaderEntryOneShot = "trial": one-shot trial of "trial" \(1 try', "one-shot boot")
    ctx.expect_decision(t, r'^booting trial "trial" \(tries 1 left\)', "one-shot boot")
    ctx.expect(t.userspace_slot == "trial", "the one-shot slot did not reach userspace", t)
    lv = loader_vars(t)
    ctx.expect(lv.get("LoaderEntryOneShot") == "missing", f"LoaderEntryOneShot still set: {lv}", t)
    ctx.expect(lv.get("LoaderEntrySelected") == utf16_hex("trial"), f"LoaderEntrySelected: {lv}", t)
    st = t.first_state()
    tr = guest.slot(st, "trial")
    ctx.expect(guest.slot_name(st, st["trial_slot"]) == "trial" and tr["tries_left"] == 0
               and tr["last_outcome"] == "in progress", f"not a one-try trial in progress: {st}", t)
    events = guest.journal_events(st)
    ctx.expect(events[0][:2] == ("attempt", "trial") and events[1][:2] == ("trial-requested", "trial"),
               f"journal: {events}", t)
    ctx.expect(t.tool_status("BLESS") == "ok", f"blessing the one-shot boot failed: {t.tool_status('BLESS')}", t)

    ctx.expect(not any("LoaderEntryOneShot" in d for d in p.decisions), f"the one-shot came back: {p.decisions}", p)
    ctx.expect_decision(p, r'^booting "primary" \(tries 3/3\)', "boot after the one-shot")
    ctx.expect(p.userspace_slot == "primary", "primary did not reach userspace", p)
    st = p.first_state()
    ctx.expect(st["trial_slot"] == -1 and st["default_slot"] == -1, f"the one-shot changed the order: {st}", p)
    ctx.expect(loader_vars(p).get("LoaderEntryOneShot") == "missing", "LoaderEntryOneShot reappeared", p)
