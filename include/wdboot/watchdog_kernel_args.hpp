// The kernel arguments wdboot appends to a slot's command line for each watchdog it
// arms. Each Linux driver would take over a timer that must keep running until the
// agent has blessed the boot (i6300esb.ko stops it at probe; iTCO_wdt reprograms it
// to its own heartbeat and lets the kernel feed it), so the loader keeps the module
// out and the agent loads it itself (docs/watchdogs.md).
//
// Read by the loader (efi/efi_watchdog.cpp, what to append) and by the agent (which
// watchdog wdboot armed, from /proc/cmdline, when WdbootCurrent cannot be read).
#pragma once

namespace wdboot {

inline constexpr char kI6300esbKernelArgs[] = "modprobe.blacklist=i6300esb";
inline constexpr char kItcoKernelArgs[] = "modprobe.blacklist=iTCO_wdt";

}  // namespace wdboot
