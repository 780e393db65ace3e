/*
 * WDAT (ACPI Watchdog Action Table) describing QEMU q35's ICH9 TCO watchdog as
 * OVMF sets it up: TCO I/O block at PMBASE 0x600 + 0x60 = 0x660, chipset
 * configuration (RCBA) at 0xFED1C000, so GCS is at physical 0xFED1F410.
 * Compile: iasl -p wdat-q35-tco wdat-q35-tco.asl  (acpica-tools), then give it to
 * QEMU with -acpitable file=wdat-q35-tco.aml (and -global ICH9-LPC.noreboot=false,
 * or QEMU 7.2 never resets on expiry). The build compiles it for the unit test
 * "wdat: the q35 TCO table (qemu/acpi/wdat-q35-tco.asl) ..." in tests/unit/test_wdat.cpp.
 *
 * Registers (16-bit I/O unless noted):
 *   0x660 TCO_RLD   any write reloads the counter from TCO_TMR
 *   0x664 TCO1_STS  bit 3 TIMEOUT (first expiry), write 1 to clear
 *   0x666 TCO2_STS  bit 1 SECOND_TO_STS (second expiry = the reset), write 1 to clear
 *   0x668 TCO1_CNT  bit 11 TMR_HLT (1 = halted)
 *   0x672 TCO_TMR   bits 9:0 initial count, in 0.6 s ticks
 *   0xFED1F410 GCS  (32-bit memory) bit 5 NO_REBOOT (1 = expiry does not reset)
 *
 * Timer Period 1200 ms, not the TCO's 600 ms tick: the TCO resets the machine on the
 * SECOND expiry of the counter, so a count N written to TCO_TMR resets 2 x N x 0.6 s
 * = N x 1.2 s after the reload. The WDAT's period is the time to reset per count,
 * which is what wdat_wdt and wdboot compute the count from. Min Count 4 (Intel and
 * Linux's iTCO_wdt: values below 4 must not be used), Max Count 0x3FF (10 bits):
 * 4.8 s .. 1227.6 s, the same range as wdboot's itco driver.
 * QUERY_CURRENT_COUNTDOWN_PERIOD is left out: TCO_RLD reads the ticks left in the
 * current half only (0.6 s units, restarting at the first expiry), which is not a
 * count in this table's 1.2 s units.
 *
 * PCI Segment 0x00FF (not 0xFFFF) with bus/device/function 0xFF: Linux compares the
 * segment with 0xFF and ignores a WDAT that names a PCI device.
 *
 * Entry order matters: each action runs its entries in table order.
 *  RESET: clear a stale TIMEOUT first (as iTCO_wdt's ping does for TCO v1, so an
 *   earlier first expiry is not counted with ours), then reload.
 *  SET_RUNNING_STATE: clear NO_REBOOT, then clear TMR_HLT (QEMU starts the counter
 *   on that write). Linux's wdat_wdt runs SET_REBOOT only at probe, so the running
 *   state itself must make the expiry a reset again after a stop.
 *  SET_STOPPED_STATE: set TMR_HLT, then NO_REBOOT, as iTCO_wdt's stop and wdboot's
 *   itco::disarm do.
 *  SET_WATCHDOG_STATUS: write 1 to SECOND_TO_STS without preserve (write-1-to-clear;
 *   preserving would write back, and so clear, every other status bit set).
 */
[0004]                          Signature : "WDAT"    [Watchdog Action Table]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "WDBOOT"
[0008]                       Oem Table ID : "Q35TCO  "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0004]                      Header Length : 00000020
[0002]                        PCI Segment : 00FF
[0001]                            PCI Bus : FF
[0001]                         PCI Device : FF
[0001]                       PCI Function : FF
[0003]                           Reserved : 000000
[0004]                       Timer Period : 000004B0
[0004]                          Max Count : 000003FF
[0004]                          Min Count : 00000004
[0001]              Flags (decoded below) : 01
                                  Enabled : 1
                      Stopped When Asleep : 0
[0003]                           Reserved : 000000
[0004]               Watchdog Entry Count : 0000000E

/* RESET: TCO1_STS.TIMEOUT write 1 to clear */
[0001]                    Watchdog Action : 01
[0001]                        Instruction : 02
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 03
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000664

[0004]                              Value : 00000001
[0004]                      Register Mask : 00000001

/* RESET: TCO_RLD reload */
[0001]                    Watchdog Action : 01
[0001]                        Instruction : 02
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 00
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000660

