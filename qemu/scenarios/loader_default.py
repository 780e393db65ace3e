"""Boot Loader Interface, LoaderEntryDefault (`bootctl set-default trial`): the guest
writes the variable as bootctl does; the next boot makes "trial" the record's default
exactly as `wdbootctl set-default` would (default-set journalled) and boots it, and the
variable stays for `bootctl status`."""
from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "loader_default"
TIMEOUT = 420
SUMMARY = "LoaderEntryDefault makes its slot the record's default and stays"


# No boot here is meant to be reset by the watchdog, and the guest's own bless does not
# stop it: a generous timeout keeps a slow TCG boot on a busy host from being reset.
WATCHDOG_S = 120


def utf16_hex(name):
    return (name.encode("utf-16-le") + b"\0\0").hex()


def run(ctx):
    ctx.make_disk(config([Slot("primary", action="dump,bless,loaderentry:LoaderEntryDefault:trial,reboot"),
                          Slot("trial", action="loadervars,dump,poweroff")], timeout=WATCHDOG_S))
    with ctx.vm(330) as v:
        v.wait_for(r"WDTEST: powering off", 320)
        v.wait_exit(20)
    boots = ctx.boots(v)
    ctx.expect(len(boots) == 2, f"expected a primary boot and a trial boot, got {len(boots)}")
    p, t = boots
    ctx.expect(p.first(r"^WDTEST-LOADERENTRY set LoaderEntryDefault=trial$")[1] is not None,
               "the guest could not write LoaderEntryDefault", p)
    ctx.expect_decision(t, r'^LoaderEntryDefault = "trial": "trial" is the default now', "boot after bootctl set-default")
    ctx.expect_decision(t, r'^booting "trial" \(tries 3/3\)', "boot after bootctl set-default")
    ctx.expect(t.userspace_slot == "trial", "trial did not reach userspace", t)
    lv = {m.group(1): m.group(2) for m in t.all(r"^WDTEST-LOADERVAR (\S+) (\S+)$")}
    ctx.expect(lv.get("LoaderEntryDefault") == utf16_hex("trial"), f"LoaderEntryDefault did not stay: {lv}", t)
    st = t.first_state()
    ctx.expect(guest.slot_name(st, st["default_slot"]) == "trial", f"the record's default is not trial: {st}", t)
    ctx.expect(st["trial_slot"] == -1, f"a default is not a trial: {st}", t)
    events = guest.journal_events(st)
    ctx.expect(("default-set", "trial", "unknown") in events, f"no default-set event: {events}", t)