[0004]                              Value : 00000001
[0004]                      Register Mask : 000003FF

/* QUERY_RUNNING_STATE: TMR_HLT == 0 */
[0001]                    Watchdog Action : 08
[0001]                        Instruction : 00
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 0B
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000668

[0004]                              Value : 00000000
[0004]                      Register Mask : 00000001

/* SET_RUNNING_STATE: GCS.NO_REBOOT = 0 (preserve) */
[0001]                    Watchdog Action : 09
[0001]                        Instruction : 82
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 00 [SystemMemory]
[0001]                          Bit Width : 20
[0001]                         Bit Offset : 05
[0001]               Encoded Access Width : 03 [DWord Access:32]
[0008]                            Address : 00000000FED1F410

[0004]                              Value : 00000000
[0004]                      Register Mask : 00000001

/* SET_RUNNING_STATE: TMR_HLT = 0 (preserve) */
[0001]                    Watchdog Action : 09
[0001]                        Instruction : 82
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 0B
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000668

[0004]                              Value : 00000000
[0004]                      Register Mask : 00000001

/* QUERY_STOPPED_STATE: TMR_HLT == 1 */
[0001]                    Watchdog Action : 0A
[0001]                        Instruction : 00
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 0B
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000668

[0004]                              Value : 00000001
[0004]                      Register Mask : 00000001

/* SET_STOPPED_STATE: TMR_HLT = 1 (preserve) */
[0001]                    Watchdog Action : 0B
[0001]                        Instruction : 82
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 0B
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000668

[0004]                              Value : 00000001
[0004]                      Register Mask : 00000001

/* SET_STOPPED_STATE: GCS.NO_REBOOT = 1 (preserve) */
[0001]                    Watchdog Action : 0B
[0001]                        Instruction : 82
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 00 [SystemMemory]
[0001]                          Bit Width : 20
[0001]                         Bit Offset : 05
[0001]               Encoded Access Width : 03 [DWord Access:32]
[0008]                            Address : 00000000FED1F410

[0004]                              Value : 00000001
[0004]                      Register Mask : 00000001

/* QUERY_COUNTDOWN_PERIOD: TCO_TMR */
[0001]                    Watchdog Action : 05
[0001]                        Instruction : 01
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 00
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000672

[0004]                              Value : 00000000
[0004]                      Register Mask : 000003FF

/* SET_COUNTDOWN_PERIOD: TCO_TMR = count (preserve) */
[0001]                    Watchdog Action : 06
[0001]                        Instruction : 83
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 00
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000672

[0004]                              Value : 00000000
[0004]                      Register Mask : 000003FF

/* QUERY_REBOOT: GCS.NO_REBOOT == 0 */
[0001]                    Watchdog Action : 10
[0001]                        Instruction : 00
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 00 [SystemMemory]
[0001]                          Bit Width : 20
[0001]                         Bit Offset : 05
[0001]               Encoded Access Width : 03 [DWord Access:32]
[0008]                            Address : 00000000FED1F410

[0004]                              Value : 00000000
[0004]                      Register Mask : 00000001

/* SET_REBOOT: GCS.NO_REBOOT = 0 (preserve) */
[0001]                    Watchdog Action : 11
[0001]                        Instruction : 82
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 00 [SystemMemory]
[0001]                          Bit Width : 20
[0001]                         Bit Offset : 05
[0001]               Encoded Access Width : 03 [DWord Access:32]
[0008]                            Address : 00000000FED1F410

[0004]                              Value : 00000000
[0004]                      Register Mask : 00000001

/* QUERY_WATCHDOG_STATUS: TCO2_STS.SECOND_TO_STS == 1 */
[0001]                    Watchdog Action : 20
[0001]                        Instruction : 00
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 01
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000666

[0004]                              Value : 00000001
[0004]                      Register Mask : 00000001

/* SET_WATCHDOG_STATUS: SECOND_TO_STS write 1 to clear */
[0001]                    Watchdog Action : 21
[0001]                        Instruction : 02
[0002]                           Reserved : 0000

[0012]                    Register Region : [Generic Address Structure]
[0001]                           Space ID : 01 [SystemIO]
[0001]                          Bit Width : 10
[0001]                         Bit Offset : 01
[0001]               Encoded Access Width : 02 [Word Access:16]
[0008]                            Address : 0000000000000666

[0004]                              Value : 00000001
[0004]                      Register Mask : 00000001
